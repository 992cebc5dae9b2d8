#include "proto/http1/server_session.hpp"

#include "proto/message/refusals.hpp"
#include "proto/message/serialize.hpp"

namespace http::detail {

Http1ServerSession::Event Http1ServerSession::next(std::string_view input, std::size_t& used, std::string& content) {
    used = 0;
    switch (state_) {
    case State::idle:
        if (input.empty())
            return input_ended_ ? Event::closed : Event::need_input;
        [[fallthrough]];
    case State::head:
        return read_head(input, used);
    case State::content:
        return read_body(input, used, content);
    case State::admitting:
    case State::responding:
    case State::closing:
    case State::upgraded:
        break;
    }
    return Event::need_input;  // nothing is read until the caller has answered
}

Http1ServerSession::Event Http1ServerSession::read_head(std::string_view input, std::size_t& used) {
    switch (parser_.parse(input, head_)) {
    case RequestHeadParser::Result::incomplete:
        state_ = State::head;
        return input_ended_ ? fail(refusals::incomplete_request) : Event::need_input;
    case RequestHeadParser::Result::error:
        return fail(parser_.error());
    case RequestHeadParser::Result::complete:
        break;
    }
    used = head_.size;
    parser_.reset();
    head_request_ = head_.method == "HEAD";
    version_minor_ = head_.version_minor;
    keep_alive_ = head_.keep_alive && !close_after_;
    expect_continue_ = head_.expect_continue;
    content_received_ = 0;
    state_ = head_.framing == Framing::none ? State::responding : State::admitting;
    return Event::head;
}

Http1ServerSession::Event Http1ServerSession::read_body(std::string_view input, std::size_t& used,
                                                        std::string& content) {
    const std::size_t before = content.size();
    const BodyReader::Result result = body_.feed(input, used, content);
    content_received_ += content.size() - before;
    switch (result) {
    case BodyReader::Result::error:
        return fail(body_.error());
    case BodyReader::Result::complete:
        state_ = State::responding;
        return Event::end;
    case BodyReader::Result::incomplete:
        break;
    }
    if (used > 0)
        return Event::content;
    return input_ended_ ? fail(refusals::incomplete_request) : Event::need_input;
}

Http1ServerSession::Event Http1ServerSession::fail(const ParseError& error) noexcept {
    if (state_ == State::idle || state_ == State::head) {
        // No head to answer after: the answer is framed as for an HTTP/1.1 GET.
        head_request_ = false;
        version_minor_ = 1;
    }
    error_ = &error;
    keep_alive_ = false;
    state_ = State::responding;
    return Event::error;
}

bool Http1ServerSession::input_full(std::size_t capacity) noexcept {
    // Only a header section fills the input: content is taken out as it arrives.
    if (capacity < input_limit())
        return false;
    fail(refusals::header_section_too_large);
    return true;
}

void Http1ServerSession::read_content(std::uint64_t limit, bool arriving, std::string& out) {
    body_.set_max_body_size(limit);
    body_.start(head_.framing, head_.content_length);
    state_ = State::content;
    if (expect_continue_ && version_minor_ >= 1 && !arriving)
        out += "HTTP/1.1 100 Continue\r\n\r\n";
}

void Http1ServerSession::refuse() noexcept {
    if (state_ == State::idle || state_ == State::head) {
        head_request_ = false;
        version_minor_ = 1;
    }
    keep_alive_ = false;
    state_ = State::responding;
}

void Http1ServerSession::must_close() noexcept {
    close_after_ = true;
    keep_alive_ = false;
    if (state_ == State::idle)
        state_ = State::closing;
}

bool Http1ServerSession::write_response(const Response& response, const Shape& shape, std::string& out) {
    const bool keep_alive = keep_alive_ && !shape.until_close;
    const ResponseFraming framing{head_request_, keep_alive, version_minor_, shape.external_length, shape.stream,
                                  shape.upgrade};
    const bool separate = serialize_response(response, framing, out);
    keep_alive_ = keep_alive;
    state_ = shape.upgrade ? State::upgraded : keep_alive ? State::idle : State::closing;
    return separate;
}

}  // namespace http::detail
