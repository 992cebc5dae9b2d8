// The client's byte streams: one interface, Stream, for a plain TCP socket and for TLS over one,
// so that the code reading and writing HTTP never asks which it has. Every wait is bounded by a
// deadline. Failures are NetFailure, which the client turns into TransportError.
#pragma once

#include <http/client.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace http::detail {

using Clock = std::chrono::steady_clock;

struct NetFailure : std::runtime_error {
    NetFailure(TransportError::Kind failure_kind, const std::string& message)
        : std::runtime_error(message), kind(failure_kind) {}
    TransportError::Kind kind;
};

/// Milliseconds left until `deadline`, for poll(): 0 when it has passed.
int remaining_ms(Clock::time_point deadline) noexcept;

/// A connected, non-blocking socket and the peer's address (for messages). Owns the descriptor.
class Socket {
public:
    Socket(int fd, std::string peer) noexcept : fd_(fd), peer_(std::move(peer)) {}
    ~Socket();
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    int fd() const noexcept { return fd_; }
    const std::string& peer() const noexcept { return peer_; }
    /// Waits for `events` until `deadline`; throws NetFailure (timeout) naming `what`.
    void wait(short events, Clock::time_point deadline, const char* what) const;
    /// True if something (bytes or the end) can be read before `deadline`.
    bool poll_readable(Clock::time_point deadline) const noexcept;

private:
    int fd_;
    std::string peer_;
};

/// A byte stream to a server: plain TCP (TcpStream) or TLS (TlsStream).
class Stream {
public:
    virtual ~Stream() = default;

    /// Reads what is there, waiting until `deadline` for something; 0 at the end of the stream.
    std::size_t read_some(char* buffer, std::size_t size, Clock::time_point deadline);
    /// Writes all of `data` by `deadline`.
    void write_all(std::string_view data, Clock::time_point deadline);
    /// True if bytes (or the end) can be read before `deadline`.
    bool wait_readable(Clock::time_point deadline) { return buffered() || socket_->poll_readable(deadline); }
    /// As wait_readable, asking the socket only: safe while another thread uses the stream.
    bool socket_readable(Clock::time_point deadline) const noexcept { return socket_->poll_readable(deadline); }
    /// For a pooled idle connection: false if the server closed it or sent something unasked.
    virtual bool still_usable() = 0;

protected:
    explicit Stream(std::unique_ptr<Socket> socket) noexcept : socket_(std::move(socket)) {}
    /// One read or write that may return less than asked, waiting as needed until `deadline`.
    virtual std::size_t read_part(char* buffer, std::size_t size, Clock::time_point deadline) = 0;
    virtual std::size_t write_part(std::string_view data, Clock::time_point deadline) = 0;
    /// Bytes already received and decoded, readable without touching the socket.
    virtual bool buffered() const noexcept { return false; }

    std::unique_ptr<Socket> socket_;

private:
    bool awaiting_answer_ = false;  // a write just went out: nothing can be there to read yet
};

class TcpStream final : public Stream {
public:
    explicit TcpStream(std::unique_ptr<Socket> socket) noexcept : Stream(std::move(socket)) {}
    bool still_usable() override;
    /// Gives the socket up (for TLS over a proxy's tunnel); the stream is then unusable.
    std::unique_ptr<Socket> release() noexcept { return std::move(socket_); }

private:
    std::size_t read_part(char* buffer, std::size_t size, Clock::time_point deadline) override;
    std::size_t write_part(std::string_view data, Clock::time_point deadline) override;
};

/// An OpenSSL client context with the client's trust settings. Throws NetFailure (tls) when the
/// CA file cannot be loaded.
class TlsContext {
public:
    TlsContext(bool verify_peer, const std::string& ca_file);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* get() const noexcept { return context_; }
    bool verify_peer() const noexcept { return verify_peer_; }
    const std::string& ca_file() const noexcept { return ca_file_; }

private:
    SSL_CTX* context_ = nullptr;
    bool verify_peer_;
    std::string ca_file_;
};

class TlsStream final : public Stream {
public:
    /// Completes a TLS handshake with `host` over `socket` by `deadline`, verifying the
    /// certificate as `context` says and, if `verify_host`, that it names `host`.
    TlsStream(std::unique_ptr<Socket> socket, TlsContext& context, const std::string& host, bool verify_host,
              Clock::time_point deadline);
    ~TlsStream() override;
    bool still_usable() override;

private:
    std::size_t read_part(char* buffer, std::size_t size, Clock::time_point deadline) override;
    std::size_t write_part(std::string_view data, Clock::time_point deadline) override;
    bool buffered() const noexcept override;

    struct SslFree {
        void operator()(SSL* ssl) const noexcept;
    };
    // Owned by a member, not freed by the destructor: a handshake that fails throws from the
    // constructor, and only members are destroyed then.
    std::unique_ptr<SSL, SslFree> ssl_;
};

}  // namespace http::detail
