// One I/O event loop of the server: its own reactor (io_uring or epoll), listening sockets and
// connections.
//
// Handlers run on the loop's thread. When one blocks for longer than the server's
// blocking_threshold, the watchdog makes another thread the loop's owner (a parked spare, or a
// new one); the old thread finishes its handler, hands the rest of that request back to the
// loop, and parks to take over a stalled loop later. Only the owner runs
// the loop's event handlers, so a loop's state needs no lock.
#pragma once

#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/reactor.hpp"
#include "server/stream_state.hpp"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <vector>

namespace http::detail {

/// Who is at `address` (as accept(2) gave it): an IP address and port, or "unix:" for a Unix
/// socket.
ClientInfo peer_of(const sockaddr_storage& address);
/// The port of an IPv4 or IPv6 address; 0 for another family.
std::uint16_t port_of(const sockaddr_storage& address) noexcept;
/// The port a socket is bound to; 0 if it has none (or is not an IP socket).
std::uint16_t local_port_of(int fd) noexcept;
/// A non-blocking, close-on-exec TCP socket bound to `address`, with SO_REUSEADDR and
/// SO_REUSEPORT as asked. Throws std::system_error naming the call that failed.
int bound_socket(const sockaddr_storage& address, socklen_t length, bool reuse_address, bool reuse_port);
using Clock = std::chrono::steady_clock;

class Connection;
class ServerTls;

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
    ServerTls* tls = nullptr;     ///< the server's TLS, if it speaks TLS; set before any loop runs

private:
    const ServerConfig& config_;
    std::array<std::atomic<std::uint64_t>, 16> reported_statuses_{};
    std::mutex log_mutex_;
};

class Loop {
public:
    /// On `ring` when given (io_uring), else on epoll.
    Loop(const ServerConfig& config, ServerShared& shared, std::unique_ptr<Ring> ring = nullptr);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    Reactor& reactor() noexcept { return reactor_; }
    LoopMetrics& metrics() noexcept { return metrics_; }
    const ServerConfig& config() const noexcept { return config_; }
    ServerShared& shared() noexcept { return shared_; }
    /// What streams made by this loop's handlers know of it.
    const StreamContext& stream_context() const noexcept { return stream_context_; }

    /// Opens a TCP listening socket of this loop's on `address` (SO_REUSEPORT lets every loop
    /// have one on the same port). Throws std::system_error.
    void listen(const sockaddr_storage& address, socklen_t length, bool reuse_address, bool reuse_port);
    /// Accepts on a listening socket it is given (its own duplicate of a shared one: a Unix
    /// socket, systemd's sockets), and closes it when done (or on failure). Throws
    /// std::system_error.
    void adopt(int fd);
    /// Its listening sockets (before start(), or before begin_shutdown() closes them).
    std::vector<int> listening_fds() const;
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
    /// No loop (an exchange run without one): nothing to mark.
    class UserCode {
    public:
        explicit UserCode(Loop& loop) noexcept : UserCode(&loop) {}
        explicit UserCode(Loop* loop) noexcept;
        ~UserCode();
        UserCode(const UserCode&) = delete;
        UserCode& operator=(const UserCode&) = delete;

    private:
        Loop* loop_;
        bool owner_;
    };

    /// For the watchdog: if the owner has been inside the same piece of user code since the last
    /// call, makes a new generation the owner and returns it (the caller starts its thread);
    /// otherwise returns 0.
    std::uint64_t take_over_if_stalled() noexcept;
    bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }

private:
    /// A listening socket, watched level-triggered: what one wake-up does not accept is
    /// reported again.
    struct Listener final : Watcher {
        Listener(Loop& owner, int socket) noexcept : loop(owner), fd(socket) {}
        ~Listener();
        void on_events(std::uint32_t) override { loop.accept(*this); }
        Loop& loop;
        int fd;
        bool paused = false;  // out of descriptors: not watched until the retry
    };
    void add_listener(int fd);
    void accept(Listener& listener);
    /// Accepting failed for want of descriptors or memory: pauses `listener` and tries again soon.
    void pause(Listener& listener, int error);
    void start_connection(int fd, const sockaddr_storage& address);
    void sweep();
    void finish_if_drained();

    const ServerConfig& config_;
    ServerShared& shared_;
    Reactor reactor_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    LoopMetrics metrics_;
    StreamContext stream_context_;
    bool accept_failing_ = false;  // reported once until an accept succeeds again
    bool retry_scheduled_ = false;  // paused listeners are tried again shortly
    std::chrono::milliseconds tick_{100};
    bool shutting_down_ = false;
    std::atomic<bool> finished_{false};

    // Intrusive list of this loop's connections (owner thread only).
    Connection* first_ = nullptr;

    // Ownership and stall detection.
    Ownership ownership_;
    std::uint64_t watchdog_seen_ = 0;  // watchdog thread only
};

}  // namespace http::detail
