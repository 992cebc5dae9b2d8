#include "client/http2_connection.hpp"

#include <utility>
#include <vector>

namespace http::detail {

namespace {

using Kind = TransportError::Kind;

// What one read takes at most: a few TLS records, many frames.
constexpr std::size_t read_size = 64 * 1024;

// Fires `triggers` from a task of `loop`, not from within the coroutine that found them ready:
// firing resumes a waiting request at once, which must not run inside another's round.
void wake_later(const std::shared_ptr<ReactorLife>& loop, std::vector<std::shared_ptr<Trigger>> triggers) {
    if (triggers.empty())
        return;
    const std::lock_guard lock(loop->mutex);
    if (Reactor* const reactor = loop->reactor)
        reactor->post([triggers = std::move(triggers)] {
            for (const auto& trigger : triggers)
                trigger->fire();
        });
}

}  // namespace

Http2Connection::Http2Connection(std::unique_ptr<Stream> stream, Http2ClientLimits limits,
                                 std::shared_ptr<ReactorLife> loop)
    : stream_(std::move(stream)), session_(limits), loop_(std::move(loop)) {}

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
    auto trigger = std::make_shared<Trigger>();
    const std::lock_guard lock(mutex_);
    if (ended_locked() || !session_.can_open())
        throw Http2Refused(Kind::closed, "the HTTP/2 connection takes no new stream");
    const std::int32_t id = session_.submit(request.method, request.scheme, request.authority, request.path,
                                            *request.fields, request.body, true);
    try {
        waiting_.emplace(id, std::move(trigger));
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
    std::shared_ptr<Trigger> trigger;
    {
        const std::lock_guard lock(mutex_);
        if (const auto it = waiting_.find(id); it != waiting_.end())
            trigger = it->second;
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
    } const leave{*this, id, i_drive};

    if (!trigger)
        throw NetFailure(Kind::closed, "the HTTP/2 stream was lost");
    bool head_seen = false;
    std::string body;
    while (true) {
        std::uint64_t seen = 0;
        const Http2ClientStream* ended = nullptr;
        {
            const std::lock_guard lock(mutex_);
            seen = trigger->count();
            const Http2ClientStream* stream = session_.find(id);
            if (!stream)
                throw NetFailure(Kind::closed, "the HTTP/2 stream was lost");
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
            } else if (!driving_) {
                driving_ = true;
                i_drive = true;
            }
        }
        // The body and the end go to the receiver unlocked: its sink is the application's.
        if (!body.empty()) {
            receiver.on_body(body);
            body.clear();
            continue;
        }
        if (ended) {
            receiver.on_end(*ended);
            co_return;
        }
        const Clock::time_point deadline = receiver.wait_until();
        const bool in_time = i_drive ? co_await drive(deadline) : co_await trigger->wait(seen, deadline);
        if (!in_time)
            throw NetFailure(Kind::timeout, "waiting for the response timed out");
    }
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
        while (session_.want_write()) {
            const Attempt attempt = stream_->try_write(session_.output());
            if (attempt.blocked)
                return;  // the driver's wait sees the socket writable again
            session_.written(attempt.bytes);
        }
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
        flush_scheduled_ = true;
        reactor->post([weak = weak_from_this()] {
            if (const auto connection = weak.lock()) {
                const std::lock_guard held(connection->mutex_);
                connection->flush_scheduled_ = false;
                connection->flush_locked();
            }
        });
    }
}

void Http2Connection::dispatch_locked() {
    std::vector<std::shared_ptr<Trigger>> ready;
    if (broken_ || session_.failure()) {
        for (const auto& [id, trigger] : waiting_)
            ready.push_back(trigger);
        session_.changed();
    } else {
        for (const std::int32_t id : session_.changed())
            if (const auto it = waiting_.find(id); it != waiting_.end())
                ready.push_back(it->second);
    }
    wake_later(loop_, std::move(ready));
}

void Http2Connection::wake_one_locked(std::int32_t except) {
    for (const auto& [id, trigger] : waiting_)
        if (id != except) {
            wake_later(loop_, {trigger});
            return;
        }
}

}  // namespace http::detail
