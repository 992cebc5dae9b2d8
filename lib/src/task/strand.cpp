#include "task/strand.hpp"

#include "server/loop.hpp"

#include <http/task.hpp>

#include <algorithm>

namespace http::detail {

namespace {
thread_local Strand* current_strand = nullptr;
}  // namespace

Strand* Strand::current() noexcept { return current_strand; }

void Strand::start(std::coroutine_handle<> root, PromiseBase& promise, std::function<void()> done) {
    {
        const std::lock_guard lock(mutex_);
        root_ = root;
        done_ = std::move(done);
        resuming_ = true;
    }
    promise.started = true;
    drive(root);
}


bool Strand::cancelled() const {
    const std::lock_guard lock(mutex_);
    return cancelled_;
}

bool Strand::alone() const {
    const std::lock_guard lock(mutex_);
    return loop_ == nullptr && waits_.empty() && ready_.empty() && starting_children == 0;
}

bool Strand::suspend(Wait& wait) {
    const std::lock_guard lock(mutex_);
    if (cancelled_)
        return false;
    wait.id = next_id_++;
    waits_.push_back(&wait);
    return true;
}

void Strand::complete(std::uint64_t id) {
    std::coroutine_handle<> handle;
    {
        const std::lock_guard lock(mutex_);
        const auto it = std::find_if(waits_.begin(), waits_.end(), [id](const Wait* wait) { return wait->id == id; });
        if (it == waits_.end())
            return;  // cancelled meanwhile: it was resumed then
        handle = (*it)->handle;
        waits_.erase(it);
        if (resuming_) {
            ready_.push_back(handle);  // after what runs now suspends
            return;
        }
        resuming_ = true;
    }
    drive(handle);
}

void Strand::cancel() {
    {
        const std::lock_guard lock(mutex_);
        if (cancelled_)
            return;
        cancelled_ = true;
        if (resuming_)
            return;  // the resumption under way cancels the waits once it stops
        for (Wait* wait : waits_) {
            wait->cancelled = true;
            ready_.push_back(wait->handle);
        }
        waits_.clear();
        if (ready_.empty())
            return;
    }
    // The coroutines unwind on the loop, not within the caller (a connection closing): they are
    // application code, which the watchdog may take the loop from.
    reactor_.post([self = shared_from_this()] { self->resume_ready(); });
}

void Strand::resume_ready() {
    std::coroutine_handle<> handle;
    {
        const std::lock_guard lock(mutex_);
        if (resuming_ || ready_.empty())
            return;
        handle = ready_.front();
        ready_.erase(ready_.begin());
        resuming_ = true;
    }
    drive(handle);
}

void Strand::forget(std::uint64_t id) noexcept {
    const std::lock_guard lock(mutex_);
    std::erase_if(waits_, [id](const Wait* wait) { return wait->id == id; });
}

void Strand::abandon() noexcept {
    const std::lock_guard lock(mutex_);
    cancelled_ = true;
    waits_.clear();
    ready_.clear();
    root_ = {};
    done_ = nullptr;
}

void Strand::drive(std::coroutine_handle<> handle) {
    const std::shared_ptr<Strand> keep = shared_from_this();  // `done` may let the owner go
    while (true) {
        {
            Strand* const outer = current_strand;  // http::run() inside a handler has its own
            current_strand = this;
            Loop::UserCode user_code(loop_);
            handle.resume();
            current_strand = outer;
        }
        std::function<void()> done;
        {
            const std::lock_guard lock(mutex_);
            if (cancelled_) {
                for (Wait* wait : waits_) {
                    wait->cancelled = true;
                    ready_.push_back(wait->handle);
                }
                waits_.clear();
            }
            if (!ready_.empty()) {
                handle = ready_.front();
                ready_.erase(ready_.begin());
                continue;
            }
            resuming_ = false;
            if (root_ && root_.done()) {
                done = std::move(done_);
                root_ = {};  // its frame goes with its task
            }
        }
        if (done)
            done();
        return;
    }
}

Strand* Strand::suspend_current(Wait& wait, std::coroutine_handle<> handle) {
    Strand* const strand = current();
    if (!strand)
        throw std::logic_error("http::Task: an await outside a server's handler or http::run()");
    wait.handle = handle;
    if (!strand->suspend(wait)) {
        wait.cancelled = true;
        return nullptr;
    }
    return strand;
}

void throw_cancelled() { throw Cancelled(); }

// --- Trigger ---------------------------------------------------------------------------------

std::uint64_t Trigger::count() const {
    const std::lock_guard lock(mutex_);
    return count_;
}

void Trigger::fire() {
    std::vector<Waiter> woken;
    {
        const std::lock_guard lock(mutex_);
        ++count_;
        woken.swap(waiters_);
    }
    for (Waiter& waiter : woken) {
        if (waiter.timer)
            waiter.reactor->cancel(*waiter.timer);
        if (const auto strand = waiter.strand.lock())
            strand->complete(waiter.id);
    }
}

void Trigger::time_out(std::uint64_t token) {
    std::shared_ptr<Strand> strand;
    std::uint64_t id = 0;
    {
        const std::lock_guard lock(mutex_);
        const auto it = std::find_if(waiters_.begin(), waiters_.end(),
                                     [token](const Waiter& waiter) { return waiter.token == token; });
        if (it == waiters_.end())
            return;
        *it->timed_out = true;
        strand = it->strand.lock();
        id = it->id;
        waiters_.erase(it);
    }
    if (strand)
        strand->complete(id);
}

void Trigger::settle(std::uint64_t token) noexcept {
    std::optional<Reactor::TimerId> timer;
    Reactor* reactor = nullptr;
    {
        const std::lock_guard lock(mutex_);
        const auto it = std::find_if(waiters_.begin(), waiters_.end(),
                                     [token](const Waiter& waiter) { return waiter.token == token; });
        if (it == waiters_.end())
            return;
        timer = it->timer;
        reactor = it->reactor;
        waiters_.erase(it);
    }
    if (timer)
        reactor->cancel(*timer);
}

Trigger::Wait Trigger::wait(std::uint64_t seen, Clock::time_point deadline) {
    return Wait(seen, deadline, shared_from_this());
}

void Trigger::Waiting::suspend_locked(Strand& strand, std::uint64_t wait_id, Clock::time_point deadline) {
    Trigger& trigger = *trigger_;
    token_ = ++trigger.next_token_;
    Waiter waiter{token_, strand.weak_from_this(), wait_id, &strand.reactor(), std::nullopt, &timed_out_};
    if (deadline != Clock::time_point::max()) {
        const auto delay = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        waiter.timer = strand.reactor().after(std::max(delay, std::chrono::milliseconds(0)),
                                              [weak = trigger.weak_from_this(), token = token_] {
                                                  if (const auto alive = weak.lock())
                                                      alive->time_out(token);
                                              });
    }
    trigger.waiters_.push_back(std::move(waiter));
}

Task<> sleep(std::chrono::nanoseconds duration) {
    const auto delay = std::chrono::ceil<std::chrono::milliseconds>(duration);
    // A sleep cancelled (its client went away) takes its timer with it.
    struct Timer {
        Reactor* reactor = nullptr;
        std::optional<Reactor::TimerId> id;
        ~Timer() {
            if (id)
                reactor->cancel(*id);
        }
    } set;
    StrandWait timer([delay, &set](Strand& strand, std::uint64_t id) {
        auto resume = [weak = strand.weak_from_this(), id] {
            if (const auto alive = weak.lock())
                alive->complete(id);
        };
        if (delay.count() <= 0) {
            strand.reactor().post(std::move(resume));  // a yield: what else is ready runs first
        } else {
            set.reactor = &strand.reactor();
            set.id = strand.reactor().after(delay, std::move(resume));
        }
    });
    co_await timer;
}

void run_to_end(std::coroutine_handle<> root, PromiseBase* promise) {
    if (!root || root.done())
        return;
    // One epoll instance a thread, kept between runs, so that a blocking client call costs no
    // epoll and eventfd of its own, and the client's idle connections stay registered with it.
    // A run inside a run (a blocking call from a coroutine that run() drives) has its own: the
    // outer run's events are not for it to dispatch.
    thread_local std::unique_ptr<Reactor> kept;
    thread_local bool kept_in_use = false;
    std::unique_ptr<Reactor> own;
    if (kept_in_use) {
        own = std::make_unique<Reactor>();
    } else if (!kept) {
        kept = std::make_unique<Reactor>();
    }
    Reactor& reactor = own ? *own : *kept;
    struct InUse {
        bool& flag;
        bool was;
        ~InUse() { flag = was; }
    } const in_use{kept_in_use, kept_in_use};
    if (!own)
        kept_in_use = true;
    const Ownership owner;
    // The kept loop's strand is kept too, when nothing holds it any more: a strand that has run
    // to its end waits for nothing, and the waits of its runs, if anything still names them,
    // have numbers it will not give again.
    thread_local std::shared_ptr<Strand> kept_strand;
    std::shared_ptr<Strand> strand;
    if (!own && kept_strand && kept_strand.use_count() == 1)
        strand = kept_strand;
    else
        strand = std::make_shared<Strand>(reactor, nullptr);
    if (!own)
        kept_strand = strand;
    bool finished = false;
    strand->start(root, *promise, [&finished] { finished = true; });
    while (!finished)
        reactor.run_one(owner, 1);
}

}  // namespace http::detail
