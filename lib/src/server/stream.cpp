#include "server/stream_state.hpp"

#include "server/response_access.hpp"

#include <http/response.hpp>

#include <charconv>
#include <stdexcept>
#include <utility>

namespace http {

StreamState::StreamState(bool may_wait, const detail::StreamContext* context)
    : may_wait_(may_wait), creator_(std::this_thread::get_id()) {
    static const detail::StreamContext defaults;
    bound_ = (context ? *context : defaults).bound;
    if (context)
        on_io_thread_ = context->on_io_thread;
}

bool StreamState::write(std::string_view data) {
    std::unique_lock lock(mutex_);
    return append_locked(data, lock);
}

bool StreamState::append_locked(std::string_view data, std::unique_lock<std::mutex>& lock) {
    // The handler's own writes before it returns are its body, as res.body would be: unbounded.
    const bool handler_writing = !attached_ && std::this_thread::get_id() == creator_;
    const bool can_wait = may_wait_ && !(on_io_thread_ && on_io_thread_());
    // Another thread waits for the head to be sent: only then is the framing known.
    if (!handler_writing && can_wait)
        room_.wait(lock, [this] { return attached_ || closed_ || gone_; });
    // Past the declared length is a mistake in the producer, even once that length closed it.
    if (attached_ && framing_ == Framing::length && data.size() > remaining_)
        throw std::length_error("http::BodyStream: " + std::to_string(data.size()) + " bytes written where " +
                                std::to_string(remaining_) + " remain of the declared Content-Length");
    if (closed_ || gone_)
        return false;
    if (data.empty())
        return true;
    if (!handler_writing) {
        // A single write larger than the bound still goes, alone.
        while (!pending_.empty() && pending_.size() + data.size() > bound_) {
            if (!can_wait) {
                // An event stream's client, or a producer on the I/O thread, past the bound: the
                // client is not keeping up, and nothing may wait for it.
                abort_ = true;
                gone_ = true;
                wake_locked();
                room_.notify_all();
                return false;
            }
            room_.wait(lock);
            if (closed_ || gone_)
                return false;
        }
    }
    written_ += data.size();
    if (attached_)
        frame_locked(data);
    else
        pending_.append(data);
    wake_locked();
    return true;
}

void StreamState::frame_locked(std::string_view data) {
    if (data.empty())
        return;
    switch (framing_) {
    case Framing::chunked: {
        char size[20];
        const auto end = std::to_chars(size, size + sizeof size, data.size(), 16).ptr;
        pending_.append(size, end);
        pending_ += "\r\n";
        pending_ += data;
        pending_ += "\r\n";
        break;
    }
    case Framing::length:
        data = data.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(data.size(), remaining_)));
        remaining_ -= data.size();
        pending_ += data;
        if (remaining_ == 0) {
            closed_ = true;  // the declared length is complete: nothing more can be sent
            end_locked();
        }
        break;
    case Framing::until_close:
        pending_ += data;
        break;
    case Framing::none:
        break;
    }
}

void StreamState::end_locked() {
    if (ended_)
        return;
    if (framing_ == Framing::chunked)
        pending_ += "0\r\n\r\n";
    else if (framing_ == Framing::length && remaining_ > 0)
        truncated_ = true;
    ended_ = true;
}

void StreamState::close() {
    std::lock_guard lock(mutex_);
    close_locked();
}

void StreamState::close_locked() {
    if (closed_)
        return;
    closed_ = true;
    if (attached_)
        end_locked();
    wake_locked();
    room_.notify_all();
}

void StreamState::wake_locked() {
    if (waiting_ && wake_) {
        waiting_ = false;
        wake_();
    }
}

bool StreamState::is_open() const {
    std::lock_guard lock(mutex_);
    return !closed_ && !gone_;
}

std::size_t StreamState::room() const {
    std::lock_guard lock(mutex_);
    // What one more write may hold, its chunk's framing (hex size and two CRLFs) aside.
    constexpr std::size_t framing = 20;
    if (closed_ || gone_ || pending_.size() + framing >= bound_)
        return 0;
    return bound_ - pending_.size() - framing;
}

void StreamState::on_drain(std::function<void(BodyStream&)> fn) {
    std::lock_guard lock(mutex_);
    on_drain_ = std::move(fn);
}

void StreamState::add_handle() noexcept {
    std::lock_guard lock(mutex_);
    ++handles_;
}

void StreamState::drop_handle() {
    std::lock_guard lock(mutex_);
    // The last handle gone ends the body, unless an on_drain callback produces it.
    if (--handles_ == 0 && !on_drain_)
        close_locked();
}

std::uint64_t StreamState::attach(Framing framing, std::uint64_t length, std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    attached_ = true;
    framing_ = framing;
    remaining_ = length;
    wake_ = std::move(wake);
    if (framing == Framing::none) {
        // HEAD, or a status without content: nothing is sent, producers stop.
        pending_.clear();
        gone_ = true;
        ended_ = true;
        on_drain_ = nullptr;
        room_.notify_all();
        return 0;
    }
    std::string early;
    early.swap(pending_);
    const std::uint64_t excess = framing == Framing::length && early.size() > length ? early.size() - length : 0;
    frame_locked(early);
    if (closed_)
        end_locked();
    room_.notify_all();
    return excess;
}

StreamState::Take StreamState::take(std::string& out) {
    std::lock_guard lock(mutex_);
    if (abort_)
        return Take::abort;
    if (pending_.empty())
        return ended_ ? Take::done : (gone_ ? Take::abort : Take::empty);
    if (out.empty())
        out.swap(pending_);
    else
        out += pending_;
    pending_.clear();
    room_.notify_all();
    return Take::data;
}

bool StreamState::park() {
    std::lock_guard lock(mutex_);
    if (!pending_.empty() || ended_ || abort_ || gone_)
        return false;
    waiting_ = true;
    return true;
}

bool StreamState::unpark() {
    std::lock_guard lock(mutex_);
    return std::exchange(waiting_, false);
}

bool StreamState::drain(const std::function<void(const std::exception&)>& report) {
    {
        std::lock_guard lock(mutex_);
        if (!on_drain_ || closed_ || gone_)
            return false;
    }
    // Called in place, not a copy: its state (how much is left to make) lives on in it. Only the
    // connection's thread replaces it (detach()), and on_drain() is set before the handler returns.
    BodyStream stream(shared_from_this());
    try {
        on_drain_(stream);
    } catch (const std::exception& error) {
        report(error);
        std::lock_guard lock(mutex_);
        abort_ = true;
        gone_ = true;
    }
    return true;
}

void StreamState::detach() {
    std::function<void()> ended;
    {
        std::lock_guard lock(mutex_);
        gone_ = true;
        waiting_ = false;
        wake_ = nullptr;
        on_drain_ = nullptr;  // it may hold a BodyStream, and so this state
        ended.swap(on_end_);
        room_.notify_all();
    }
    if (ended) {
        try {
            ended();  // outside the lock: it may send on other streams, or look at this one
        } catch (...) {
            // Documented as not to throw: there is no one left to tell.
        }
    }
}

void StreamState::on_end(std::function<void()> fn) {
    {
        std::lock_guard lock(mutex_);
        if (!gone_) {
            on_end_ = std::move(fn);
            return;
        }
    }
    if (fn)
        fn();  // it ended already
}

void StreamState::end_for_shutdown() {
    if (ends_on_shutdown)
        close();
}

bool StreamState::heartbeat() {
    std::lock_guard lock(mutex_);
    if (!waiting_ || closed_ || gone_ || heartbeat_interval_.count() <= 0)
        return false;
    frame_locked(":\n\n");
    wake_locked();
    return true;
}

std::uint64_t StreamState::content_bytes() const {
    std::lock_guard lock(mutex_);
    return written_;
}

bool StreamState::truncated() const {
    std::lock_guard lock(mutex_);
    return truncated_;
}

// --- BodyStream ---

BodyStream::BodyStream(std::shared_ptr<StreamState> state) : state_(std::move(state)) {
    if (state_)
        state_->add_handle();
}

BodyStream::BodyStream(const BodyStream& other) : state_(other.state_) {
    if (state_)
        state_->add_handle();
}

BodyStream& BodyStream::operator=(BodyStream other) noexcept {
    std::swap(state_, other.state_);
    return *this;
}

BodyStream::~BodyStream() {
    if (state_)
        state_->drop_handle();
}

bool BodyStream::write(std::string_view data) { return state_ && state_->write(data); }

void BodyStream::close() {
    if (state_)
        state_->close();
}

bool BodyStream::is_open() const { return state_ && state_->is_open(); }

std::size_t BodyStream::room() const { return state_ ? state_->room() : 0; }

void BodyStream::on_drain(std::function<void(BodyStream&)> fn) {
    if (state_)
        state_->on_drain(std::move(fn));
}

// --- Response ---

BodyStream detail::start_stream(Response& res, bool may_wait) {
    if (!res.stream_state) {
        res.stream_state = std::make_shared<StreamState>(may_wait, detail::ResponseAccess::context(res));
        if (!res.body.empty()) {
            res.stream_state->write(res.body);  // what the handler wrote first goes first
            std::string().swap(res.body);
        }
    }
    return BodyStream(res.stream_state);
}

namespace {

void check_event_field(std::string_view value, const char* what, bool nul_too) {
    for (const char c : value)
        if (c == '\r' || c == '\n' || (nul_too && c == '\0'))
            throw std::invalid_argument(std::string("http::EventStream: the ") + what + " holds a line break" +
                                        (nul_too ? " or NUL" : ""));
}

}  // namespace

// --- EventStream ---

EventStream::EventStream(Response& res, std::chrono::milliseconds heartbeat) {
    res.headers.set("Content-Type", "text/event-stream");
    res.headers.set("Cache-Control", "no-cache");
    res.headers.set("X-Accel-Buffering", "no");  // nginx would otherwise hold events back
    stream_ = detail::start_stream(res, false);
    res.stream_state->ends_on_shutdown = true;
    res.stream_state->set_heartbeat(heartbeat);
}

bool EventStream::send(std::string_view data, std::string_view event, std::string_view id) {
    check_event_field(event, "event type", false);
    check_event_field(id, "id", true);
    std::string text;
    text.reserve(data.size() + event.size() + id.size() + 32);
    if (!id.empty()) {
        text += "id: ";
        text += id;
        text += '\n';
    }
    if (!event.empty()) {
        text += "event: ";
        text += event;
        text += '\n';
    }
    // A line break of any kind (CRLF, LF, CR) ends a data line: each line is a data: field.
    std::size_t start = 0;
    while (true) {
        const std::size_t end = data.find_first_of("\r\n", start);
        text += "data: ";
        text += data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        text += '\n';
        if (end == std::string_view::npos)
            break;
        start = end + (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n' ? 2 : 1);
    }
    text += '\n';
    return stream_.write(text);
}

bool EventStream::retry(std::chrono::milliseconds delay) {
    return stream_.write("retry: " + std::to_string(delay.count()) + "\n\n");
}

bool EventStream::comment(std::string_view text) {
    check_event_field(text, "comment", false);
    std::string line = ": ";
    line += text;
    line += "\n\n";
    return stream_.write(line);
}

void EventStream::on_close(std::function<void()> fn) {
    if (stream_.state_)
        stream_.state_->on_end(std::move(fn));
    else if (fn)
        fn();  // a stream of no response has ended before it began
}

}  // namespace http
