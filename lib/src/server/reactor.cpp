#include "server/reactor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace http::detail {

namespace {

// Events taken from the kernel at a time.
constexpr int max_events = 128;

}  // namespace

Reactor::Reactor() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0)
        throw std::system_error(errno, std::system_category(), "httpkit: epoll_create1");
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = nullptr;  // the one event that names no watcher
    if (wake_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
        const int error = errno;
        if (wake_fd_ >= 0)
            ::close(wake_fd_);
        ::close(epoll_fd_);
        throw std::system_error(error, std::system_category(), "httpkit: eventfd");
    }
    events_.reserve(max_events);
}

Reactor::~Reactor() {
    ::close(wake_fd_);
    ::close(epoll_fd_);
}

void Reactor::watch(int fd, std::uint32_t events, Watcher& watcher) {
    epoll_event event{};
    event.events = events;
    event.data.ptr = &watcher;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0)
        throw std::system_error(errno, std::system_category(), "httpkit: epoll_ctl");
}

void Reactor::forget(int fd) noexcept { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void Reactor::post(Task task) {
    const std::lock_guard lock(mutex_);
    posted_.push_back(std::move(task));
    // Only a thread waiting in epoll_wait needs waking: one that is not sees the task first.
    wake_poller();
}

void Reactor::after(std::chrono::milliseconds delay, Task task) {
    const Clock::time_point at = Clock::now() + delay;
    const std::lock_guard lock(mutex_);
    const auto later = std::upper_bound(timers_.begin(), timers_.end(), at,
                                        [](Clock::time_point t, const Timer& timer) { return t < timer.at; });
    const auto inserted = timers_.insert(later, Timer{at, std::move(task)});
    // A poller waits until the earliest timer it knew of; one that is now earlier wakes it.
    if (inserted == timers_.begin())
        wake_poller();
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

bool Reactor::run_one(const std::atomic<std::uint64_t>& owner, std::uint64_t generation) {
    std::unique_lock lock(mutex_);
    while (owner.load(std::memory_order_acquire) == generation) {
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
        events_.clear();
        next_event_ = 0;
        if (!released_.empty() && pollers_ == 0) {
            // No event taken from the kernel can name these any more.
            std::vector<std::shared_ptr<void>> released;
            released.swap(released_);
            lock.unlock();
            released.clear();
            lock.lock();
            continue;
        }
        if (finished_)
            return false;
        int timeout_ms = -1;
        if (!timers_.empty()) {
            const Clock::time_point now = Clock::now();
            if (timers_.front().at <= now) {
                Task task = std::move(timers_.front().task);
                timers_.erase(timers_.begin());
                lock.unlock();
                task();
                return true;
            }
            // Rounded up: waking before the timer is due would only wait again.
            const auto wait = std::chrono::ceil<std::chrono::milliseconds>(timers_.front().at - now);
            timeout_ms = static_cast<int>(std::min<std::int64_t>(wait.count(), 60'000));
        }
        poll(lock, timeout_ms);
    }
    return true;  // no longer the owner: the caller leaves
}

void Reactor::poll(std::unique_lock<std::mutex>& lock, int timeout_ms) {
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

}  // namespace http::detail
