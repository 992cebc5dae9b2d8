#include "server/reactor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace http::detail {

namespace {

constexpr std::uint64_t inside = 1;
constexpr std::uint64_t entries_mask = 0xffff'fffe;

}  // namespace

bool Ownership::enter(std::uint64_t generation) noexcept {
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    while (true) {
        if (word >> 32 != generation)
            return false;
        const std::uint64_t entered = (word & ~entries_mask & ~inside) | ((word + 2) & entries_mask) | inside;
        // Release: what the owner did before is seen by a thread that takes the loop over.
        if (word_.compare_exchange_weak(word, entered, std::memory_order_acq_rel, std::memory_order_relaxed))
            return true;
    }
}

bool Ownership::leave(std::uint64_t generation) noexcept {
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    while (true) {
        if (word >> 32 != generation)
            return false;  // taken over
        if (word_.compare_exchange_weak(word, word & ~inside, std::memory_order_acq_rel, std::memory_order_relaxed))
            return true;
    }
}

std::uint64_t Ownership::take_over_if_stalled(std::uint64_t& seen) noexcept {
    std::uint64_t word = word_.load(std::memory_order_acquire);
    if (!(word & inside) || word != seen) {
        seen = word;
        return 0;
    }
    // Inside the same piece of application code as one tick ago: the next generation owns the
    // loop, unless the owner has just come back (then the exchange fails, and nothing happens).
    const std::uint64_t generation = (word >> 32) + 1;
    if (!word_.compare_exchange_strong(word, generation << 32 | (word & entries_mask), std::memory_order_acq_rel)) {
        seen = word;
        return 0;
    }
    return generation;
}

std::uint64_t Ownership::take_over() noexcept {
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    while (!word_.compare_exchange_weak(word, (((word >> 32) + 1) << 32) | (word & entries_mask),
                                        std::memory_order_acq_rel, std::memory_order_relaxed)) {
    }
    return (word >> 32) + 1;
}

namespace {

// Events taken from the kernel at a time.
constexpr int max_events = 128;

}  // namespace

Reactor::Reactor(std::unique_ptr<Ring> ring)
    : life_(std::make_shared<ReactorLife>(this)), ring_(std::move(ring)) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0)
        throw std::system_error(errno, std::system_category(), "httpkit: eventfd");
    if (ring_) {
        ring_->watch(wake_fd_, EPOLLIN | EPOLLET, nullptr);  // the one slot that names no watcher
        ready_.reserve(max_events);
        return;
    }
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = nullptr;  // the one event that names no watcher
    if (epoll_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
        const int error = errno;
        if (epoll_fd_ >= 0)
            ::close(epoll_fd_);
        ::close(wake_fd_);
        throw std::system_error(error, std::system_category(), "httpkit: epoll");
    }
    events_.reserve(max_events);
}

Reactor::~Reactor() {
    {
        const std::lock_guard lock(life_->mutex);
        life_->reactor = nullptr;
    }
    ring_.reset();  // lets go of the eventfd
    ::close(wake_fd_);
    if (epoll_fd_ >= 0)
        ::close(epoll_fd_);
}

void Reactor::watch(int fd, std::uint32_t events, Watcher& watcher) {
    if (ring_) {
        const std::lock_guard lock(mutex_);
        ring_->watch(fd, events, &watcher);
        return;
    }
    epoll_event event{};
    event.events = events;
    event.data.ptr = &watcher;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0)
        throw std::system_error(errno, std::system_category(), "httpkit: epoll_ctl");
}

void Reactor::forget(int fd) noexcept {
    if (ring_) {
        const std::lock_guard lock(mutex_);
        ring_->forget(fd);
        return;
    }
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

Ring::Slot* Reactor::watch_socket(int fd, Watcher& watcher) {
    if (!ring_) {
        watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, watcher);
        return nullptr;
    }
    const std::lock_guard lock(mutex_);
    return ring_->watch_socket(fd, watcher);
}

ssize_t Reactor::receive(Ring::Slot& slot, char* buffer, std::size_t room, Ring::Input& left) {
    const std::lock_guard lock(mutex_);
    return ring_->receive(slot, buffer, room, left);
}

Ring::Input Reactor::input(const Ring::Slot& slot) {
    const std::lock_guard lock(mutex_);
    return ring_->input(slot);
}

ssize_t Reactor::send(Ring::Slot& slot, const iovec* buffers, int count) {
    const std::lock_guard lock(mutex_);
    return ring_->send(slot, buffers, count);
}

void Reactor::want_writable(Ring::Slot& slot) {
    const std::lock_guard lock(mutex_);
    ring_->want_writable(slot);
}

void Reactor::post(Task task) {
    const std::lock_guard lock(mutex_);
    posted_.push_back(std::move(task));
    // Only a thread waiting in epoll_wait needs waking: one that is not sees the task first.
    wake_poller();
}

Reactor::TimerId Reactor::after(std::chrono::milliseconds delay, Task task) {
    const Clock::time_point at = Clock::now() + delay;
    const std::lock_guard lock(mutex_);
    const auto inserted = timers_.emplace(TimerId{at, next_timer_++}, std::move(task)).first;
    // A poller waits until the earliest timer it knew of; one that is now earlier wakes it.
    if (inserted == timers_.begin())
        wake_poller();
    return inserted->first;
}

void Reactor::cancel(const TimerId& id) noexcept {
    Task dropped;  // destroyed outside the lock: it may hold what holds the reactor's callers
    const std::lock_guard lock(mutex_);
    if (const auto it = timers_.find(id); it != timers_.end()) {
        dropped = std::move(it->second);
        timers_.erase(it);
    }
}

void Reactor::wake_poller() {
    if (pollers_ == 0 || wake_pending_)
        return;
    wake_pending_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
}

void Reactor::release_later(std::shared_ptr<void> object) {
    const std::lock_guard lock(mutex_);
    released_.push_back(std::move(object));
}

void Reactor::finish() noexcept {
    const std::lock_guard lock(mutex_);
    finished_ = true;
}

bool Reactor::run_one(const Ownership& owner, std::uint64_t generation) {
    std::unique_lock lock(mutex_);
    while (owner.held_by(generation)) {
        if (!posted_.empty()) {
            Task task = std::move(posted_.front());
            posted_.pop_front();
            lock.unlock();
            task();
            return true;
        }
        if (next_event_ < events_.size()) {
            const epoll_event event = events_[next_event_++];
            lock.unlock();
            static_cast<Watcher*>(event.data.ptr)->on_events(event.events);
            return true;
        }
        if (next_event_ < ready_.size()) {
            const Ring::Ready ready = ready_[next_event_++];
            // Forgotten since it was reaped (an event before it closed the connection): nothing.
            Watcher* const watcher = Ring::watcher_of(*ready.slot);
            lock.unlock();
            if (watcher)
                watcher->on_events(ready.events);
            return true;
        }
        events_.clear();
        ready_.clear();
        next_event_ = 0;
        if (ring_ && pollers_ == 0)
            ring_->collect();  // no event in hand names a slot any more
        if (!released_.empty() && pollers_ == 0) {
            // No event taken from the kernel can name these any more.
            std::vector<std::shared_ptr<void>> released;
            released.swap(released_);
            lock.unlock();
            released.clear();
            lock.lock();
            continue;
        }
        if (finished_) {
            if (ring_)
                ring_->submit();  // the last cancellations: the ring lets go of the sockets closed
            return false;
        }
        int timeout_ms = -1;
        if (!timers_.empty()) {
            const Clock::time_point now = Clock::now();
            if (timers_.begin()->first.first <= now) {
                Task task = std::move(timers_.begin()->second);
                timers_.erase(timers_.begin());
                lock.unlock();
                task();
                return true;
            }
            // Rounded up: waking before the timer is due would only wait again.
            const auto wait = std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first.first - now);
            timeout_ms = static_cast<int>(std::min<std::int64_t>(wait.count(), 60'000));
        }
        poll(lock, timeout_ms);
    }
    return true;  // no longer the owner: the caller leaves
}

void Reactor::poll(std::unique_lock<std::mutex>& lock, int timeout_ms) {
    if (ring_) {
        poll_ring(lock, timeout_ms);
        return;
    }
    ++pollers_;
    lock.unlock();
    std::array<epoll_event, max_events> got;
    int n = ::epoll_wait(epoll_fd_, got.data(), max_events, timeout_ms);
    if (n > 0)
        woke_at_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    lock.lock();
    --pollers_;
    if (n < 0)
        return;  // EINTR: the caller looks again
    bool woken = false;
    for (int i = 0; i < n; ++i) {
        if (got[static_cast<std::size_t>(i)].data.ptr == nullptr)
            woken = true;
        else
            events_.push_back(got[static_cast<std::size_t>(i)]);
    }
    if (woken) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto read = ::read(wake_fd_, &count, sizeof count);
        wake_pending_ = false;
    }
    // Two pollers only around a takeover: the other may be the owner, and these are its events.
    if (n > 0)
        wake_poller();
}

void Reactor::poll_ring(std::unique_lock<std::mutex>& lock, int timeout_ms) {
    // What the loop's events queued (receives, sends, cancellations) goes with the wait: one
    // system call a turn.
    const unsigned to_submit = ring_->flush();
    ++pollers_;
    lock.unlock();
    ring_->wait(to_submit, timeout_ms);
    lock.lock();
    --pollers_;
    bool woken = false;
    const std::size_t before = ready_.size();
    ring_->reap(ready_, woken);
    const bool got = ready_.size() > before;
    if (got)
        woke_at_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    if (woken) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto read = ::read(wake_fd_, &count, sizeof count);
        wake_pending_ = false;
    }
    if (got)
        wake_poller();  // as for epoll: another poller may be the owner
}

}  // namespace http::detail
