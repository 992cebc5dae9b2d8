// The client's byte streams: one interface, Stream, for a plain TCP socket and for TLS over one,
// so that the code reading and writing HTTP never asks which it has. Every wait is bounded by a
// deadline. Failures are NetFailure, which the client turns into TransportError.
//
// The client's requests run as coroutines (http::Task) on a loop: a server's, when a handler
// awaits the client, or the calling thread's own, in http::run(), for the blocking calls. A
// read or a write is tried at once, non-blocking; only when the socket has nothing to give or
// no room does the coroutine wait, for the loop to say the socket is ready.
#pragma once

#include "server/reactor.hpp"
#include "task/strand.hpp"

#include <http/client.hpp>
#include <http/task.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
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

/// What the C library says of `error` (an errno value), as strerror_r gives it: safe on any thread.
std::string errno_text(int error);

/// Milliseconds left until `deadline`, for poll(): 0 when it has passed.
int remaining_ms(Clock::time_point deadline) noexcept;

/// Which way a socket is waited for; `any`: readable or writable, whichever comes first.
enum class Direction : std::uint8_t { in, out, any };

/// What a non-blocking read or write did: moved `bytes` (0 at the end of the stream, for a
/// read), or could do nothing until the socket is ready the way `wait` says.
struct Attempt {
    std::size_t bytes = 0;
    bool blocked = false;
    Direction wait = Direction::in;
};

class Readiness;

/// A connected, non-blocking socket and the peer's address (for messages). Owns the descriptor.
///
/// Two ways to wait for it: wait() blocks the thread in poll(2) (the WebSocket's receive()),
/// ready() suspends a coroutine until the loop it runs on (a server's, or http::run()'s) reports
/// the socket ready. For that the socket is registered with that loop's reactor the first time
/// (edge-triggered, as the server's connections are: no system call a wait), and with another
/// when a coroutine on another loop waits for it.
class Socket {
public:
    Socket(int fd, std::string peer) noexcept;
    ~Socket();
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    int fd() const noexcept { return fd_; }
    const std::string& peer() const noexcept { return peer_; }
    /// Waits for `events` until `deadline`; throws NetFailure (timeout) naming `what`.
    void wait(short events, Clock::time_point deadline, const char* what) const;
    /// True if something (bytes or the end) can be read before `deadline`.
    bool poll_readable(Clock::time_point deadline) const noexcept;
    /// Waits in poll(2) for `events` until `deadline`: false at it. Throws NetFailure (io) naming
    /// `what` when poll fails.
    bool poll_until(short events, Clock::time_point deadline, const char* what) const;

    /// How many times the loop has reported the socket ready `direction`'s way: taken before an
    /// attempt that may find nothing to do, and given to ready().
    std::uint64_t edges(Direction direction) const;
    class Ready;
    /// In a coroutine, co_await it: until the loop reports the socket ready `direction`'s way
    /// after `seen` edges (true), or `deadline` (false). An awaitable, not a coroutine: a wait
    /// costs no frame. Throws NetFailure when the socket cannot be watched.
    Ready ready(Direction direction, std::uint64_t seen, Clock::time_point deadline);

private:
    void attach(Reactor& reactor);
    void detach() noexcept;

    int fd_;
    std::string peer_;
    std::shared_ptr<Readiness> readiness_;  // what the reactor calls; released through it
    std::shared_ptr<ReactorLife> reactor_;  // the reactor it is registered with, if any
};

/// Socket::ready()'s awaitable: decided at once (a blocking call's only wait, in poll(2)), or a
/// wait on the socket's trigger for that direction (which it keeps alive: the socket may be
/// registered anew meanwhile).
class Socket::Ready {
public:
    explicit Ready(bool decided) noexcept : decided_(decided) {}
    Ready(const std::shared_ptr<Trigger>& trigger, std::uint64_t seen, Clock::time_point deadline) {
        wait_.emplace(seen, deadline, trigger);
    }
    Ready(const Ready&) = delete;
    Ready& operator=(const Ready&) = delete;

    bool await_ready() { return decided_.has_value() || wait_->await_ready(); }
    bool await_suspend(std::coroutine_handle<> handle) { return wait_->await_suspend(handle); }
    bool await_resume() const { return decided_ ? *decided_ : wait_->await_resume(); }

private:
    std::optional<bool> decided_;
    std::optional<Trigger::Wait> wait_;
};

/// A byte stream to a server: plain TCP (TcpStream) or TLS (TlsStream). The blocking calls
/// (read_some, write_all, wait_readable) are the WebSocket's; the client's requests use the
/// coroutines (async_read_some, async_write_all, async_wait_readable). Both make the same
/// non-blocking attempts and differ only in how they wait.
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

    /// The same, in a coroutine, waiting on its loop. Throw NetFailure (timeout) at `deadline`.
    Task<std::size_t> async_read_some(char* buffer, std::size_t size, Clock::time_point deadline);
    Task<> async_write_all(std::string_view data, Clock::time_point deadline);
    /// True if bytes (or the end) arrive before `deadline`; false, not a failure, at it.
    Task<bool> async_wait_readable(Clock::time_point deadline);

    /// One non-blocking read or write, for a connection that drives its reads and writes itself
    /// (HTTP/2's, which waits with socket().ready(Direction::any, ...) when neither can go on).
    Attempt try_read(char* buffer, std::size_t size) { return read_part(buffer, size); }
    Attempt try_write(std::string_view data) { return write_part(data); }
    /// The protocol ALPN chose ("h2", "http/1.1"); empty without TLS or without a choice.
    virtual std::string_view protocol() const noexcept { return {}; }

    /// For a pooled idle connection: false if the server closed it or sent something unasked.
    virtual bool still_usable() = 0;
    Socket& socket() noexcept { return *socket_; }

protected:
    explicit Stream(std::unique_ptr<Socket> socket) noexcept : socket_(std::move(socket)) {}
    /// One non-blocking read or write, which may move less than asked, or nothing yet.
    virtual Attempt read_part(char* buffer, std::size_t size) = 0;
    virtual Attempt write_part(std::string_view data) = 0;
    /// Bytes already received and decoded, readable without touching the socket.
    virtual bool buffered() const noexcept { return false; }
    /// Waits (in a coroutine) as `attempt` asks, having taken `seen` edges before it; throws
    /// NetFailure (timeout) naming `what` at `deadline`.
    Task<> wait_for(const Attempt& attempt, const std::uint64_t (&seen)[2], Clock::time_point deadline,
                    const char* what);

    std::unique_ptr<Socket> socket_;

private:
    // A write just went out: nothing can be there to read yet, until the socket says so. The
    // readable edges seen when it went (for the coroutines).
    bool awaiting_answer_ = false;
    std::uint64_t answer_seen_ = 0;
};

class TcpStream final : public Stream {
public:
    explicit TcpStream(std::unique_ptr<Socket> socket) noexcept : Stream(std::move(socket)) {}
    bool still_usable() override;
    /// Gives the socket up (for TLS over a proxy's tunnel); the stream is then unusable.
    std::unique_ptr<Socket> release() noexcept { return std::move(socket_); }

private:
    Attempt read_part(char* buffer, std::size_t size) override;
    Attempt write_part(std::string_view data) override;
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
    /// A TLS client over `socket` to `host`, verifying the certificate as `context` says and, if
    /// `verify_host`, that it names `host`; offering HTTP/2 by ALPN when `offer_h2`. Usable once
    /// handshake() has completed.
    TlsStream(std::unique_ptr<Socket> socket, TlsContext& context, const std::string& host, bool verify_host,
              bool offer_h2 = false);
    std::string_view protocol() const noexcept override;
    ~TlsStream() override;
    /// The handshake, by `deadline`. Throws NetFailure (tls, timeout).
    Task<> handshake(Clock::time_point deadline);
    bool still_usable() override;

private:
    Attempt read_part(char* buffer, std::size_t size) override;
    Attempt write_part(std::string_view data) override;
    bool buffered() const noexcept override;

    struct SslFree {
        void operator()(SSL* ssl) const noexcept;
    };
    // Owned by a member, not freed by the destructor: a handshake that fails throws from the
    // constructor, and only members are destroyed then.
    std::unique_ptr<SSL, SslFree> ssl_;
    std::string host_;
    bool handshaken_ = false;
};

}  // namespace http::detail
