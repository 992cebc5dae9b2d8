#include "client/stream.hpp"

#include "task/strand.hpp"
#include "tls/openssl.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace http::detail {

std::string errno_text(int error) {
    char text[128];
    return ::strerror_r(error, text, sizeof text);  // GNU's: the message, in `text` or static
}

namespace {

using Kind = TransportError::Kind;

// OpenSSL writes to the socket with write(2): a peer that is gone would raise SIGPIPE, and a
// library must not kill its host process. Blocked for the call; one it caused is swallowed.
class SigpipeBlock {
public:
    SigpipeBlock() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set_, &old_);
    }
    ~SigpipeBlock() {
        if (!was_pending_) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE)) {
                const timespec zero{0, 0};
                sigtimedwait(&set_, nullptr, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
    sigset_t set_;
    sigset_t old_;
    bool was_pending_ = false;
};

int clamp_int(std::size_t n) noexcept { return static_cast<int>(std::min<std::size_t>(n, INT_MAX)); }

}  // namespace

int remaining_ms(Clock::time_point deadline) noexcept {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

// --- Socket ----------------------------------------------------------------------------------

namespace {

short poll_events(Direction direction) noexcept { return direction == Direction::in ? POLLIN : POLLOUT; }

}  // namespace

// What the reactor tells of the socket, counted for the coroutines that wait (Trigger). Shared:
// a reactor may still hold an event naming it after the socket has gone (release_later).
class Readiness final : public Watcher {
public:
    Readiness() : in(std::make_shared<Trigger>()), out(std::make_shared<Trigger>()), any(std::make_shared<Trigger>()) {}
    Readiness(const Readiness& other) : in(other.in), out(other.out), any(other.any) {}  // the same counts, anew

    void on_events(std::uint32_t events) override {
        // An error or a hang-up ends both ways: the next attempt says what happened.
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            in->fire();
        if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            out->fire();
        any->fire();
    }
    Trigger& trigger(Direction direction) const noexcept {
        return direction == Direction::in ? *in : direction == Direction::out ? *out : *any;
    }

    const std::shared_ptr<Trigger> in, out, any;
};

Socket::Socket(int fd, std::string peer) noexcept : fd_(fd), peer_(std::move(peer)) {}

Socket::~Socket() {
    detach();
    if (fd_ >= 0)
        ::close(fd_);
}

void Socket::attach(Reactor& reactor) {
    if (reactor_) {
        const std::lock_guard lock(reactor_->mutex);
        if (reactor_->reactor == &reactor)
            return;
    }
    detach();
    // A new watcher for the new reactor, counting on from the old one's counts: an event the
    // old reactor still dispatches is one more edge, which costs a retry at most.
    readiness_ = readiness_ ? std::make_shared<Readiness>(*readiness_) : std::make_shared<Readiness>();
    reactor.watch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, *readiness_);
    reactor_ = reactor.life();
}

void Socket::detach() noexcept {
    if (!reactor_)
        return;
    {
        const std::lock_guard lock(reactor_->mutex);
        if (Reactor* const reactor = reactor_->reactor) {
            reactor->forget(fd_);
            reactor->release_later(readiness_);
        }
    }
    reactor_.reset();
}

std::uint64_t Socket::edges(Direction direction) const {
    return readiness_ ? readiness_->trigger(direction).count() : 0;
}

Socket::Ready Socket::ready(Direction direction, std::uint64_t seen, Clock::time_point deadline) {
    Strand* const strand = Strand::current();
    if (!strand)
        throw std::logic_error("httpkit: a client's coroutine awaited outside a server's handler or http::run()");
    if (direction != Direction::any && strand->alone()) {
        // A blocking call's only wait: nothing else on its loop could run meanwhile, so the
        // thread waits in poll(2), as it always has, with no timer to set nor loop turn to take.
        return Ready(poll_until(poll_events(direction), deadline, "waiting for the server"));
    }
    try {
        attach(strand->reactor());
    } catch (const std::system_error& e) {
        throw NetFailure(Kind::io, std::string("cannot watch the connection to ") + peer_ + ": " + e.what());
    }
    const Readiness& readiness = *readiness_;
    return Ready(direction == Direction::in ? readiness.in : direction == Direction::out ? readiness.out : readiness.any,
                 seen, deadline);
}

bool Socket::poll_until(short events, Clock::time_point deadline, const char* what) const {
    pollfd p{fd_, events, 0};
    while (true) {
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready >= 0)
            return ready > 0;
        if (errno != EINTR)
            throw NetFailure(Kind::io, std::string(what) + ": " + errno_text(errno));
    }
}

void Socket::wait(short events, Clock::time_point deadline, const char* what) const {
    if (!poll_until(events, deadline, what))
        throw NetFailure(Kind::timeout, std::string(what) + " timed out");
}

bool Socket::poll_readable(Clock::time_point deadline) const noexcept {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, remaining_ms(deadline)) > 0;
}

// --- Stream ----------------------------------------------------------------------------------

std::size_t Stream::read_some(char* buffer, std::size_t size, Clock::time_point deadline) {
    if (awaiting_answer_ && !buffered())
        socket_->wait(POLLIN, deadline, "waiting for the response");  // spares a read that would find nothing
    awaiting_answer_ = false;
    while (true) {
        const Attempt attempt = read_part(buffer, size);
        if (!attempt.blocked)
            return attempt.bytes;
        socket_->wait(poll_events(attempt.wait), deadline, "waiting for the response");
    }
}

void Stream::write_all(std::string_view data, Clock::time_point deadline) {
    awaiting_answer_ = true;
    answer_seen_ = socket_->edges(Direction::in);
    while (!data.empty()) {
        const Attempt attempt = write_part(data);
        if (attempt.blocked)
            socket_->wait(poll_events(attempt.wait), deadline, "sending the request");
        else
            data.remove_prefix(attempt.bytes);
    }
}

Task<> Stream::wait_for(const Attempt& attempt, const std::uint64_t (&seen)[2], Clock::time_point deadline,
                        const char* what) {
    const auto index = static_cast<std::size_t>(attempt.wait);
    if (!co_await socket_->ready(attempt.wait, seen[index], deadline))
        throw NetFailure(Kind::timeout, std::string(what) + " timed out");
}

Task<std::size_t> Stream::async_read_some(char* buffer, std::size_t size, Clock::time_point deadline) {
    if (awaiting_answer_ && !buffered()) {
        // Spares a read that would find nothing: the answer is awaited first.
        if (!co_await socket_->ready(Direction::in, answer_seen_, deadline))
            throw NetFailure(Kind::timeout, "waiting for the response timed out");
    }
    awaiting_answer_ = false;
    while (true) {
        const std::uint64_t seen[2] = {socket_->edges(Direction::in), socket_->edges(Direction::out)};
        const Attempt attempt = read_part(buffer, size);
        if (!attempt.blocked)
            co_return attempt.bytes;
        co_await wait_for(attempt, seen, deadline, "waiting for the response");
    }
}

Task<> Stream::async_write_all(std::string_view data, Clock::time_point deadline) {
    awaiting_answer_ = true;
    answer_seen_ = socket_->edges(Direction::in);
    while (!data.empty()) {
        const std::uint64_t seen[2] = {socket_->edges(Direction::in), socket_->edges(Direction::out)};
        const Attempt attempt = write_part(data);
        if (attempt.blocked)
            co_await wait_for(attempt, seen, deadline, "sending the request");
        else
            data.remove_prefix(attempt.bytes);
    }
}

Task<bool> Stream::async_wait_readable(Clock::time_point deadline) {
    if (buffered())
        co_return true;
    // The answer to what was written, or anything at all.
    const std::uint64_t seen = awaiting_answer_ ? answer_seen_ : socket_->edges(Direction::in);
    if (!awaiting_answer_ && socket_->poll_readable(Clock::now()))
        co_return true;
    co_return co_await socket_->ready(Direction::in, seen, deadline);
}

// --- TcpStream -------------------------------------------------------------------------------

Attempt TcpStream::read_part(char* buffer, std::size_t size) {
    while (true) {
        const ssize_t n = ::recv(socket_->fd(), buffer, size, 0);
        if (n >= 0)
            return {static_cast<std::size_t>(n)};
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return {0, true, Direction::in};
        if (errno == ECONNRESET)
            throw NetFailure(Kind::closed, "the server reset the connection");
        if (errno != EINTR)
            throw NetFailure(Kind::io, "reading from " + socket_->peer() + " failed: " + errno_text(errno));
    }
}

Attempt TcpStream::write_part(std::string_view data) {
    while (true) {
        const ssize_t n = ::send(socket_->fd(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0)
            return {static_cast<std::size_t>(n)};
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return {0, true, Direction::out};
        if (errno != EINTR)
            throw NetFailure(errno == EPIPE || errno == ECONNRESET ? Kind::closed : Kind::io,
                             "sending to " + socket_->peer() + " failed: " + errno_text(errno));
    }
}

bool TcpStream::still_usable() {
    if (!socket_->poll_readable(Clock::now()))
        return true;  // nothing arrived while idle
    char byte;
    const ssize_t n = ::recv(socket_->fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// --- TLS -------------------------------------------------------------------------------------

TlsContext::TlsContext(bool verify_peer, const std::string& ca_file) : verify_peer_(verify_peer), ca_file_(ca_file) {
    context_ = SSL_CTX_new(TLS_client_method());
    if (!context_)
        throw NetFailure(Kind::tls, "cannot create a TLS context: " + openssl_errors());
    // A server that closes without close_notify ends a close-delimited body, as browsers allow.
    apply_common_tls_settings(context_);
    SSL_CTX_set_verify(context_, verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    const bool loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(context_) == 1
                                        : SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
        const std::string why = openssl_errors();
        SSL_CTX_free(context_);
        throw NetFailure(Kind::tls, ca_file.empty() ? "cannot load the system's CA certificates: " + why
                                                     : "cannot load CA certificates from '" + ca_file + "': " + why);
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

TlsStream::TlsStream(std::unique_ptr<Socket> socket, TlsContext& context, const std::string& host, bool verify_host,
                     bool offer_h2)
    : Stream(std::move(socket)), host_(host) {
    ssl_.reset(SSL_new(context.get()));
    SSL* ssl = ssl_.get();
    if (!ssl || SSL_set_fd(ssl, socket_->fd()) != 1)
        throw NetFailure(Kind::tls, "cannot start TLS: " + openssl_errors());
    if (offer_h2) {
        static constexpr unsigned char protocols[] = "\x02h2\x08http/1.1";
        if (SSL_set_alpn_protos(ssl, protocols, sizeof protocols - 1) != 0)
            throw NetFailure(Kind::tls, "cannot offer HTTP/2 by ALPN: " + openssl_errors());
    }
    const bool literal = host.find(':') != std::string::npos || host.find_first_not_of("0123456789.") == std::string::npos;
    if (!literal)
        // SNI is for names only. (SSL_set_tlsext_host_name is a macro with a C cast.)
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
    if (context.verify_peer() && verify_host) {
        if (literal)
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
        else
            SSL_set1_host(ssl, host.c_str());
    }
}

Task<> TlsStream::handshake(Clock::time_point deadline) {
    SSL* const ssl = ssl_.get();
    while (true) {
        const std::uint64_t seen[2] = {socket_->edges(Direction::in), socket_->edges(Direction::out)};
        ERR_clear_error();
        const int rc = SSL_connect(ssl);
        if (rc == 1) {
            handshaken_ = true;
            co_return;
        }
        const int error = SSL_get_error(ssl, rc);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
            co_await wait_for({0, true, error == SSL_ERROR_WANT_READ ? Direction::in : Direction::out}, seen, deadline,
                              "TLS handshake");
            continue;
        }
        if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK)
            throw NetFailure(Kind::tls, "TLS certificate verification failed for " + host_ + ": " +
                                            X509_verify_cert_error_string(verify));
        std::string why = openssl_errors();
        if (why.empty())
            why = error == SSL_ERROR_SYSCALL && errno != 0 ? errno_text(errno) : "the server closed the connection";
        throw NetFailure(Kind::tls, "TLS handshake with " + socket_->peer() + " failed: " + why);
    }
}

void TlsStream::SslFree::operator()(SSL* ssl) const noexcept { SSL_free(ssl); }

TlsStream::~TlsStream() {
    if (!handshaken_)
        return;
    const SigpipeBlock no_sigpipe;
    SSL_shutdown(ssl_.get());  // one non-blocking attempt at close_notify
}

bool TlsStream::buffered() const noexcept { return SSL_pending(ssl_.get()) > 0; }

std::string_view TlsStream::protocol() const noexcept {
    const unsigned char* chosen = nullptr;
    unsigned length = 0;
    SSL_get0_alpn_selected(ssl_.get(), &chosen, &length);
    return chosen ? std::string_view(reinterpret_cast<const char*>(chosen), length) : std::string_view();
}

Attempt TlsStream::read_part(char* buffer, std::size_t size) {
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), buffer, clamp_int(size));
    if (n > 0)
        return {static_cast<std::size_t>(n)};
    const int error = SSL_get_error(ssl_.get(), n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
        return {0, true, error == SSL_ERROR_WANT_READ ? Direction::in : Direction::out};
    if (error == SSL_ERROR_ZERO_RETURN)
        return {0};
    if (error == SSL_ERROR_SYSCALL && errno == ECONNRESET)
        throw NetFailure(Kind::closed, "the server reset the connection");
    const std::string why = openssl_errors();
    if (why.empty() && error == SSL_ERROR_SYSCALL)
        return {0};
    throw NetFailure(Kind::tls, "TLS read from " + socket_->peer() + " failed: " + why);
}

Attempt TlsStream::write_part(std::string_view data) {
    ERR_clear_error();
    int n;
    {
        const SigpipeBlock no_sigpipe;
        n = SSL_write(ssl_.get(), data.data(), clamp_int(data.size()));
    }
    if (n > 0)
        return {static_cast<std::size_t>(n)};
    const int error = SSL_get_error(ssl_.get(), n);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
        throw NetFailure(Kind::closed, "TLS write to " + socket_->peer() + " failed: " + openssl_errors());
    return {0, true, error == SSL_ERROR_WANT_READ ? Direction::in : Direction::out};
}

bool TlsStream::still_usable() {
    if (!socket_->poll_readable(Clock::now()))
        return true;  // nothing arrived while idle
    // TLS 1.3 sends session tickets after the handshake: reading them is fine, data or a close is not.
    char byte;
    ERR_clear_error();
    const int n = SSL_peek(ssl_.get(), &byte, 1);
    return n <= 0 && SSL_get_error(ssl_.get(), n) == SSL_ERROR_WANT_READ;
}

}  // namespace http::detail
