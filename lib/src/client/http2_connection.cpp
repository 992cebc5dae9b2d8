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
    if (loop != loop_.get() || ended() || !session_.can_open())
        return false;
    const std::lock_guard lock(loop_->mutex);
    return loop_->reactor != nullptr;
}

bool Http2Connection::ended() const {
    return broken_.has_value() || session_.failure().has_value() || session_.goaway_received().has_value();
}

Task<> Http2Connection::exchange(const Http2Request& request, std::function<Clock::time_point()> wait_until,
                                 const std::function<void(const Http2ClientStream&)>& on_head,
                                 const std::function<void(std::string_view)>& on_body,
                                 const std::function<void(const Http2ClientStream&)>& on_end) {
    if (ended() || !session_.can_open())
        throw Http2Refused(Kind::closed, "the HTTP/2 connection takes no new stream");
    const std::int32_t id = session_.submit(request.method, request.scheme, request.authority, request.path,
                                            *request.fields, request.body, true);
    const auto trigger = std::make_shared<Trigger>();
    waiting_.emplace(id, trigger);
    bool i_drive = false;
    // However the exchange ends (whole, failed, timed out, cancelled with its handler): the stream
    // is let go (reset if still open), and the driving passes to another waiting request.
    struct Leave {
        Http2Connection& connection;
        std::int32_t id;
        const bool& i_drive;
        ~Leave() {
            connection.waiting_.erase(id);
            try {
                connection.session_.release(id);
            } catch (...) {
                // nghttp2 out of memory: the connection's next failure says so
            }
            if (i_drive)
                connection.driving_ = false;
            if (!connection.driving_)
                connection.wake_one(id);
            try {
                connection.flush_soon();
            } catch (...) {
                connection.flush();  // no memory for the task: at once
            }
        }
    } const leave{*this, id, i_drive};
    flush_soon();

    bool head_seen = false;
    while (true) {
        const std::uint64_t seen = trigger->count();
        const Http2ClientStream* stream = session_.find(id);
        if (!stream)
            throw NetFailure(Kind::closed, "the HTTP/2 stream was lost");
        if (stream->head && !head_seen) {
            head_seen = true;
            on_head(*stream);
            stream = session_.find(id);
        }
        if (head_seen && !stream->body.empty()) {
            const std::string body = session_.take_body(id);
            flush_soon();  // the window taking it opened
            on_body(body);
            stream = session_.find(id);
        }
        if (stream->ended && (head_seen || stream->body.empty())) {
            on_end(*stream);
            co_return;
        }
        if (stream->failure) {
            if (stream->retryable)
                throw Http2Refused(stream->failure->kind, stream->failure->what());
            throw NetFailure(*stream->failure);
        }
        if (broken_)
            throw NetFailure(*broken_);
        if (!driving_) {
            driving_ = true;
            i_drive = true;
        }
        const Clock::time_point deadline = wait_until();
        const bool in_time = i_drive ? co_await drive(deadline) : co_await trigger->wait(seen, deadline);
        if (!in_time)
            throw NetFailure(Kind::timeout, "waiting for the response timed out");
    }
}

Task<bool> Http2Connection::drive(Clock::time_point deadline) {
    const std::uint64_t seen = stream_->socket().edges(Direction::any);
    if (pump())
        co_return true;
    co_return co_await stream_->socket().ready(Direction::any, seen, deadline);
}

bool Http2Connection::pump() {
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
            if (read_buffer_.empty())
                read_buffer_.resize(read_size);
            const Attempt attempt = stream_->try_read(read_buffer_.data(), read_buffer_.size());
            if (!attempt.blocked) {
                moved = true;
                if (attempt.bytes == 0)
                    session_.end_of_input();
                else
                    session_.receive(std::string_view(read_buffer_.data(), attempt.bytes));
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
    dispatch();
    return moved;
}

void Http2Connection::flush() noexcept {
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
        dispatch();
    }
}

void Http2Connection::flush_soon() {
    if (flush_scheduled_)
        return;
    const std::lock_guard lock(loop_->mutex);
    if (Reactor* const reactor = loop_->reactor) {
        flush_scheduled_ = true;
        reactor->post([weak = weak_from_this()] {
            if (const auto connection = weak.lock()) {
                connection->flush_scheduled_ = false;
                connection->flush();
            }
        });
    }
}

void Http2Connection::dispatch() {
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

void Http2Connection::wake_one(std::int32_t except) {
    for (const auto& [id, trigger] : waiting_)
        if (id != except) {
            wake_later(loop_, {trigger});
            return;
        }
}

}  // namespace http::detail
