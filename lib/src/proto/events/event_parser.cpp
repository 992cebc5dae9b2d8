#include "proto/events/event_parser.hpp"

#include <algorithm>
#include <charconv>

namespace http::detail {

void EventParser::restart() noexcept {
    partial_.clear();
    after_cr_ = false;
    started_ = false;
    bom_.clear();
    data_.clear();
    event_.clear();
    has_data_ = false;
}

bool EventParser::feed(std::string_view bytes, const std::function<bool(const Event&)>& dispatch) {
    if (!started_) {
        // A UTF-8 byte-order mark may open the stream; it is not part of the first line.
        std::string head = std::move(bom_) + std::string(bytes);
        bom_.clear();
        constexpr std::string_view bom = "\xEF\xBB\xBF";
        if (head.size() < bom.size() && bom.starts_with(head)) {
            bom_ = std::move(head);
            return true;  // wait for more
        }
        started_ = true;
        std::string_view view = head;
        if (view.starts_with(bom))
            view.remove_prefix(bom.size());
        return feed_lines(view, dispatch);
    }
    return feed_lines(bytes, dispatch);
}

bool EventParser::feed_lines(std::string_view bytes, const std::function<bool(const Event&)>& dispatch) {
    while (!bytes.empty()) {
        if (after_cr_) {
            after_cr_ = false;
            if (bytes.front() == '\n') {
                bytes.remove_prefix(1);
                continue;
            }
        }
        const std::size_t end = bytes.find_first_of("\r\n");
        if (end == std::string_view::npos) {
            if (partial_.size() + bytes.size() > max_size_)
                throw std::length_error("an event-stream line is longer than client.max_body_size");
            partial_.append(bytes);
            return true;
        }
        after_cr_ = bytes[end] == '\r';
        bool go_on;
        if (partial_.empty()) {
            go_on = line(bytes.substr(0, end), dispatch);
        } else {
            partial_.append(bytes.substr(0, end));
            const std::string text = std::move(partial_);
            partial_.clear();
            go_on = line(text, dispatch);
        }
        if (!go_on)
            return false;
        bytes.remove_prefix(end + 1);
    }
    return true;
}

bool EventParser::line(std::string_view text, const std::function<bool(const Event&)>& dispatch) {
    if (text.empty()) {
        // Dispatch: an event without data is none; one trailing LF of the data goes.
        if (!has_data_) {
            event_.clear();
            return true;
        }
        Event event;
        event.data = std::move(data_);
        if (!event.data.empty() && event.data.back() == '\n')
            event.data.pop_back();
        event.event = event_.empty() ? "message" : std::move(event_);
        event.id = last_id_;
        data_.clear();
        event_.clear();
        has_data_ = false;
        return dispatch(event);
    }
    if (text.front() == ':')
        return true;  // a comment
    const std::size_t colon = text.find(':');
    const std::string_view field = text.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    if (field == "data") {
        if (data_.size() + value.size() + 1 > max_size_)
            throw std::length_error("an event's data is larger than client.max_body_size");
        data_.append(value);
        data_ += '\n';
        has_data_ = true;
    } else if (field == "event") {
        event_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos)
            last_id_.assign(value);
    } else if (field == "retry") {
        std::uint64_t ms = 0;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), ms);
        if (!value.empty() && error == std::errc{} && end == value.data() + value.size())
            retry_ = std::chrono::milliseconds(static_cast<std::int64_t>(std::min<std::uint64_t>(ms, 86'400'000)));
    }
    return true;  // other fields are ignored
}

}  // namespace http::detail
