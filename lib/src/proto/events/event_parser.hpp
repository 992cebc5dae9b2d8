// The text/event-stream format (the HTML standard, "Server-sent events", 9.2.6), read as it
// arrives: lines end in CRLF, LF or CR; "field: value" lines build an event, an empty line
// dispatches it; comments (":") are dropped; `id` persists across events and `retry` sets the
// reconnection delay.
#pragma once

#include <http/event.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace http::detail {

class EventParser {
public:
    /// An event's data (and a line) may not grow past `max_size` bytes: std::length_error.
    explicit EventParser(std::size_t max_size) : max_size_(max_size) {}

    /// Feeds bytes; `dispatch` gets each complete event and returns false to stop, which makes
    /// feed() return false at once.
    bool feed(std::string_view bytes, const std::function<bool(const Event&)>& dispatch);

    /// The last event ID seen (for Last-Event-ID on reconnecting).
    const std::string& last_event_id() const noexcept { return last_id_; }
    /// The reconnection delay a retry: field asked for, if any.
    std::optional<std::chrono::milliseconds> retry() const noexcept { return retry_; }
    /// A new connection: a line or event cut short by the old one's end is dropped.
    void restart() noexcept;

private:
    bool feed_lines(std::string_view bytes, const std::function<bool(const Event&)>& dispatch);
    bool line(std::string_view text, const std::function<bool(const Event&)>& dispatch);

    std::size_t max_size_;
    std::string partial_;  // a line not yet ended
    bool after_cr_ = false;  // the last byte was CR: an LF next ends nothing
    bool started_ = false;   // past a leading byte-order mark
    std::string bom_;        // the start of the stream, while it may still be one
    std::string data_;
    std::string event_;
    bool has_data_ = false;
    std::string last_id_;
    std::optional<std::chrono::milliseconds> retry_;
};

}  // namespace http::detail
