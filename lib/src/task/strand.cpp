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

void throw_cancelled() { throw Cancelled(); }

// --- Trigger ---------------------------------------------------------------------------------

std::uint64_t Trigger::count() const {
    const std::lock_guard lock(mutex_);
    return count_;
}

void Trigger::fire() {
    std::shared_ptr<Strand> strand;
    std::uint64_t id = 0;
    std::optional<Reactor::TimerId> timer;
    Reactor* reactor = nullptr;
    {
        const std::lock_guard lock(mutex_);
        ++count_;
        if (!waiting_)
            return;
        waiting_ = false;
        strand = strand_.lock();
        id = id_;
        timer.swap(timer_);
        reactor = reactor_;
    }
    if (timer)
        reactor->cancel(*timer);
    if (strand)
        strand->complete(id);
}

void Trigger::time_out(std::uint64_t id) {
    std::shared_ptr<Strand> strand;
    {
        const std::lock_guard lock(mutex_);
        if (!waiting_ || id_ != id)
            return;
        waiting_ = false;
        timed_out_ = true;
        timer_.reset();
        strand = strand_.lock();
    }
    if (strand)
        strand->complete(id);
}

void Trigger::settle() noexcept {
    std::optional<Reactor::TimerId> timer;
    Reactor* reactor = nullptr;
    {
        const std::lock_guard lock(mutex_);
        waiting_ = false;
        timer.swap(timer_);
        reactor = reactor_;
    }
    if (timer)
        reactor->cancel(*timer);
}

Task<bool> Trigger::wait(std::uint64_t seen, Clock::time_point deadline) {
    if (count() != seen)
        co_return true;
    if (deadline <= Clock::now())
        co_return false;
    const std::shared_ptr<Trigger> keep = shared_from_this();
    struct Settle {
        Trigger& trigger;
        ~Settle() { trigger.settle(); }
    } const settle{*this};
    StrandWait suspension([this, seen, deadline](Strand& strand, std::uint64_t id) {
        std::unique_lock lock(mutex_);
        if (count_ != seen) {
            lock.unlock();
            strand.complete(id);  // it fired meanwhile: resumed as soon as this piece suspends
            return;
        }
        waiting_ = true;
        timed_out_ = false;
        strand_ = strand.weak_from_this();
        id_ = id;
        reactor_ = &strand.reactor();
        if (deadline != Clock::time_point::max()) {
            const auto delay = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            timer_ = reactor_->after(std::max(delay, std::chrono::milliseconds(0)),
                                     [weak = weak_from_this(), id] {
                                         if (const auto trigger = weak.lock())
                                             trigger->time_out(id);
                                     });
        }
    });
    co_await suspension;
    bool timed_out = false;
    {
        const std::lock_guard lock(mutex_);
        timed_out = timed_out_;
    }
    co_return !timed_out;
}

Task<> sleep(std::chrono::nanoseconds duration) {
    const auto delay = std::chrono::ceil<std::chrono::milliseconds>(duration);
    StrandWait timer([delay](Strand& strand, std::uint64_t id) {
        auto resume = [weak = strand.weak_from_this(), id] {
            if (const auto alive = weak.lock())
                alive->complete(id);
        };
        if (delay.count() <= 0)
            strand.reactor().post(std::move(resume));  // a yield: what else is ready runs first
        else
            strand.reactor().after(delay, std::move(resume));
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
    const auto strand = std::make_shared<Strand>(reactor, nullptr);
    bool finished = false;
    strand->start(root, *promise, [&finished] { finished = true; });
    while (!finished)
        reactor.run_one(owner, 1);
}

}  // namespace http::detail
