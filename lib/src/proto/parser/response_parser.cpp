#include "proto/parser/response_parser.hpp"

#include "proto/parser/char_class.hpp"

namespace http::detail {

void ResponseHeadParser::reset() noexcept {
    reset_head();
    status_ = 0;
    version_minor_ = 1;
    reason_ = {};
}

ResponseHeadParser::Result ResponseHeadParser::parse(std::string_view input, ResponseHead& head, bool head_request) {
    Result r = scan(input, head.fields);
    if (r == Result::complete) {
        head.size = head_size_;
        r = finish(input, head, head_request);
    }
    if (r == Result::error)
        error_.status = Status::BAD_GATEWAY;
    return r;
}

ResponseHeadParser::Result ResponseHeadParser::check_start_line_prefix(std::string_view input, std::size_t at) noexcept {
    if (input.size() - at >= 5 && input.compare(at, 5, "HTTP/") != 0)
        return fail(Status::BAD_GATEWAY, "not an HTTP response");
    return Result::incomplete;
}

ResponseHeadParser::Result ResponseHeadParser::check_unfinished(std::string_view input) noexcept {
    if (input.size() - start_ > max_header_size_)
        return too_large();
    return Result::incomplete;
}

ResponseHeadParser::Result ResponseHeadParser::start_line(std::string_view input, std::size_t begin, std::size_t end) {
    // HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112, Section 4). A missing SP before
    // an empty reason is tolerated: servers that omit the reason often omit it too.
    const std::string_view line = input.substr(begin, end - begin);
    if (!line.starts_with("HTTP/"))
        return fail(Status::BAD_GATEWAY, "not an HTTP response");
    if (line.size() < 12 || line[6] != '.' || line[8] != ' ' || line[5] < '0' || line[5] > '9' || line[7] < '0' ||
        line[7] > '9')
        return fail(Status::BAD_GATEWAY, "invalid status line");
    if (line[5] != '1')
        return fail(Status::BAD_GATEWAY, "unsupported HTTP version in the status line");
    int code = 0;
    for (int i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9')
            return fail(Status::BAD_GATEWAY, "invalid status code");
        code = code * 10 + (line[i] - '0');
    }
    if (code < 100)
        return fail(Status::BAD_GATEWAY, "invalid status code");
    std::string_view reason;
    if (line.size() > 12) {
        if (line[12] != ' ')
            return fail(Status::BAD_GATEWAY, "invalid status line");
        reason = line.substr(13);
        for (const char c : reason)
            if (!is(c, field_vchar))
                return fail(Status::BAD_GATEWAY, "invalid character in the reason phrase");
    }
    status_ = code;
    version_minor_ = line[7] - '0';
    reason_ = span_of(input, reason.empty() ? input.substr(begin, 0) : reason);
    have_start_line_ = true;
    return Result::incomplete;
}

ResponseHeadParser::Result ResponseHeadParser::finish(std::string_view input, ResponseHead& head, bool head_request) {
    head.status = status_;
    head.reason = view(input, reason_);
    head.version_minor = version_minor_;
    head.keep_alive = framing_.keep_alive(version_minor_);
    head.framing = Framing::none;
    head.content_length = 0;
    head.until_close = false;
    // How the body ends (RFC 9112, Section 6.3), in the RFC's order. A client reads what it is
    // given where it can, but never reuses a connection whose framing was ambiguous.
    if (head_request || status_ < 200 || status_ == 204 || status_ == 304)
        return Result::complete;
    if (framing_.has_transfer_encoding && version_minor_ == 0) {
        // HTTP/1.0 has no transfer codings: the framing is faulty, read to the end and close
        // (RFC 9112, Section 6.1), whatever Content-Length says.
        head.until_close = true;
        head.keep_alive = false;
        return Result::complete;
    }
    if (framing_.has_transfer_encoding) {
        if (framing_.chunked_last)
            head.framing = Framing::chunked;
        else
            head.until_close = true;  // a coding we cannot frame by: read to the end
        if (framing_.has_length || !framing_.chunked_last)
            head.keep_alive = false;
        return Result::complete;
    }
    if (framing_.has_length) {
        head.content_length = framing_.content_length;
        head.framing = framing_.content_length > 0 ? Framing::content_length : Framing::none;
        return Result::complete;
    }
    head.until_close = true;
    head.keep_alive = false;
    return Result::complete;
}

}  // namespace http::detail
