// The server's TLS: the context its certificate makes (ServerTls), and one connection's session
// over a non-blocking socket (TlsSession), which the connection drives as it drives the socket.
//
// The session reads and writes the socket through its own BIO: send() with MSG_NOSIGNAL (a
// library must not raise SIGPIPE in its host), and a record of whether the last read emptied the
// socket, which an edge-triggered connection needs to know when to wait for the next edge.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace http::detail {

class TlsSession;

/// A server's TLS context, made from a PEM certificate chain and its private key. reload() makes
/// a new one from the same files; a session keeps the context it started with, so open
/// connections are not touched. Thread-safe.
class ServerTls {
public:
    /// Loads both files; ALPN offers "h2" before "http/1.1" if `http2`. Throws
    /// std::runtime_error naming the file that cannot be read or used, or saying that the key
    /// does not match the certificate.
    ServerTls(std::string certificate, std::string private_key, bool http2);
    ~ServerTls();
    ServerTls(const ServerTls&) = delete;
    ServerTls& operator=(const ServerTls&) = delete;

    /// Loads both files again; on failure throws as the constructor does and keeps the old context.
    void reload();
    /// A session for the accepted socket `fd`, in the server's role; nullptr if OpenSSL cannot
    /// make one (out of memory).
    std::unique_ptr<TlsSession> accept(int fd);

private:
    SSL_CTX* load() const;

    const std::string certificate_;
    const std::string private_key_;
    const bool http2_;
    // Session tickets are encrypted with these, the same for every context this server makes: a
    // client resumes across a reload.
    std::array<unsigned char, 80> ticket_keys_{};
    std::mutex mutex_;
    SSL_CTX* context_ = nullptr;  // under mutex_
};

/// One connection's TLS, over a non-blocking socket it does not own.
class TlsSession {
public:
    /// plain_http: the client sent an HTTP request instead of a TLS handshake.
    enum class Handshake { done, want_read, want_write, failed, plain_http };

    TlsSession(SSL* ssl, int fd) noexcept;
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    Handshake handshake() noexcept;
    /// The protocol ALPN chose ("http/1.1"), or empty if the client offered none.
    std::string_view alpn() const noexcept;

    /// As recv(2): the bytes read, 0 at the end of the stream (close_notify, or the socket's end),
    /// or -1 with errno EAGAIN (nothing to read yet) or ECONNRESET (the stream is broken).
    ssize_t read(char* buffer, std::size_t size) noexcept;
    /// As sendmsg(2): the bytes written, or -1 with errno EAGAIN (the socket is full) or
    /// ECONNRESET. After EAGAIN the same bytes must be offered again.
    ssize_t write(const iovec* buffers, int count) noexcept;
    /// As sendfile(2), through TLS: up to `count` bytes of the file `file` from `offset`, which
    /// go through a buffer the session keeps until they are out (TLS encrypts in user space).
    /// 0 if the file has no bytes there; -1 with errno as write() says, or a read's error.
    ssize_t send_file(int file, off_t offset, std::size_t count) noexcept;
    /// False when the last read of the socket came back short or empty and TLS holds no
    /// received bytes: only the socket's next edge brings more.
    bool readable() const noexcept;
    /// Bytes read from the socket before TLS began (past a PROXY protocol header): the handshake
    /// reads them before the socket's. Throws std::bad_alloc.
    void unread(std::string_view bytes) { socket_.early.append(bytes); }
    /// The socket reported new bytes: what the last read found is out of date.
    void on_readable_edge() noexcept { socket_.drained = false; }
    /// The last read waits for the socket to take bytes (TLS must answer the peer first).
    bool read_wants_write() const noexcept { return read_wants_write_; }
    /// Sends close_notify once, without waiting; nothing after a broken stream.
    void close_notify() noexcept;

    /// What the session's BIO knows of the socket.
    struct Socket {
        int fd;
        bool drained = false;  // the last recv came back short, empty or EAGAIN
        bool eof = false;      // a recv returned 0
        std::string early;     // unread(): read before the socket's bytes
        std::size_t early_read = 0;
    };

private:
    /// Maps an OpenSSL result to the errno a caller of read() or write() sees.
    ssize_t fail(int result) noexcept;

    SSL* ssl_;
    Socket socket_;
    bool broken_ = false;  // a fatal error: no close_notify may follow
    bool read_wants_write_ = false;
    bool notified_ = false;
    // What send_file read and has not all written: file bytes from chunk_offset_.
    std::unique_ptr<char[]> chunk_;
    std::size_t chunk_size_ = 0;
    std::size_t chunk_sent_ = 0;
    int chunk_file_ = -1;
    off_t chunk_offset_ = 0;
};

}  // namespace http::detail
