// Where a coroutine (http::Task) runs: a strand is one handler's, or one http::run()'s, chain of
// coroutines, resumed one piece at a time on a loop's thread.
//
// The coroutines of a strand never run on two threads at once. A wait that completes (a timer, a
// socket) resumes its coroutine through the strand: at once when nothing of the strand runs, else
// after what runs now has suspended (when_all's children wait on several things at once, and a
// thread the watchdog replaced may still be resuming one). The strand is the current one on the
// thread while it resumes, so that an await knows whose loop to wait on.
//
// Cancellation: cancel() marks the strand; each wait suspended in it is resumed at once with
// `cancelled` set (its await throws http::Cancelled), and each wait begun after it is refused the
// same way, so the coroutines unwind to their end without waiting on anything.
#pragma once

#include "server/reactor.hpp"

#include <http/task.hpp>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace http::detail {

class Loop;

class Strand : public std::enable_shared_from_this<Strand> {
public:
    /// On `reactor`'s loop; `loop`, when given, is told of application code (its watchdog).
    Strand(Reactor& reactor, Loop* loop) noexcept : reactor_(reactor), loop_(loop) {}

    /// The strand resuming on this thread, or null outside any.
    static Strand* current() noexcept;
    Reactor& reactor() noexcept { return reactor_; }

    /// Runs `root` until it first waits or ends. Once it has ended (here or later, on the thread
    /// that resumes it), `done` is called, once, and let go.
    void start(std::coroutine_handle<> root, PromiseBase& promise, std::function<void()> done);

    /// A coroutine suspended in this strand until a completion (or a cancellation) resumes it.
    struct Wait {
        std::coroutine_handle<> handle;
        std::uint64_t id = 0;
        bool cancelled = false;
    };
    /// Registers `wait`, from an await_suspend; false when the strand is cancelled (the await must
    /// not suspend, and throws http::Cancelled). Afterwards complete(wait.id) resumes it.
    bool suspend(Wait& wait);
    /// From an await_suspend: `wait`, to resume `handle`, suspended in the current strand, which
    /// is returned; null when that strand is cancelled (wait.cancelled is set, and the await must
    /// not suspend). Throws std::logic_error outside any strand.
    static Strand* suspend_current(Wait& wait, std::coroutine_handle<> handle);
    /// Resumes the wait `id`, if it still waits. Thread: the loop's owner.
    void complete(std::uint64_t id);
    /// The client went away: every wait throws http::Cancelled from now on; those suspended are
    /// resumed soon, on the loop (not within this call).
    void cancel();
    /// A wait whose coroutine frame goes before it was resumed: it is not resumed.
    void forget(std::uint64_t id) noexcept;
    /// The coroutines are destroyed without being resumed (their exchange goes): nothing is
    /// resumed any more, and `done` is not called.
    void abandon() noexcept;
    bool cancelled() const;
    /// Whether this is a blocking http::run()'s strand (no server loop) with nothing else
    /// suspended in it: a wait now has nothing to interleave with, and may hold the thread.
    bool alone() const;

private:
    /// Resumes `handle`, then whatever became ready meanwhile; `resuming_` is set on entry.
    void drive(std::coroutine_handle<> handle);
    /// Resumes what is ready (cancelled waits), unless a resumption is under way.
    void resume_ready();

    Reactor& reactor_;
    Loop* const loop_;
    mutable std::mutex mutex_;
    std::coroutine_handle<> root_;
    std::function<void()> done_;
    std::vector<Wait*> waits_;                  // suspended: few (when_all's children)
    std::vector<std::coroutine_handle<>> ready_;  // completed while another resumption ran (few)
    std::uint64_t next_id_ = 1;
    bool resuming_ = false;
    bool cancelled_ = false;
};

/// The awaitable of a wait on the current strand: `begin(strand, id)` arranges for
/// strand.complete(id) to be called (a timer, a socket's readiness).
template <class Begin>
struct StrandWait {
    explicit StrandWait(Begin b) : begin(std::move(b)) {}
    StrandWait(const StrandWait&) = delete;
    StrandWait& operator=(const StrandWait&) = delete;
    ~StrandWait() {
        if (strand)
            strand->forget(wait.id);  // resumed already: nothing; destroyed while it waits: forgotten
    }

    Begin begin;
    Strand::Wait wait{};
    Strand* strand = nullptr;  // registered with it (it outlives its coroutines' frames)
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) {
        strand = Strand::suspend_current(wait, handle);
        if (!strand)
            return false;
        begin(*strand, wait.id);
        return true;
    }
    void await_resume() const;
};

/// Throws http::Cancelled.
[[noreturn]] void throw_cancelled();

/// A wait in a coroutine on the current strand until a count moves past `seen` (co_await gives
/// true) or `deadline` passes (false); throws http::Cancelled when the strand is cancelled. It is
/// decided without suspending when the count has moved or the deadline has passed already, and
/// resumed as soon as it has suspended when the count moves between that check and the suspension.
/// However it ends (the count moved, timed out, cancelled, or its coroutine destroyed while it
/// waits), `Source::settle()` is called if it suspended, so that nothing is kept for it. An
/// awaitable, not a coroutine: a wait costs no frame of its own. Trigger::wait() and a client's
/// HTTP/2 stream wait with it.
///
/// `Source`, made from the constructor's last arguments, keeps the count and the suspended waits:
///   std::mutex& mutex() const;             guards the rest
///   std::uint64_t count_locked() const;
///   void suspend_locked(Strand&, std::uint64_t wait_id, Clock::time_point deadline);
///                                          strand.complete(wait_id) when the count moves or
///                                          the deadline passes, and then timed_out_locked()
///   bool timed_out_locked() const;
///   void settle() noexcept;                the wait is over: neither resumed nor timed any more
template <class Source>
class CountWait {
public:
    using Clock = std::chrono::steady_clock;

    template <class... SourceArgs>
    CountWait(std::uint64_t seen, Clock::time_point deadline, SourceArgs&&... source)
        : source_(std::forward<SourceArgs>(source)...), seen_(seen), deadline_(deadline) {}
    CountWait(const CountWait&) = delete;
    CountWait& operator=(const CountWait&) = delete;
    ~CountWait() {
        if (suspended_)
            source_.settle();
        if (strand_)
            strand_->forget(wait_.id);  // resumed already: nothing; destroyed while it waits: forgotten
    }

    bool await_ready() {
        const std::lock_guard lock(source_.mutex());
        if (source_.count_locked() != seen_)
            ready_ = true;
        else if (deadline_ <= Clock::now())
            ready_ = false;
        return ready_.has_value();
    }
    bool await_suspend(std::coroutine_handle<> handle) {
        Strand* const strand = Strand::suspend_current(wait_, handle);
        if (!strand)
            return false;  // cancelled: await_resume throws
        strand_ = strand;
        std::unique_lock lock(source_.mutex());
        if (source_.count_locked() != seen_) {
            lock.unlock();
            strand->complete(wait_.id);  // moved meanwhile: resumed as soon as this piece suspends
            return true;
        }
        source_.suspend_locked(*strand, wait_.id, deadline_);
        suspended_ = true;
        return true;
    }
    bool await_resume() const {
        if (wait_.cancelled)
            throw_cancelled();
        if (ready_)
            return *ready_;
        const std::lock_guard lock(source_.mutex());
        return !source_.timed_out_locked();
    }

private:
    Source source_;
    std::uint64_t seen_;
    Clock::time_point deadline_;
    Strand::Wait wait_{};
    Strand* strand_ = nullptr;   // suspended in it
    bool suspended_ = false;     // handed to the source
    std::optional<bool> ready_;  // decided without suspending
};

/// Something that happens again and again (a socket became readable) or once (a name resolved),
/// counted, which coroutines await with a deadline: wait(seen, deadline) returns once the count
/// is past `seen`, the count taken before the attempt that found nothing to do, so that what
/// happens between that attempt and the wait is never missed. Several may wait at once (the
/// requests waiting for one connection to open); fire() resumes them all.
///
/// fire() runs on the loop of the coroutines that wait (a watcher's on_events), or is posted to
/// it (a resolver's thread). Held in a shared_ptr: the deadlines' timers hold weak ones.
class Trigger : public std::enable_shared_from_this<Trigger> {
public:
    using Clock = std::chrono::steady_clock;

    std::uint64_t count() const;
    /// Counts one, and resumes the waits.
    void fire();
    /// A wait's hold on the trigger (CountWait's source): a waiter with its own timer.
    class Waiting;
    using Wait = CountWait<Waiting>;
    /// In a coroutine on a strand, co_await it: until count() != seen (true) or `deadline`
    /// (false). Throws http::Cancelled when the strand is cancelled.
    Wait wait(std::uint64_t seen, Clock::time_point deadline);

private:
    struct Waiter {
        std::uint64_t token;  // this trigger's own number for the wait
        std::weak_ptr<Strand> strand;
        std::uint64_t id;     // the strand's
        Reactor* reactor;
        std::optional<Reactor::TimerId> timer;
        bool* timed_out;      // in the waiting coroutine's frame
    };
    void time_out(std::uint64_t token);
    /// After the wait `token`, however it ended: no longer waiting, and its timer (if it did not
    /// fire) gone.
    void settle(std::uint64_t token) noexcept;

    mutable std::mutex mutex_;
    std::uint64_t count_ = 0;
    std::uint64_t next_token_ = 0;
    std::vector<Waiter> waiters_;  // suspended now: few
};

class Trigger::Waiting {
public:
    explicit Waiting(std::shared_ptr<Trigger> trigger) noexcept : trigger_(std::move(trigger)) {}
    std::mutex& mutex() const { return trigger_->mutex_; }
    std::uint64_t count_locked() const { return trigger_->count_; }
    void suspend_locked(Strand& strand, std::uint64_t wait_id, Clock::time_point deadline);
    bool timed_out_locked() const { return timed_out_; }
    void settle() noexcept { trigger_->settle(token_); }

private:
    std::shared_ptr<Trigger> trigger_;
    std::uint64_t token_ = 0;  // the trigger's number for this wait
    bool timed_out_ = false;
};

template <class Begin>
void StrandWait<Begin>::await_resume() const {
    if (wait.cancelled)
        throw_cancelled();
}

}  // namespace http::detail
