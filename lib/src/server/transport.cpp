#include "server/transport.hpp"

#include "server/reactor.hpp"
#include "server/tls.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace http::detail {

namespace {

constexpr std::uint32_t connection_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

bool would_block() noexcept { return errno == EAGAIN || errno == EWOULDBLOCK; }

// The socket itself: recv(2), sendmsg(2) and sendfile(2), on epoll's word.
class SocketTransport : public Transport {
public:
    explicit SocketTransport(int fd) noexcept : Transport(fd) {}

    ssize_t receive(char* buffer, std::size_t room) noexcept override { return receive_plain(buffer, room); }

    ssize_t send(const iovec* buffers, int count) noexcept override {
        msghdr message{};
        message.msg_iov = const_cast<iovec*>(buffers);
        message.msg_iovlen = static_cast<std::size_t>(count);
        ssize_t n;
        do {
            n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        return n;
    }

protected:
    ssize_t receive_plain(char* buffer, std::size_t room) noexcept {
        ssize_t n;
        do {
            n = ::recv(fd_, buffer, room, 0);
        } while (n < 0 && errno == EINTR);
        // A short read emptied the socket: the next bytes bring another edge. But once the client
        // has shut its side, its end is still to be read after the last bytes, and no edge will
        // come for it.
        if (n < 0)
            readable_ = readable_ && !would_block();
        else
            readable_ = static_cast<std::size_t>(n) == room || (peer_shut_ && n > 0);
        return n;
    }
};

// A plain connection on an io_uring loop: the ring has received what there is, and sends from
// its own copy (ring.hpp). sendfile(2) goes to the socket directly, which the connection calls
// only once the ring's send is done.
class RingTransport final : public Transport {
public:
    RingTransport(int fd, Reactor& reactor, Ring::Slot& slot) noexcept : Transport(fd), reactor_(reactor), slot_(slot) {}

    ssize_t receive(char* buffer, std::size_t room) noexcept override {
        Ring::Input left = Ring::Input::none;
        const ssize_t n = reactor_.receive(slot_, buffer, room, left);
        readable_ = n >= 0 && left != Ring::Input::none;
        return n;
    }
    ssize_t send(const iovec* buffers, int count) noexcept override { return reactor_.send(slot_, buffers, count); }
    void wait_writable() noexcept override { reactor_.want_writable(slot_); }
    Pending peek() noexcept override {
        switch (reactor_.input(slot_)) {
        case Ring::Input::bytes:
            return Pending::bytes;
        case Ring::Input::end:
            return Pending::end;
        case Ring::Input::none:
            break;
        }
        readable_ = false;
        return Pending::nothing;
    }

private:
    Reactor& reactor_;
    Ring::Slot& slot_;
};

// TLS over the socket (watched for readiness on either engine). A client that sent plain HTTP
// to the TLS port is answered in the clear: after plain_http the session is gone and the
// socket's own calls are used.
class TlsTransport final : public SocketTransport {
public:
    TlsTransport(int fd, std::unique_ptr<TlsSession> session) noexcept
        : SocketTransport(fd), session_(std::move(session)) {}

    void on_events(std::uint32_t events) noexcept override {
        Transport::on_events(events);
        if (!session_)
            return;
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            session_->on_readable_edge();
        if (session_->read_wants_write() && (events & EPOLLOUT))
            readable_ = true;  // TLS had to answer the peer before it could read on
    }

    ssize_t receive(char* buffer, std::size_t room) noexcept override {
        if (!session_)
            return receive_plain(buffer, room);
        const ssize_t n = session_->read(buffer, room);
        // TLS knows whether its read of the socket was short, and whether it holds bytes it has
        // not passed on.
        if (n < 0)
            readable_ = readable_ && !would_block();
        else
            readable_ = session_->readable() || (peer_shut_ && n > 0);
        return n;
    }
    ssize_t discard(char* buffer, std::size_t room) noexcept override { return receive_plain(buffer, room); }
    ssize_t receive_before_tls(char* buffer, std::size_t room) noexcept override { return receive_plain(buffer, room); }
    void return_to_tls(std::string_view bytes) override {
        if (session_)
            session_->unread(bytes);
    }
    ssize_t send(const iovec* buffers, int count) noexcept override {
        return session_ ? session_->write(buffers, count) : SocketTransport::send(buffers, count);
    }
    ssize_t send_file(int file, off_t offset, std::size_t count) noexcept override {
        return session_ ? session_->send_file(file, offset, count) : SocketTransport::send_file(file, offset, count);
    }

    Handshake handshake() noexcept override {
        if (!session_)
            return Handshake::done;
        switch (session_->handshake()) {
        case TlsSession::Handshake::done:
            readable_ = session_->readable();  // a request may have come with the handshake's last flight
            return Handshake::done;
        case TlsSession::Handshake::want_read:
            readable_ = false;  // the socket is empty: the next edge resumes the handshake
            return Handshake::want_read;
        case TlsSession::Handshake::want_write:
            return Handshake::want_write;
        case TlsSession::Handshake::plain_http:
            session_.reset();
            return Handshake::plain_http;
        case TlsSession::Handshake::failed:
            break;
        }
        return Handshake::failed;
    }
    std::string_view alpn() const noexcept override { return session_ ? session_->alpn() : std::string_view(); }
    bool secure() const noexcept override { return session_ != nullptr; }

    bool shutdown_sending() noexcept override {
        if (session_)
            session_->close_notify();  // nothing more comes, said first
        return Transport::shutdown_sending();
    }
    void close(Reactor& reactor) noexcept override {
        if (session_) {
            session_->close_notify();  // best effort: the socket is not waited for
            session_.reset();
        }
        Transport::close(reactor);
    }

private:
    std::unique_ptr<TlsSession> session_;
};

}  // namespace

std::unique_ptr<Transport> Transport::open(Reactor& reactor, int fd, ServerTls* tls, Watcher& watcher) {
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // fails on a Unix socket: ignored
    if (tls) {
        std::unique_ptr<TlsSession> session = tls->accept(fd);
        if (!session) {
            ::close(fd);
            return nullptr;
        }
        auto transport = std::make_unique<TlsTransport>(fd, std::move(session));
        reactor.watch(fd, connection_events, watcher);
        return transport;
    }
    if (reactor.uses_ring()) {
        Ring::Slot* slot = nullptr;
        try {
            slot = reactor.watch_socket(fd, watcher);
        } catch (...) {
            ::close(fd);
            throw;
        }
        return std::make_unique<RingTransport>(fd, reactor, *slot);
    }
    auto socket = std::make_unique<SocketTransport>(fd);  // closes fd if watching throws
    reactor.watch(fd, connection_events, watcher);
    return socket;
}

Transport::~Transport() {
    // Still open: the loop went away with the connection (Connection::abandon).
    if (fd_ >= 0)
        ::close(fd_);
}

void Transport::on_events(std::uint32_t events) noexcept {
    if (events & (EPOLLRDHUP | EPOLLHUP))
        peer_shut_ = true;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        readable_ = true;
}

ssize_t Transport::send_file(int file, off_t offset, std::size_t count) noexcept {
    ssize_t n;
    do {
        n = ::sendfile(fd_, file, &offset, count);
    } while (n < 0 && errno == EINTR);
    return n;
}

Transport::Pending Transport::peek() noexcept {
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0)
        return Pending::bytes;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return Pending::end;  // closed, or reset
    readable_ = false;
    return Pending::nothing;
}

bool Transport::shutdown_sending() noexcept { return ::shutdown(fd_, SHUT_WR) == 0; }

void Transport::reset_on_close() noexcept {
    const ::linger reset{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
}

void Transport::cork(bool on) noexcept {
    const int value = on ? 1 : 0;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

void Transport::close(Reactor& reactor) noexcept {
    if (fd_ < 0)
        return;
    // Out of the reactor first: close() alone leaves the registration while another process
    // holds the socket too (a child between fork and exec, a popen), and its events would then
    // name this connection after it is gone. On io_uring the ring holds the socket until then.
    reactor.forget(fd_);
    ::close(fd_);
    fd_ = -1;
}

}  // namespace http::detail
