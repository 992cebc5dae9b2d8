#include "parser/response_parser.hpp"

#include "parser/char_class.hpp"

namespace http::detail {

void ResponseHeadParser::reset() noexcept {
    error_ = {};
    lines_.reset();
    start_ = 0;
    have_status_line_ = false;
    status_ = 0;
    version_minor_ = 1;
    reason_offset_ = reason_length_ = 0;
    fields_.clear();
}

ResponseHeadParser::Result ResponseHeadParser::parse(std::string_view input, ResponseHead& head, bool head_request) {
    if (!have_status_line_ && lines_.line_start() == start_) {
        // Empty lines before the status-line (left after a previous body) are skipped.
        while (start_ < input.size() && (input[start_] == '\r' || input[start_] == '\n')) {
            if (input[start_] == '\r') {
                if (start_ + 1 == input.size())
                    return Result::incomplete;
                if (input[start_ + 1] != '\n')
                    return fail("bare CR before the status line");
                ++start_;
            }
            lines_.start_at(++start_);
            if (start_ > 64)
                return fail("too many empty lines before the status line");
        }
    }
    while (true) {
        // A line's first bytes are judged before its end is known, as the request parser does.
        if (const std::size_t at = lines_.line_start(); at < input.size()) {
            if (!have_status_line_ && input.size() - at >= 5 && input.compare(at, 5, "HTTP/") != 0)
                return fail("not an HTTP response");
            if (have_status_line_ && (input[at] == ' ' || input[at] == '\t'))
                return fail("obsolete line folding is not accepted");
            if (have_status_line_ && input[at] == '\r' && at + 1 < input.size() && input[at + 1] != '\n')
                return fail("bare CR in header section");
        }
        std::size_t begin = 0;
        std::size_t end = 0;
        switch (lines_.next(input, begin, end)) {
        case LineScanner::Result::incomplete:
            if (input.size() > max_header_size_)
                return fail("response header section too large");
            return Result::incomplete;
        case LineScanner::Result::mixed_line_ends:
            return fail("mixed CRLF and LF line ends");
        case LineScanner::Result::line:
            break;
        }
        if (lines_.next_line() > max_header_size_)
            return fail("response header section too large");
        const std::string_view line = input.substr(begin, end - begin);
        if (!have_status_line_) {
            if (status_line(line) == Result::error)
                return Result::error;
            reason_offset_ += static_cast<std::uint32_t>(begin);
        } else if (line.empty()) {
            head.size = lines_.next_line();
            return finish(input, head, head_request);
        } else {
            Field field;
            if (!parse_field_line(line, field, error_)) {
                error_.status = Status::BAD_GATEWAY;
                return Result::error;
            }
            if (fields_.size() == max_fields_)
                return fail("too many response header fields");
            const auto offset = [&](std::string_view s) { return static_cast<std::uint32_t>(s.data() - input.data()); };
            fields_.push_back({offset(field.name), static_cast<std::uint32_t>(field.name.size()), offset(field.value),
                               static_cast<std::uint32_t>(field.value.size())});
        }
        lines_.advance();
    }
}

ResponseHeadParser::Result ResponseHeadParser::status_line(std::string_view line) {
    // HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112, Section 4). A missing SP before
    // an empty reason is tolerated: servers that omit the reason often omit it too.
    if (!line.starts_with("HTTP/"))
        return fail("not an HTTP response");
    if (line.size() < 12 || line[6] != '.' || line[8] != ' ' || line[5] < '0' ||
        line[5] > '9' || line[7] < '0' || line[7] > '9')
        return fail("invalid status line");
    if (line[5] != '1')
        return fail("unsupported HTTP version in the status line");
    int code = 0;
    for (int i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9')
            return fail("invalid status code");
        code = code * 10 + (line[i] - '0');
    }
    if (code < 100)
        return fail("invalid status code");
    std::string_view reason;
    if (line.size() > 12) {
        if (line[12] != ' ')
            return fail("invalid status line");
        reason = line.substr(13);
        for (const char c : reason)
            if (!is(c, field_vchar))
                return fail("invalid character in the reason phrase");
    }
    status_ = code;
    version_minor_ = line[7] - '0';
    reason_offset_ = reason.empty() ? 0 : 13;
    reason_length_ = static_cast<std::uint32_t>(reason.size());
    have_status_line_ = true;
    return Result::incomplete;
}

ResponseHeadParser::Result ResponseHeadParser::finish(std::string_view input, ResponseHead& head, bool head_request) {
    head.status = status_;
    head.reason = input.substr(reason_offset_, reason_length_);
    head.version_minor = version_minor_;
    head.fields.clear();
    bool has_length = false;
    bool has_transfer_encoding = false;
    bool chunked_last = false;
    bool close = false;
    bool keep_alive_token = false;
    std::uint64_t length = 0;
    for (const FieldSpan& f : fields_) {
        const std::string_view name = input.substr(f.name_offset, f.name_length);
        const std::string_view value = input.substr(f.value_offset, f.value_length);
        head.fields.push_back({name, value});
        if (name.size() == 14 && equals_lower(name, "content-length")) {
            if (!add_content_length(value, has_length, length))
                return fail("invalid or conflicting Content-Length");
        } else if (name.size() == 17 && equals_lower(name, "transfer-encoding")) {
            has_transfer_encoding = true;
            for_each_list_element(value, [&](std::string_view e) {
                chunked_last = equals_lower(trim_ows(e.substr(0, e.find(';'))), "chunked");
            });
        } else if (name.size() == 10 && equals_lower(name, "connection")) {
            for_each_list_element(value, [&](std::string_view e) {
                if (equals_lower(e, "close"))
                    close = true;
                else if (equals_lower(e, "keep-alive"))
                    keep_alive_token = true;
            });
        }
    }

    head.keep_alive = version_minor_ >= 1 ? !close : keep_alive_token && !close;
    head.framing = Framing::none;
    head.content_length = 0;
    head.until_close = false;
    // How the body ends (RFC 9112, Section 6.3), in the RFC's order.
    if (head_request || status_ < 200 || status_ == 204 || status_ == 304)
        return Result::complete;
    if (has_transfer_encoding) {
        if (chunked_last) {
            head.framing = Framing::chunked;
        } else {
            head.until_close = true;  // a coding we cannot frame by: read to the end
        }
        if (has_length || !chunked_last)
            head.keep_alive = false;  // the framing was ambiguous: never reuse this connection
        return Result::complete;
    }
    if (has_length) {
        head.content_length = length;
        head.framing = length > 0 ? Framing::content_length : Framing::none;
        return Result::complete;
    }
    head.until_close = true;
    head.keep_alive = false;
    return Result::complete;
}

}  // namespace http::detail
