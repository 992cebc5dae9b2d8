// The server's event loop: one epoll instance or one io_uring (ring.hpp), the tasks posted to
// it, and a few timers.
//
// Connections are registered once, edge-triggered, for reading and writing together, and stay
// so until they close: the kernel is never asked to change what it watches, so a request costs
// one read and one write besides its share of epoll_wait. A connection keeps what the last edge
// told it (readable until a read comes back short) and reads only when there is something to
// read: no read per request that can only fail with EAGAIN. On io_uring, a plain connection's
// bytes go through the ring instead (watch_socket), with the same events.
//
// Ownership moves between threads (see loop.hpp): run_one() hands out one task or event at a
// time, under a mutex, and only to the thread that still owns the loop. So a thread that lost the
// loop while in a handler can never take another event, and the state of everything the loop
// dispatches to needs no lock of its own.
#pragma once

#include "server/ring.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <sys/epoll.h>

namespace http::detail {

/// Who owns a loop (a generation: the watchdog makes a new one when the owner stalls) and whether
/// the owner is inside application code, in one word, so that the watchdog's takeover and the
/// owner's return from application code cannot both succeed: once leave() has said the owner is
/// back, no takeover happens until it enters again, and once a takeover has happened, leave() and
/// held_by() say so on the old owner's thread. Bits 32-63: the generation; 1-31: how many times
/// the owner entered application code (modulo 2^31); 0: it is inside.
class Ownership {
public:
    bool held_by(std::uint64_t generation) const noexcept {
        return word_.load(std::memory_order_acquire) >> 32 == generation;
    }
    /// The owner `generation` enters application code. False if it no longer owns the loop.
    bool enter(std::uint64_t generation) noexcept;
    /// It has returned from application code. False if the loop was taken over meanwhile.
    bool leave(std::uint64_t generation) noexcept;
    /// The watchdog, every tick: if the owner is inside the same piece of application code as
    /// when the word was `seen` (the last call's), the loop is taken over: the new generation is
    /// returned, and its thread must be started. Otherwise 0, and `seen` becomes the word now.
    std::uint64_t take_over_if_stalled(std::uint64_t& seen) noexcept;
    /// Takes the loop over whatever its owner does (for tests). Returns the new generation.
    std::uint64_t take_over() noexcept;

private:
    std::atomic<std::uint64_t> word_{std::uint64_t{1} << 32};
};

/// Something registered with a Reactor, told which epoll events came for it.
class Watcher {
public:
    virtual void on_events(std::uint32_t events) = 0;

protected:
    ~Watcher() = default;
};

class Reactor;

/// Whether a Reactor still exists, for what may outlive it (a client's pooled connection
/// registered with a server's loop): while `mutex` is held, `reactor` is either alive or null.
struct ReactorLife {
    explicit ReactorLife(Reactor* r) noexcept : reactor(r) {}
    std::mutex mutex;
    Reactor* reactor;
};

class Reactor {
public:
    using Task = std::function<void()>;
    using Clock = std::chrono::steady_clock;
    /// A timer, to cancel it.
    using TimerId = std::pair<Clock::time_point, std::uint64_t>;

    /// On `ring` when given, else on epoll. Throws std::system_error when the kernel refuses an
    /// epoll instance or an eventfd.
    explicit Reactor(std::unique_ptr<Ring> ring = nullptr);
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    /// Starts telling `watcher` of `events` (EPOLLIN, EPOLLOUT, EPOLLET ...) on `fd`, until `fd`
    /// is closed or forgotten. Throws std::system_error.
    void watch(int fd, std::uint32_t events, Watcher& watcher);
    /// Stops watching `fd`. Call it before closing `fd`: on io_uring, the ring holds the socket
    /// open until then.
    void forget(int fd) noexcept;

    /// True when the loop runs on io_uring.
    bool uses_ring() const noexcept { return ring_ != nullptr; }
    /// Watches a connected stream socket as watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
    /// does. On io_uring its bytes go through the ring from now on: the slot returned is what
    /// receive() and send() take, in place of recv(2) and sendmsg(2). Throws std::system_error.
    Ring::Slot* watch_socket(int fd, Watcher& watcher);
    /// Ring::receive, Ring::input, Ring::send and Ring::want_writable under the mutex.
    ssize_t receive(Ring::Slot& slot, char* buffer, std::size_t room, Ring::Input& left);
    Ring::Input input(const Ring::Slot& slot);
    ssize_t send(Ring::Slot& slot, const iovec* buffers, int count);
    void want_writable(Ring::Slot& slot);

    /// Runs `task` on the loop soon. Thread-safe.
    void post(Task task);
    /// Runs `task` on the loop after `delay`. Thread-safe.
    TimerId after(std::chrono::milliseconds delay, Task task);
    /// Drops the timer `id` if it has not run yet (its task is destroyed here). Thread-safe.
    void cancel(const TimerId& id) noexcept;
    /// Null once this reactor is destroyed.
    const std::shared_ptr<ReactorLife>& life() const noexcept { return life_; }
    /// Keeps `object` alive until the events already taken from the kernel, which may name it,
    /// have been dispatched. Thread-safe.
    void release_later(std::shared_ptr<void> object);

    /// No more work will come: run_one() returns false once the posted tasks are done; timers
    /// not yet due are dropped. Thread-safe.
    void finish() noexcept;

    /// While `generation` owns the loop: runs one posted task, due timer or event, waiting for
    /// one if none is ready. False once the loop has finished.
    bool run_one(const Ownership& owner, std::uint64_t generation);

    /// When the last epoll_wait returned with events: when the bytes being handled now were
    /// taken from the kernel, to within the time it takes to dispatch one batch. One clock
    /// reading a batch, where a request's start would take one a request. Thread-safe.
    Clock::time_point woke_at() const noexcept {
        return Clock::time_point(Clock::duration(woke_at_.load(std::memory_order_relaxed)));
    }

private:
    /// Waits in epoll_wait or io_uring_enter (the lock released meanwhile) and adds what it got
    /// to events_ or ready_.
    void poll(std::unique_lock<std::mutex>& lock, int timeout_ms);
    void poll_ring(std::unique_lock<std::mutex>& lock, int timeout_ms);
    /// Makes a thread waiting in epoll_wait return (the mutex held).
    void wake_poller();

    int epoll_fd_ = -1;
    int wake_fd_ = -1;  // an eventfd: post() wakes a waiting epoll_wait through it

    std::mutex mutex_;
    std::deque<Task> posted_;
    std::map<TimerId, Task> timers_;             // by when, then in the order they were set
    std::uint64_t next_timer_ = 0;
    std::shared_ptr<ReactorLife> life_;
    std::unique_ptr<Ring> ring_;                 // null on epoll
    std::vector<epoll_event> events_;            // taken from the kernel, dispatched from next_event_
    std::vector<Ring::Ready> ready_;             // the same, on io_uring
    std::size_t next_event_ = 0;
    std::vector<std::shared_ptr<void>> released_;  // closed since the last poll
    int pollers_ = 0;           // threads in epoll_wait (more than one only around a takeover)
    bool wake_pending_ = false;  // wake_fd_ was written and not yet read
    bool finished_ = false;
    std::atomic<Clock::rep> woke_at_{Clock::now().time_since_epoch().count()};
};

}  // namespace http::detail
