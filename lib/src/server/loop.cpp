#include "server/loop.hpp"

#include "proto/message/problem.hpp"
#include "proto/message/serialize.hpp"
#include "server/connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <system_error>

namespace http::detail {

namespace {

// Which loop (and which generation of its ownership) the calling thread runs.
thread_local const Loop* current_loop = nullptr;
thread_local std::uint64_t current_generation = 0;

}  // namespace

void signal_eventfd(int fd) noexcept {
    if (fd < 0)
        return;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(fd, &one, sizeof one);
}

void ServerShared::report(const std::exception& error, const ClientInfo& client) const noexcept {
    for (const auto& hook : config_.error_hooks) {
        try {
            hook(error, client);
        } catch (...) {
        }
    }
}

void ServerShared::log_access(std::string_view line) noexcept {
    try {
        const std::lock_guard lock(log_mutex_);
        config_.access_log->write(line.data(), static_cast<std::streamsize>(line.size()));
        config_.access_log->flush();
    } catch (...) {
    }
}

Loop::Loop(const ServerConfig& config, ServerShared& shared, std::unique_ptr<Ring> ring)
    : config_(config), shared_(shared), reactor_(std::move(ring)) {
    stream_context_.bound = config.stream_buffer_size;
    stream_context_.on_io_thread = [this] { return on_owner_thread(); };
    stream_context_.websocket_compression = config.websocket_compression;
}

Loop::~Loop() {
    // Connections still open go with their loop (a server that failed to start).
    while (first_ != nullptr)
        first_->abandon();
}

Loop::Listener::~Listener() {
    if (fd >= 0)
        ::close(fd);
}

void Loop::add_listener(int fd) {
    auto listener = std::make_unique<Listener>(*this, fd);  // closes fd if what follows throws
    reactor_.watch(fd, EPOLLIN, *listener);
    listeners_.push_back(std::move(listener));
}

int bound_socket(const sockaddr_storage& address, socklen_t length, bool reuse_address, bool reuse_port) {
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::system_error(errno, std::system_category(), "socket");
    const int on = 1;
    const char* failed = nullptr;
    if (reuse_address && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        failed = "SO_REUSEADDR";
    else if (reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        failed = "SO_REUSEPORT";
    else if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0)
        failed = "bind";
    if (failed) {
        const int error = errno;
        ::close(fd);
        throw std::system_error(error, std::system_category(), failed);
    }
    return fd;
}

std::uint16_t port_of(const sockaddr_storage& address) noexcept {
    if (address.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
    if (address.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
    return 0;
}

std::uint16_t local_port_of(int fd) noexcept {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    return ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0 ? port_of(local) : 0;
}

void Loop::listen(const sockaddr_storage& address, socklen_t length, bool reuse_address, bool use_reuse_port) {
    const int fd = bound_socket(address, length, reuse_address, use_reuse_port);
    if (::listen(fd, SOMAXCONN) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::system_error(error, std::system_category(), "listen");
    }
    add_listener(fd);
}

void Loop::adopt(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::system_error(error, std::system_category(), "fcntl");
    }
    add_listener(fd);
}

std::vector<int> Loop::listening_fds() const {
    std::vector<int> fds;
    for (const auto& listener : listeners_)
        if (listener->fd >= 0)
            fds.push_back(listener->fd);
    return fds;
}

std::uint16_t Loop::local_port() const {
    for (const auto& listener : listeners_)
        if (const std::uint16_t port = local_port_of(listener->fd))
            return port;
    return 0;
}

ClientInfo peer_of(const sockaddr_storage& address) {
    ClientInfo client;
    char text[INET6_ADDRSTRLEN] = "";
    client.port = port_of(address);
    if (address.ss_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, text, sizeof text);
    } else if (address.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
            ::inet_ntop(AF_INET, v6->sin6_addr.s6_addr + 12, text, sizeof text);
        else
            ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    } else if (address.ss_family == AF_UNIX) {
        client.ip = "unix:";
        return client;
    }
    client.ip = text;
    return client;
}

void Loop::start(std::chrono::milliseconds tick) {
    tick_ = tick;
    reactor_.after(tick_, [this] { sweep(); });
}

void Loop::run(std::uint64_t generation) {
    current_loop = this;
    current_generation = generation;
    while (ownership_.held_by(generation)) {
        if (!reactor_.run_one(ownership_, generation))
            break;  // the loop has finished
    }
    current_loop = nullptr;
}

bool Loop::on_owner_thread() const noexcept {
    return current_loop == this && ownership_.held_by(current_generation);
}

Loop::UserCode::UserCode(Loop* loop) noexcept
    : loop_(loop), owner_(loop && loop->on_owner_thread() && loop->ownership_.enter(current_generation)) {}

Loop::UserCode::~UserCode() {
    if (owner_)
        loop_->ownership_.leave(current_generation);  // false: the watchdog took the loop over
}

std::uint64_t Loop::take_over_if_stalled() noexcept { return ownership_.take_over_if_stalled(watchdog_seen_); }

void Loop::accept(Listener& listener) {
    // A bounded batch per wake-up, so that one busy listening socket cannot starve the
    // connections; being level-triggered, it is reported again if more are waiting. Over TLS a
    // new connection starts its handshake at once (a signature, a few hundred microseconds), so
    // the batch is small: the open connections' requests come between the handshakes.
    const int batch = shared_.tls ? 4 : 64;
    for (int i = 0; i < batch && listener.fd >= 0 && !listener.paused; ++i) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&address), &length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            const int error = errno;
            if (error == EAGAIN || error == EWOULDBLOCK)
                return;
            if (error == EINTR || error == ECONNABORTED || error == EPROTO || error == EPERM)
                continue;  // that client is gone, or a firewall said no: the next one
            pause(listener, error);
            return;
        }
        accept_failing_ = false;
        start_connection(fd, address);
    }
}

// With no descriptor left, UBSan's vptr check cannot work: it probes memory through a pipe of
// its own, and reports the object it could not read as having an invalid vptr. This function
// runs exactly then, so that check stays out of it.
__attribute__((no_sanitize("vptr"))) void Loop::pause(Listener& listener, int error) {
    // Out of descriptors (EMFILE, ENFILE) or memory: accepting pauses and is tried again shortly,
    // rather than spinning on a listening socket that stays readable; said once until an accept
    // succeeds again.
    if (!accept_failing_) {
        accept_failing_ = true;
        // The message from strerror, not through an error category's virtual message(), for the
        // same reason.
        char text[128];
        const char* reason = ::strerror_r(error, text, sizeof text);
        shared_.report(std::runtime_error(std::string("httpkit: accept failed: ") + reason +
                                          "; accepting pauses, and resumes when it can"),
                       ClientInfo{});
    }
    listener.paused = true;
    reactor_.forget(listener.fd);
    if (retry_scheduled_)
        return;
    retry_scheduled_ = true;
    reactor_.after(std::chrono::milliseconds(100), [this] {
        retry_scheduled_ = false;
        if (shutting_down_)
            return;
        for (const auto& paused : listeners_) {
            if (!paused->paused || paused->fd < 0)
                continue;
            try {
                reactor_.watch(paused->fd, EPOLLIN, *paused);
                paused->paused = false;
            } catch (const std::system_error& e) {
                pause(*paused, e.code().value());
            }
        }
    });
}

void Loop::start_connection(int fd, const sockaddr_storage& address) {
    const std::size_t open = shared_.connections.fetch_add(1) + 1;  // seq_cst: see supervise()
    if (config_.max_connections != 0 && open > config_.max_connections) {
        shared_.connections.fetch_sub(1, std::memory_order_relaxed);
        metrics_.count_refusal(Status::SERVICE_UNAVAILABLE);
        // Over the limit: a short answer, best effort, and close (over TLS only the close: a
        // handshake would cost what the limit is there to save).
        if (!shared_.tls) {
            std::string busy;
            serialize_response(failure_response(ServiceUnavailable(std::chrono::seconds(1), "Too many connections"), {}),
                               ResponseFraming{false, false, 1, {}}, busy);
            [[maybe_unused]] const auto sent = ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL);
        }
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
        return;
    }
    if (open == 1)
        shared_.connection_opened_after_none();
    auto connection = std::make_shared<Connection>(*this, fd, peer_of(address));
    connection->start();
}

void Loop::sweep() {
    if (finished_.load(std::memory_order_relaxed))
        return;
    const Clock::time_point now = Clock::now();
    for (Connection* c = first_; c != nullptr;) {
        Connection* next = c->next;  // check_deadline may unlink c
        c->check_deadline(now);
        c = next;
    }
    reactor_.after(tick_, [this] { sweep(); });
}

void Loop::add(Connection* connection) noexcept {
    connection->previous = nullptr;
    connection->next = first_;
    if (first_)
        first_->previous = connection;
    first_ = connection;
}

void Loop::remove(Connection* connection) noexcept {
    const bool linked = connection->previous != nullptr || first_ == connection;
    if (!linked)
        return;
    if (connection->previous)
        connection->previous->next = connection->next;
    else
        first_ = connection->next;
    if (connection->next)
        connection->next->previous = connection->previous;
    connection->previous = connection->next = nullptr;
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    finish_if_drained();
}

void Loop::begin_shutdown() {
    reactor_.post([this] {
        shutting_down_ = true;
        for (const auto& listener : listeners_) {
            if (listener->fd >= 0) {
                reactor_.forget(listener->fd);  // io_uring holds it open until then
                ::close(listener->fd);
            }
            listener->fd = -1;
        }
        for (Connection* c = first_; c != nullptr;) {
            Connection* next = c->next;
            c->shut_down();
            c = next;
        }
        finish_if_drained();
    });
}

void Loop::cut_connections() {
    reactor_.post([this] {
        for (Connection* c = first_; c != nullptr;) {
            Connection* next = c->next;
            c->cut();
            c = next;
        }
    });
}

void Loop::finish_if_drained() {
    if (!shutting_down_ || first_ != nullptr || finished_.load(std::memory_order_relaxed))
        return;
    // Nothing left: the loop runs out of work, so its thread returns.
    reactor_.finish();
    finished_.store(true, std::memory_order_release);
}

}  // namespace http::detail
