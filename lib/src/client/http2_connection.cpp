#include "client/http2_connection.hpp"

#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace http::detail {

namespace {

using Kind = TransportError::Kind;

// What one read takes at most: a few TLS records, many frames.
constexpr std::size_t read_size = 64 * 1024;

// Resumes the waits from a task of `loop`, not from within the coroutine that found them ready:
// a resumption runs the waiting request at once, which must not happen inside another's round.
// By the strand's own number for each wait: one that ended meanwhile is not found, and nothing
// happens.
void wake_later(const std::shared_ptr<ReactorLife>& loop,
                std::vector<std::pair<std::weak_ptr<Strand>, std::uint64_t>> resume) {
    if (resume.empty())
        return;
    const std::lock_guard lock(loop->mutex);
    if (Reactor* const reactor = loop->reactor)
        reactor->post([resume = std::move(resume)] {
            for (const auto& [weak, id] : resume)
                if (const auto strand = weak.lock())
                    strand->complete(id);
        });
}

}  // namespace

std::string_view Http2Receiver::next_upload(bool&) {
    throw std::logic_error("Http2Receiver::next_upload: a request body in parts needs a receiver that gives them");
}

Http2Connection::Http2Connection(std::unique_ptr<Stream> stream, Http2ClientLimits limits,
                                 std::shared_ptr<ReactorLife> loop)
    : stream_(std::move(stream)), session_(limits), loop_(std::move(loop)) {}

Http2Connection::~Http2Connection() {
    if (!timer_)
        return;
    const std::lock_guard lock(loop_->mutex);
    if (Reactor* const reactor = loop_->reactor)
        reactor->cancel(*timer_);
}

class Http2Connection::Waiting {
public:
    Waiting(Http2Connection& connection, Waiter& waiter) noexcept : connection_(connection), waiter_(waiter) {}
    std::mutex& mutex() const { return connection_.mutex_; }
    std::uint64_t count_locked() const { return waiter_.wakes; }
    void suspend_locked(Strand& strand, std::uint64_t wait_id, Clock::time_point deadline) {
        waiter_.suspended = true;
        waiter_.timed_out = false;
        waiter_.strand = strand.weak_from_this();
        waiter_.wait_id = wait_id;
        waiter_.deadline = deadline;
        connection_.arm_timer_locked(deadline);
    }
    bool timed_out_locked() const { return waiter_.timed_out; }
    void settle() noexcept {
        const std::lock_guard lock(connection_.mutex_);
        waiter_.suspended = false;
    }

private:
    Http2Connection& connection_;
    Waiter& waiter_;
};

void Http2Connection::wake_locked(Waiter& waiter, Resumptions& resume) {
    ++waiter.wakes;
    if (waiter.suspended) {
        waiter.suspended = false;
        resume.emplace_back(waiter.strand, waiter.wait_id);
    }
}

void Http2Connection::arm_timer_locked(Clock::time_point deadline) {
    if (deadline == Clock::time_point::max() || (timer_ && timer_deadline_ <= deadline))
        return;  // the timer comes in time for it
    const std::lock_guard lock(loop_->mutex);
    Reactor* const reactor = loop_->reactor;
    if (!reactor)
        return;
    if (timer_)
        reactor->cancel(*timer_);
    const auto delay = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    timer_ = reactor->after(std::max(delay, std::chrono::milliseconds(0)), [weak = weak_from_this()] {
        if (const auto connection = weak.lock())
            connection->time_out();
    });
    timer_deadline_ = deadline;
}

void Http2Connection::time_out() {
    std::vector<std::pair<std::shared_ptr<Strand>, std::uint64_t>> resume;
    {
        const std::lock_guard lock(mutex_);
        timer_.reset();
        const Clock::time_point now = Clock::now();
        Clock::time_point next = Clock::time_point::max();
        for (const auto& [id, waiter] : waiting_) {
            if (!waiter || !waiter->suspended)
                continue;
            if (waiter->deadline > now) {
                next = std::min(next, waiter->deadline);
                continue;
            }
            waiter->suspended = false;
            waiter->timed_out = true;
            if (auto strand = waiter->strand.lock())
                resume.emplace_back(std::move(strand), waiter->wait_id);
        }
        arm_timer_locked(next);
    }
    // A task of the loop's own: the waits are resumed here.
    for (const auto& [strand, id] : resume)
        strand->complete(id);
}

bool Http2Connection::usable(const ReactorLife* loop) const {
    {
        const std::lock_guard lock(mutex_);
        if (loop != loop_.get() || ended_locked() || !session_.can_open())
            return false;
    }
    const std::lock_guard lock(loop_->mutex);
    return loop_->reactor != nullptr;
}

bool Http2Connection::ended() const {
    const std::lock_guard lock(mutex_);
    return ended_locked();
}

bool Http2Connection::ended_locked() const {
    return broken_.has_value() || session_.failure().has_value() || session_.goaway_received().has_value();
}

std::int32_t Http2Connection::open(const Http2Request& request) {
    const std::lock_guard lock(mutex_);
    if (ended_locked() || !session_.can_open())
        throw Http2Refused(Kind::closed, "the HTTP/2 connection takes no new stream");
    const std::int32_t id = session_.submit(request.method, request.scheme, request.authority, request.path,
                                            *request.fields, request.body, !request.body_length, request.body_length);
    try {
        waiting_.emplace(id, nullptr);
        flush_soon_locked();
    } catch (...) {  // no memory: the stream goes, as if refused
        waiting_.erase(id);
        try {
            session_.release(id);
        } catch (...) {
            // nghttp2 out of memory too: the connection's next failure says so
        }
        throw;
    }
    return id;
}

Task<> Http2Connection::response(std::int32_t id, Http2Receiver& receiver) {
    Waiter waiter;
    {
        const std::lock_guard lock(mutex_);
        const auto it = waiting_.find(id);
        if (it == waiting_.end())
            throw NetFailure(Kind::closed, "the HTTP/2 stream was lost");
        it->second = &waiter;
    }
    bool i_drive = false;
    // However the exchange ends (whole, failed, timed out, cancelled with its handler): the stream
    // is let go (reset if still open), and the driving passes to another waiting request.
    struct Leave {
        Http2Connection& connection;
        std::int32_t id;
        const bool& i_drive;
        ~Leave() {
            const std::lock_guard lock(connection.mutex_);
            connection.waiting_.erase(id);
            try {
                connection.session_.release(id);
            } catch (...) {
                // nghttp2 out of memory: the connection's next failure says so
            }
            if (i_drive)
                connection.driving_ = false;
            if (!connection.driving_)
                connection.wake_one_locked(id);
            try {
                connection.flush_soon_locked();
            } catch (...) {
                connection.flush_locked();  // no memory for the task: at once
            }
        }
    } const leave{*this, id, i_drive};  // (before `waiter` goes: its entry goes first)

    bool head_seen = false;
    std::string body;
    bool unreported = false;  // a part of the request body was given, and is not yet said to have gone out
    while (true) {
        std::uint64_t seen = 0;
        const Http2ClientStream* ended = nullptr;
        bool give = false;  // the stream has sent what it was given of the request body, and takes more
        bool sent = false;  // what it was given has gone out since the receiver was last told
        {
            const std::lock_guard lock(mutex_);
            seen = waiter.wakes;
            const Http2ClientStream* stream = session_.find(id);
            if (!stream)
                throw NetFailure(Kind::closed, "the HTTP/2 stream was lost");
            sent = unreported && stream->upload.empty();
            if (stream->head && !head_seen) {
                head_seen = true;
                receiver.on_head(*stream);
            }
            if (head_seen && !stream->body.empty()) {
                body = session_.take_body(id);
                flush_soon_locked();  // the window taking it opened
            } else if (stream->ended && (head_seen || stream->body.empty())) {
                ended = stream;  // only this exchange releases it: it stays, whole, unlocked
            } else if (stream->failure) {
                if (stream->retryable)
                    throw Http2Refused(stream->failure->kind, stream->failure->what());
                throw NetFailure(*stream->failure);
            } else if (broken_) {
                throw NetFailure(*broken_);
            } else if (!stream->upload_last && stream->upload.empty()) {
                give = true;
            } else if (!driving_) {
                driving_ = true;
                i_drive = true;
            }
        }
        // Progress, the body and the end go to the receiver unlocked: its sink and its
        // on_progress are the application's.
        if (sent) {
            unreported = false;
            receiver.on_uploaded();
        }
        if (!body.empty()) {
            receiver.on_body(body);
            body.clear();
            continue;
        }
        if (ended) {
            receiver.on_end(*ended);
            co_return;
        }
        if (give) {
            give_part(id, receiver);
            unreported = true;
            continue;
        }
        const Clock::time_point deadline = receiver.wait_until();
        const bool in_time = i_drive ? co_await drive(deadline) : co_await Wait(seen, deadline, *this, waiter);
        if (!in_time)
            throw NetFailure(Kind::timeout, "waiting for the response timed out");
    }
}

void Http2Connection::give_part(std::int32_t id, Http2Receiver& receiver) {
    // The stream holds the part until it has gone out, and asks for the next then (its
    // changed() wakes the request's wait).
    bool last = false;
    const std::string_view part = receiver.next_upload(last);
    if (part.empty() && !last)
        throw NetFailure(Kind::io, "the request body ended before its length");
    const std::lock_guard lock(mutex_);
    session_.send_body(id, part, last);
    flush_soon_locked();
}

Task<bool> Http2Connection::drive(Clock::time_point deadline) {
    // What can go without waiting, else a wait for the socket either way. A coroutine of its
    // own, so that only the driver's frame holds the socket's awaitable, not every stream's.
    const std::uint64_t edges = stream_->socket().edges(Direction::any);
    if (pump())
        co_return true;
    co_return co_await stream_->socket().ready(Direction::any, edges, deadline);
}

bool Http2Connection::pump() {
    const std::lock_guard lock(mutex_);
    if (broken_)
        return false;
    bool moved = false;
    try {
        while (session_.want_write()) {
            const Attempt attempt = stream_->try_write(session_.output());
            if (attempt.blocked)
                break;
            session_.written(attempt.bytes);
            moved = true;
        }
        if (!session_.failure()) {
            // One buffer a thread: the session copies what it keeps, and an idle connection
            // holds none.
            thread_local std::vector<char> buffer(read_size);
            const Attempt attempt = stream_->try_read(buffer.data(), buffer.size());
            if (!attempt.blocked) {
                moved = true;
                if (attempt.bytes == 0)
                    session_.end_of_input();
                else
                    session_.receive(std::string_view(buffer.data(), attempt.bytes));
            }
        }
    } catch (const NetFailure& failure) {
        // The session's own failure (the server broke HTTP/2) is kept by it, and its streams
        // failed; a failure of the socket ends them here.
        moved = true;
        if (!session_.failure()) {
            broken_ = failure;
            session_.end_of_input();
        }
    }
    dispatch_locked();
    return moved;
}

void Http2Connection::flush_locked() noexcept {
    if (broken_)
        return;
    try {
        bool wrote = false;
        while (session_.want_write()) {
            const Attempt attempt = stream_->try_write(session_.output());
            if (attempt.blocked)
                break;  // the driver's wait sees the socket writable again
            session_.written(attempt.bytes);
            wrote = true;
        }
        if (wrote)
            dispatch_locked();  // a stream whose request body went out takes its next part
    } catch (const std::bad_alloc&) {
        // No memory to wake the streams that changed: their waits end at their deadlines.
    } catch (const NetFailure& failure) {
        broken_ = failure;
        session_.end_of_input();
        dispatch_locked();
    }
}

void Http2Connection::flush_soon_locked() {
    if (flush_scheduled_)
        return;
    const std::lock_guard lock(loop_->mutex);
    if (Reactor* const reactor = loop_->reactor) {
        reactor->post([weak = weak_from_this()] {
            if (const auto connection = weak.lock()) {
                const std::lock_guard held(connection->mutex_);
                connection->flush_scheduled_ = false;
                connection->flush_locked();
            }
        });
        flush_scheduled_ = true;  // once posted (the task takes the mutex held here to clear it)
    }
}

void Http2Connection::dispatch_locked() {
    Resumptions resume;
    if (broken_ || session_.failure()) {
        for (const auto& [id, waiter] : waiting_)
            if (waiter)
                wake_locked(*waiter, resume);
        session_.changed();
    } else {
        for (const std::int32_t id : session_.changed())
            if (const auto it = waiting_.find(id); it != waiting_.end() && it->second)
                wake_locked(*it->second, resume);
    }
    wake_later(loop_, std::move(resume));
}

void Http2Connection::wake_one_locked(std::int32_t except) {
    // (A stream whose request has not begun waiting sees for itself that nobody drives.)
    for (const auto& [id, waiter] : waiting_)
        if (id != except && waiter) {
            Resumptions resume;
            wake_locked(*waiter, resume);
            wake_later(loop_, std::move(resume));
            return;
        }
}

}  // namespace http::detail
