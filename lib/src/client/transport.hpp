// The client's connections: TCP or TLS over a non-blocking socket, every wait bounded by a
// deadline with poll(). Failures are NetFailure, which the client turns into TransportError.
#pragma once

#include "url/url.hpp"

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
    NetFailure(TransportError::Kind kind, const std::string& message) : std::runtime_error(message), kind(kind) {}
    TransportError::Kind kind;
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

class ClientConnection {
public:
    /// Resolves, connects and, for https, completes a verified TLS handshake, all before
    /// `deadline`. `verify_host`: check the certificate names `url.host`.
    static std::unique_ptr<ClientConnection> open(const Url& url, TlsContext* tls, bool verify_host,
                                                  Clock::time_point deadline);
    ~ClientConnection();
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    /// Reads what is there (waiting until `deadline` for something); 0 at the end of the stream.
    std::size_t read_some(char* buffer, std::size_t size, Clock::time_point deadline);
    void write_all(std::string_view data, Clock::time_point deadline);
    /// True if bytes (or the end) can be read before `deadline`.
    bool wait_readable(Clock::time_point deadline);
    /// For a pooled idle connection: false if the server closed it or sent something unasked.
    bool still_usable();

    bool reused = false;

private:
    ClientConnection(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}
    void handshake(const Url& url, TlsContext& tls, bool verify_host, Clock::time_point deadline);
    /// Waits for `events` until `deadline`; throws NetFailure(timeout) with `what`.
    void wait(short events, Clock::time_point deadline, const char* what);

    int fd_ = -1;
    SSL* ssl_ = nullptr;
    bool awaiting_answer_ = false;  // a write just went out: nothing can be there to read yet
    std::string peer_;  // "93.184.216.34:443", for messages
};

}  // namespace http::detail
