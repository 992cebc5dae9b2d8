#include "server/loop.hpp"

#include "server/connection.hpp"

#include <boost/asio/post.hpp>

#include <sys/socket.h>
#include <unistd.h>

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
      acceptor_(context_),
      sweeper_(context_) {}

Loop::~Loop() = default;

void Loop::listen(const tcp::endpoint& endpoint, bool reuse_address, bool use_reuse_port) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(reuse_address));
    if (use_reuse_port)
        acceptor_.set_option(reuse_port(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t Loop::local_port() const { return acceptor_.local_endpoint().port(); }

void Loop::start(std::chrono::milliseconds tick) {
    tick_ = tick;
    accept();
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

void Loop::accept() {
    acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
        if (error == asio::error::operation_aborted || !acceptor_.is_open())
            return;
        if (error) {
            // Out of descriptors or memory: say so, and try again shortly rather than spin.
            shared_.report(std::system_error(error, "httpkit: accept failed"), ClientInfo{});
            auto retry = std::make_shared<asio::steady_timer>(context_, std::chrono::milliseconds(100));
            retry->async_wait([this, retry](const boost::system::error_code& e) {
                if (!e && acceptor_.is_open())
                    accept();
            });
            return;
        }
        accept();

        ClientInfo client;
        boost::system::error_code endpoint_error;
        const tcp::endpoint peer = socket.remote_endpoint(endpoint_error);
        if (!endpoint_error) {
            client.ip = peer.address().to_string();
            client.port = peer.port();
        }
        const std::size_t open = shared_.connections.fetch_add(1) + 1;  // seq_cst: see supervise()
        if (config_.max_connections != 0 && open > config_.max_connections) {
            shared_.connections.fetch_sub(1, std::memory_order_relaxed);
            // Over the limit: a short answer, best effort, and close.
            static constexpr std::string_view busy =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
                "Retry-After: 1\r\nConnection: close\r\n\r\nToo many connections";
            boost::system::error_code ignored;
            socket.non_blocking(true, ignored);
            socket.write_some(asio::buffer(busy), ignored);
            socket.shutdown(tcp::socket::shutdown_both, ignored);
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
        acceptor_.close(ignored);
        for (Connection* c = first_; c != nullptr;) {
            Connection* next = c->next;
            c->shut_down();
            c = next;
        }
        finish_if_drained();
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
