// How a server connection's bytes move: through the socket itself (epoll), through the loop's
// io_uring (ring.hpp), or through TLS over the socket (tls.hpp). The connection reads and writes
// one Transport and never asks which it has, as the client does with its Stream.
//
// Each answers as a non-blocking socket does: bytes, 0 at the end of the stream, or -1 with
// errno (EAGAIN: nothing yet, or no room). And each keeps what the reactor's edges told it
// (on_events) about whether a read can find anything: readable() stays true until a read comes
// back short, so that a connection registered edge-triggered reads only when there is something
// to read, and waits for the next edge otherwise.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string_view>

namespace http::detail {

class Reactor;
class ServerTls;
class Watcher;

class Transport {
public:
    /// A transport for the accepted socket `fd`, registered with `reactor` for `watcher`'s events
    /// (edge-triggered, reading and writing): TLS when the server has `tls`, else through the ring
    /// when the reactor runs on one, else the socket. Takes `fd` over in every case: it is closed
    /// here when no transport can be made. Throws std::system_error when the reactor refuses the
    /// socket; returns nullptr when TLS cannot make a session (out of memory).
    static std::unique_ptr<Transport> open(Reactor& reactor, int fd, ServerTls* tls, Watcher& watcher);

    virtual ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    int fd() const noexcept { return fd_; }

    /// What the reactor reported (EPOLLIN, EPOLLOUT, EPOLLRDHUP ...).
    virtual void on_events(std::uint32_t events) noexcept;
    /// A read can find bytes (or the end) now: the last edge said so and no read has since come
    /// back short.
    bool readable() const noexcept { return readable_; }
    /// Edges may have come unseen (the connection was away in a handler): read to find out.
    void assume_readable() noexcept { readable_ = true; }

    /// As recv(2), and keeps readable() up to date.
    virtual ssize_t receive(char* buffer, std::size_t room) noexcept = 0;
    /// Reads what the client still sends, to drop it (a lingering close): the bytes on the wire,
    /// without TLS. As receive().
    virtual ssize_t discard(char* buffer, std::size_t room) noexcept { return receive(buffer, room); }
    /// What comes before TLS (a PROXY protocol header): the socket's own bytes, as receive()
    /// answers. Without TLS, receive() itself.
    virtual ssize_t receive_before_tls(char* buffer, std::size_t room) noexcept { return receive(buffer, room); }
    /// Bytes receive_before_tls() took past what came before TLS: TLS reads them first. Throws
    /// std::bad_alloc.
    virtual void return_to_tls(std::string_view) {}
    /// As sendmsg(2). After EAGAIN the same bytes must be offered again.
    virtual ssize_t send(const iovec* buffers, int count) noexcept = 0;
    /// As sendfile(2): up to `count` bytes of `file` from `offset`.
    virtual ssize_t send_file(int file, off_t offset, std::size_t count) noexcept;
    /// A send answered EAGAIN: EPOLLOUT is to come when there is room.
    virtual void wait_writable() noexcept {}

    /// What the client has sent that was not read yet, looked at without taking it.
    enum class Pending { nothing, bytes, end };
    /// For a connection parked on a stream, which notices a client that goes away before it
    /// writes again. `nothing` also clears readable().
    virtual Pending peek() noexcept;

    /// TLS: the handshake a step further. Without TLS there is none: done.
    enum class Handshake { done, want_read, want_write, failed, plain_http };
    virtual Handshake handshake() noexcept { return Handshake::done; }
    /// The protocol ALPN chose, or empty.
    virtual std::string_view alpn() const noexcept { return {}; }
    /// True while the bytes go through TLS.
    virtual bool secure() const noexcept { return false; }

    /// Ends the sending side (after TLS's close_notify). False if the socket is gone.
    virtual bool shutdown_sending() noexcept;
    /// Closing will reset the connection rather than end it in order: what is unsent is dropped.
    void reset_on_close() noexcept;
    /// TCP_CORK on or off: while a file goes out, full segments only.
    void cork(bool on) noexcept;
    /// Out of the reactor, and closed (TLS's close_notify first, best effort).
    virtual void close(Reactor& reactor) noexcept;

protected:
    explicit Transport(int fd) noexcept : fd_(fd) {}

    int fd_;
    bool readable_ = false;    // see readable()
    bool peer_shut_ = false;   // the client shut its side: a read will find the end, and no edge
                               // comes for it after the last bytes
};

}  // namespace http::detail
