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
    Reactor reactor;  // epoll: one instance for this run
    const Ownership owner;
    const auto strand = std::make_shared<Strand>(reactor, nullptr);
    bool finished = false;
    strand->start(root, *promise, [&finished] { finished = true; });
    while (!finished)
        reactor.run_one(owner, 1);
}

}  // namespace http::detail
