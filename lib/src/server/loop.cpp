#include "server/loop.hpp"

#include "server/connection.hpp"

#include <boost/asio/post.hpp>

#include <arpa/inet.h>
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

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

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

Loop::Loop(const ServerConfig& config, ServerShared& shared)
    : config_(config),
      shared_(shared),
      context_(),
      work_(asio::make_work_guard(context_)),
      sweeper_(context_),
      accept_retry_(context_) {
    stream_context_.bound = config.stream_buffer_size;
    stream_context_.on_io_thread = [this] { return on_owner_thread(); };
}

Loop::~Loop() = default;

void Loop::listen(const tcp::endpoint& endpoint, bool reuse_address, bool use_reuse_port) {
    auto acceptor = std::make_unique<Acceptor>(context_);
    const stream::endpoint where(endpoint);
    acceptor->open(where.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(reuse_address));
    if (use_reuse_port)
        acceptor->set_option(reuse_port(true));
    acceptor->bind(where);
    acceptor->listen(asio::socket_base::max_listen_connections);
    acceptors_.push_back(std::move(acceptor));
}

void Loop::adopt(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        const int saved = errno;
        ::close(fd);
        throw boost::system::system_error(saved, boost::system::system_category(), "getsockname");
    }
    const int family = address.ss_family;
    auto acceptor = std::make_unique<Acceptor>(context_);
    acceptor->assign(stream(family, family == AF_UNIX ? 0 : IPPROTO_TCP), fd);
    acceptors_.push_back(std::move(acceptor));
}

std::uint16_t Loop::local_port() const {
    for (const auto& acceptor : acceptors_) {
        boost::system::error_code error;
        const stream::endpoint local = acceptor->local_endpoint(error);
        if (error)
            continue;
        const sockaddr* address = local.data();
        if (address->sa_family == AF_INET)
            return ntohs(reinterpret_cast<const sockaddr_in*>(address)->sin_port);
        if (address->sa_family == AF_INET6)
            return ntohs(reinterpret_cast<const sockaddr_in6*>(address)->sin6_port);
    }
    return 0;
}

ClientInfo peer_of(const stream::socket& socket) {
    ClientInfo client;
    boost::system::error_code error;
    const stream::endpoint peer = socket.remote_endpoint(error);
    if (error)
        return client;
    const sockaddr* address = peer.data();
    char text[INET6_ADDRSTRLEN] = "";
    if (address->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
        ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
        client.port = ntohs(v4->sin_port);
    } else if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
            ::inet_ntop(AF_INET, v6->sin6_addr.s6_addr + 12, text, sizeof text);
        else
            ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        client.port = ntohs(v6->sin6_port);
    } else if (address->sa_family == AF_UNIX) {
        client.ip = "unix:";
        return client;
    }
    client.ip = text;
    return client;
}

void Loop::start(std::chrono::milliseconds tick) {
    tick_ = tick;
    for (const auto& acceptor : acceptors_)
        accept(*acceptor);
    sweep();
}

void Loop::run(std::uint64_t generation) {
    current_loop = this;
    current_generation = generation;
    while (owner_generation_.load(std::memory_order_acquire) == generation) {
        if (context_.run_one() == 0)
            break;  // the loop has finished
    }
    current_loop = nullptr;
}

bool Loop::on_owner_thread() const noexcept {
    return current_loop == this && current_generation == owner_generation_.load(std::memory_order_acquire);
}

Loop::UserCode::UserCode(Loop& loop) noexcept : loop_(loop), owner_(loop.on_owner_thread()) {
    if (owner_) {
        loop_.user_code_entries_.fetch_add(1, std::memory_order_relaxed);
        loop_.owner_in_user_code_.store(true, std::memory_order_relaxed);
    }
}

Loop::UserCode::~UserCode() {
    if (owner_ && loop_.on_owner_thread())
        loop_.owner_in_user_code_.store(false, std::memory_order_relaxed);
}

std::uint64_t Loop::take_over_if_stalled() noexcept {
    const std::uint64_t entries = user_code_entries_.load(std::memory_order_relaxed);
    if (!owner_in_user_code_.load(std::memory_order_relaxed) || entries != watchdog_seen_entries_ ||
        entries == watchdog_replaced_at_) {
        watchdog_seen_entries_ = entries;
        return 0;
    }
    // Still inside the same handler as one tick ago: a new thread takes the loop over.
    watchdog_replaced_at_ = entries;
    owner_in_user_code_.store(false, std::memory_order_relaxed);
    return owner_generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
}

void Loop::accept(Acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](const boost::system::error_code& error, stream::socket socket) {
        if (error == asio::error::operation_aborted || !acceptor.is_open())
            return;
        if (error) {
            // Out of descriptors (EMFILE, ENFILE) or memory: accepting pauses and is tried again
            // shortly, rather than spinning on a listening socket that stays readable; said once
            // until an accept succeeds again.
            if (!accept_failing_) {
                accept_failing_ = true;
                // The message from strerror, not through an error category's virtual message():
                // with no descriptor left even the sanitizers' runtime cannot check that call.
                char text[128];
                const char* reason = ::strerror_r(error.value(), text, sizeof text);
                shared_.report(std::runtime_error(std::string("httpkit: accept failed: ") + reason +
                                                  "; accepting pauses, and resumes when it can"),
                               ClientInfo{});
            }
            // One member timer for every paused acceptor: nothing allocated, and nothing that the
            // sanitizers would check for the first time, while the process is out of descriptors.
            paused_acceptors_.push_back(&acceptor);
            if (paused_acceptors_.size() == 1) {
                accept_retry_.expires_after(std::chrono::milliseconds(100));
                accept_retry_.async_wait([this](const boost::system::error_code& e) {
                    std::vector<Acceptor*> paused;
                    paused.swap(paused_acceptors_);
                    if (e)
                        return;
                    for (Acceptor* a : paused)
                        if (a->is_open())
                            accept(*a);
                });
            }
            return;
        }
        accept_failing_ = false;
        accept(acceptor);

        ClientInfo client = peer_of(socket);
        const std::size_t open = shared_.connections.fetch_add(1) + 1;  // seq_cst: see supervise()
        if (config_.max_connections != 0 && open > config_.max_connections) {
            shared_.connections.fetch_sub(1, std::memory_order_relaxed);
            metrics_.count_refusal(Status::SERVICE_UNAVAILABLE);
            // Over the limit: a short answer, best effort, and close.
            static constexpr std::string_view busy =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
                "Retry-After: 1\r\nConnection: close\r\n\r\nToo many connections";
            boost::system::error_code ignored;
            socket.non_blocking(true, ignored);
            socket.write_some(asio::buffer(busy), ignored);
            socket.shutdown(stream::socket::shutdown_both, ignored);
            socket.close(ignored);
            return;
        }
        if (open == 1)
            shared_.connection_opened_after_none();
        std::make_shared<Connection>(*this, std::move(socket), std::move(client))->start();
    });
}

void Loop::sweep() {
    sweeper_.expires_after(tick_);
    sweeper_.async_wait([this](const boost::system::error_code& error) {
        // A wait that completed just before finish_if_drained() cancelled it arrives without an
        // error: it must not start another.
        if (error || finished_.load(std::memory_order_relaxed))
            return;
        const Clock::time_point now = Clock::now();
        for (Connection* c = first_; c != nullptr;) {
            Connection* next = c->next;  // check_deadline may unlink c
            c->check_deadline(now);
            c = next;
        }
        sweep();
    });
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
    asio::post(context_, [this] {
        shutting_down_ = true;
        boost::system::error_code ignored;
        for (const auto& acceptor : acceptors_)
            acceptor->close(ignored);
        accept_retry_.cancel();
        for (Connection* c = first_; c != nullptr;) {
            Connection* next = c->next;
            c->shut_down();
            c = next;
        }
        finish_if_drained();
    });
}

void Loop::cut_connections() {
    asio::post(context_, [this] {
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
    // Nothing left: let the loop run out of work, so its thread returns.
    sweeper_.cancel();
    work_.reset();
    finished_.store(true, std::memory_order_release);
}

}  // namespace http::detail
