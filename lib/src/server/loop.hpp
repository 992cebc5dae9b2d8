// One I/O event loop of the server: its own io_context, listening socket and connections.
//
// Handlers run on the loop's thread. When one blocks for longer than the server's
// blocking_threshold, the watchdog makes another thread the loop's owner (a parked spare, or a
// new one); the old thread finishes its handler, hands the rest of that request back to the
// loop, and parks to take over a stalled loop later. Only the owner runs
// the loop's event handlers, so a loop's state needs no lock.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under C++20

#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/stream_state.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <system_error>
#include <vector>
#include <mutex>

namespace http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
// TCP and Unix domain sockets alike (server.unix_socket, systemd's sockets).
using stream = asio::generic::stream_protocol;

/// A Boost error as a std::error_code (POSIX errno values on this platform). Converting through
/// Boost's own category bridge trips UBSan's vptr check when an error is raised in a hot path.
inline std::error_code to_std_error(const boost::system::error_code& error) noexcept {
    return std::error_code(error.value(), std::system_category());
}

/// Who is at the other end of `socket`: an IP address and port, or "unix:" for a Unix socket.
ClientInfo peer_of(const stream::socket& socket);
using Clock = std::chrono::steady_clock;

class Connection;

/// Adds one to an eventfd's counter, waking whoever polls it; a negative fd is ignored.
void signal_eventfd(int fd) noexcept;

/// What the loops share: the connection count and the error hooks.
class ServerShared {
public:
    explicit ServerShared(const ServerConfig& config) : config_(config) {}

    /// Runs the on_error hooks; a hook that throws is ignored.
    void report(const std::exception& error, const ClientInfo& client) const noexcept;
    /// Writes a line to the access log, whole.
    void log_access(std::string_view line) noexcept;
    /// True the first time it is asked about `status` (codes 0-1023): a response that lacks a
    /// field its status requires is reported once per status, not once per response.
    bool first_report_for(Status status) noexcept {
        const unsigned code = static_cast<unsigned>(status) & 1023;
        const std::uint64_t bit = std::uint64_t{1} << (code % 64);
        return !(reported_statuses_[code / 64].fetch_or(bit, std::memory_order_relaxed) & bit);
    }

    /// Wakes the supervisor, which sleeps while there are no connections (no handler can block
    /// then) instead of watching for blocked handlers.
    void connection_opened_after_none() const noexcept { signal_eventfd(supervisor_wake_fd); }

    std::atomic<std::size_t> connections{0};
    std::atomic<bool> shutting_down{false};
    int supervisor_wake_fd = -1;  ///< an eventfd, set before any loop runs

private:
    const ServerConfig& config_;
    std::array<std::atomic<std::uint64_t>, 16> reported_statuses_{};
    std::mutex log_mutex_;
};

class Loop {
public:
    Loop(const ServerConfig& config, ServerShared& shared);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    asio::io_context& context() noexcept { return context_; }
    LoopMetrics& metrics() noexcept { return metrics_; }
    const ServerConfig& config() const noexcept { return config_; }
    ServerShared& shared() noexcept { return shared_; }
    /// What streams made by this loop's handlers know of it.
    const StreamState::Context& stream_context() const noexcept { return stream_context_; }

    /// Opens a TCP listening socket of this loop's (SO_REUSEPORT lets every loop have one on the
    /// same port). Throws boost::system::system_error.
    void listen(const tcp::endpoint& endpoint, bool reuse_address, bool reuse_port);
    /// Accepts on a listening socket it is given (its own duplicate of a shared one: a Unix
    /// socket, systemd's sockets). Throws boost::system::system_error.
    void adopt(int fd);
    /// The port of the first TCP listening socket; 0 if there is none.
    std::uint16_t local_port() const;

    /// Starts accepting and the timeout sweep; call before any thread runs the loop.
    void start(std::chrono::milliseconds tick);
    /// Runs the loop on the calling thread while it is the owner of `generation`.
    void run(std::uint64_t generation);

    /// Stops accepting and closes idle connections; the loop ends when its last connection does.
    /// Thread-safe: the work is posted to the loop.
    void begin_shutdown();
    /// The shutdown deadline passed: closes the connections still open (those in a handler once
    /// it returns). Thread-safe: the work is posted to the loop.
    void cut_connections();

    // For connections, on the owner thread.
    void add(Connection* connection) noexcept;
    void remove(Connection* connection) noexcept;

    /// True on the thread that currently owns the loop.
    bool on_owner_thread() const noexcept;

    /// Marks the calling thread as running user code, for the watchdog.
    class UserCode {
    public:
        explicit UserCode(Loop& loop) noexcept;
        ~UserCode();
        UserCode(const UserCode&) = delete;
        UserCode& operator=(const UserCode&) = delete;

    private:
        Loop& loop_;
        bool owner_;
    };

    /// For the watchdog: if the owner has been inside the same piece of user code since the last
    /// call, makes a new generation the owner and returns it (the caller starts its thread);
    /// otherwise returns 0.
    std::uint64_t take_over_if_stalled() noexcept;
    bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }

private:
    using Acceptor = asio::basic_socket_acceptor<stream>;
    void accept(Acceptor& acceptor);
    void sweep();
    void finish_if_drained();

    const ServerConfig& config_;
    ServerShared& shared_;
    asio::io_context context_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::vector<std::unique_ptr<Acceptor>> acceptors_;
    LoopMetrics metrics_;
    StreamState::Context stream_context_;
    bool accept_failing_ = false;  // reported once until an accept succeeds again
    asio::steady_timer sweeper_;
    asio::steady_timer accept_retry_;           // accepting again after running out of descriptors
    std::vector<Acceptor*> paused_acceptors_;  // waiting for it
    std::chrono::milliseconds tick_{100};
    bool shutting_down_ = false;
    std::atomic<bool> finished_{false};

    // Intrusive list of this loop's connections (owner thread only).
    Connection* first_ = nullptr;

    // Ownership and stall detection.
    std::atomic<std::uint64_t> owner_generation_{1};
    std::atomic<std::uint64_t> user_code_entries_{0};
    std::atomic<bool> owner_in_user_code_{false};
    std::uint64_t watchdog_seen_entries_ = 0;  // watchdog thread only
    std::uint64_t watchdog_replaced_at_ = 0;   // watchdog thread only
};

}  // namespace http::detail
