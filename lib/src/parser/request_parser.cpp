#include "parser/request_parser.hpp"

#include "parser/char_class.hpp"
#include "parser/scan.hpp"

#include <cstring>

namespace http::detail {

namespace {

// The request-line may exceed the target limit by this much (method, version, spaces) before
// an unfinished one is refused as too long.
constexpr std::size_t request_line_slack = 64;
// Empty lines tolerated before the request-line (RFC 9112, Section 2.2 asks for at least one).
constexpr std::size_t max_leading_empty_bytes = 64;

std::string_view view(std::string_view input, std::size_t offset, std::size_t length) {
    return input.substr(offset, length);
}

// uri-host [ ":" port ] (RFC 9110, Section 7.2; RFC 3986, Section 3.2): the Host field and an
// absolute-form target's authority. An empty value is allowed (a URI may have an empty host).
bool valid_authority(std::string_view authority) {
    std::string_view port;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos)
            return false;
        for (const char c : authority.substr(1, close - 1))
            if (hex_value(c) < 0 && c != ':' && c != '.')
                return false;
        const std::string_view rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return false;
        port = rest.empty() ? rest : rest.substr(1);
    } else {
        const std::size_t colon = authority.rfind(':');
        const std::string_view host = authority.substr(0, colon);
        for (const char c : host)
            if (!is(c, uri_host_char) || c == ':' || c == '[' || c == ']')
                return false;
        port = colon == std::string_view::npos ? std::string_view() : authority.substr(colon + 1);
    }
    for (const char c : port)
        if (c < '0' || c > '9')
            return false;
    return true;
}

}  // namespace

void RequestHeadParser::reset() noexcept {
    error_ = {};
    lines_.reset();
    start_ = method_checked_ = 0;
    method_ = target_ = host_ = {};
    version_minor_ = 1;
    have_request_line_ = false;
    fields_.clear();
    hosts_ = 0;
    has_length_ = has_transfer_encoding_ = chunked_last_ = unknown_coding_ = false;
    close_ = keep_alive_token_ = expect_continue_ = false;
    content_length_ = 0;
    chunked_count_ = 0;
}

RequestHeadParser::Result RequestHeadParser::fail(Status status, std::string_view reason) noexcept {
    error_ = {status, reason};
    return Result::error;
}

RequestHeadParser::Result RequestHeadParser::parse(std::string_view input, RequestHead& head) {
    const char* data = input.data();
    const std::size_t size = input.size();

    if (!have_request_line_ && lines_.line_start() == start_) {
        // Empty lines before the request-line are skipped (RFC 9112, Section 2.2).
        while (start_ < size && (data[start_] == '\r' || data[start_] == '\n')) {
            if (data[start_] == '\r') {
                if (start_ + 1 == size)
                    return Result::incomplete;
                if (data[start_ + 1] != '\n')
                    return fail(Status::BAD_REQUEST, "bare CR before the request-line");
                ++start_;
            }
            ++start_;
            lines_.start_at(start_);  // kept in step for a next call
            method_checked_ = start_;
            if (start_ > max_leading_empty_bytes)
                return fail(Status::BAD_REQUEST, "too many empty lines before the request-line");
        }
    }

    while (true) {
        // A field line's first bytes are judged first, before its end is even known, so that
        // the verdict does not depend on how the bytes arrived.
        if (have_request_line_ && check_line_start(input) == Result::error)
            return Result::error;
        std::size_t begin = 0;
        std::size_t end = 0;
        switch (lines_.next(input, begin, end)) {
        case LineScanner::Result::incomplete:
            return check_partial_line(input);
        case LineScanner::Result::mixed_line_ends:
            return fail(Status::BAD_REQUEST, "mixed CRLF and LF line ends");
        case LineScanner::Result::line:
            break;
        }
        if (lines_.next_line() - start_ > rules_.max_header_size + 2)
            return fail(have_request_line_ ? Status::REQUEST_HEADER_FIELDS_TOO_LARGE : Status::URI_TOO_LONG,
                        have_request_line_ ? "header section too large" : "request-target too long");
        Result r;
        if (!have_request_line_) {
            r = request_line(input, begin, end);
        } else if (end == begin) {
            head.size = lines_.next_line();
            return finish(input, head);
        } else {
            r = field_line(input, begin, end);
        }
        if (r == Result::error)
            return r;
        lines_.advance();
    }
}

RequestHeadParser::Result RequestHeadParser::check_partial_line(std::string_view input) {
    // Refuse what can no longer become a valid request before the rest of it arrives.
    const char* data = input.data();
    const std::size_t size = input.size();
    if (!have_request_line_) {
        // A method is a token: bytes that cannot be one (a TLS handshake, binary noise) are
        // refused at once.
        for (; method_checked_ < size; ++method_checked_) {
            if (data[method_checked_] == ' ') {
                method_checked_ = SIZE_MAX;
                break;
            }
            if (data[method_checked_] == '\r' && method_checked_ + 1 == size)
                break;  // maybe the line's end: the next byte tells
            if (!is(data[method_checked_], tchar))
                return fail(Status::BAD_REQUEST, "invalid character in method");
        }
        if (size - start_ > rules_.max_request_target + request_line_slack)
            return fail(Status::URI_TOO_LONG, "request-target too long");
        return Result::incomplete;
    }
    if (size - start_ > rules_.max_header_size)
        return fail(Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "header section too large");
    return Result::incomplete;
}

RequestHeadParser::Result RequestHeadParser::check_line_start(std::string_view input) {
    const std::size_t start = lines_.line_start();
    if (start >= input.size())
        return Result::incomplete;
    const char first = input[start];
    if (first == ' ' || first == '\t')
        return fail(Status::BAD_REQUEST, "obsolete line folding is not accepted");
    if (first == '\r' && start + 1 < input.size() && input[start + 1] != '\n')
        return fail(Status::BAD_REQUEST, "bare CR in header section");
    return Result::incomplete;
}

RequestHeadParser::Result RequestHeadParser::request_line(std::string_view input, std::size_t begin, std::size_t end) {
    // method SP request-target SP HTTP-version, exactly one space each (RFC 9112, Section 3).
    const char* line = input.data() + begin;
    const char* line_end = input.data() + end;
    const char* p = line;
    while (p < line_end && is(*p, tchar))
        ++p;
    // Classified as check_partial_line() does for an unfinished line, so that the reason does
    // not depend on how the bytes arrived.
    if (p == line_end)
        return fail(Status::BAD_REQUEST, "invalid request-line");
    if (*p != ' ')
        return fail(Status::BAD_REQUEST, "invalid character in method");
    if (p == line)
        return fail(Status::BAD_REQUEST, "empty method");
    const std::string_view method(line, static_cast<std::size_t>(p - line));

    const char* target = p + 1;
    const char* target_end = scan_target(target, line_end);
    if (target_end == target)
        return fail(Status::BAD_REQUEST, "missing request-target");
    if (target_end == line_end || *target_end != ' ')
        return fail(Status::BAD_REQUEST, "invalid character in request-target");
    const std::string_view t(target, static_cast<std::size_t>(target_end - target));
    if (t.size() > rules_.max_request_target)
        return fail(Status::URI_TOO_LONG, "request-target too long");

    const std::string_view version(target_end + 1, static_cast<std::size_t>(line_end - target_end - 1));
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
        version[5] > '9' || version[7] < '0' || version[7] > '9')
        return fail(Status::BAD_REQUEST, "invalid HTTP version");
    if (version[5] != '1')
        return fail(Status::HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.x is supported");

    // The four forms of request-target (RFC 9112, Section 3.2).
    if (t.front() != '/') {
        if (t == "*") {
            if (method != "OPTIONS")
                return fail(Status::BAD_REQUEST, "asterisk-form is only for OPTIONS");
        } else if (method == "CONNECT") {
            if (t.find_first_of("/?#@") != std::string_view::npos || t.find(':') == std::string_view::npos)
                return fail(Status::BAD_REQUEST, "CONNECT needs an authority-form target");
        } else {
            const std::size_t scheme_end = t.find("://");
            if (scheme_end == std::string_view::npos || scheme_end == 0)
                return fail(Status::BAD_REQUEST, "invalid request-target");
            for (std::size_t i = 0; i < scheme_end; ++i) {
                const char c = t[i];
                const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
                if (!ok)
                    return fail(Status::BAD_REQUEST, "invalid scheme in request-target");
            }
            std::string_view authority = t.substr(scheme_end + 3);
            authority = authority.substr(0, authority.find_first_of("/?#"));
            if (authority.find('@') != std::string_view::npos)  // RFC 9110, Section 4.2.4
                return fail(Status::BAD_REQUEST, "userinfo in request-target");
            if (!valid_authority(authority))
                return fail(Status::BAD_REQUEST, "invalid authority in request-target");
        }
    }

    method_ = {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(method.size())};
    target_ = {static_cast<std::uint32_t>(target - input.data()), static_cast<std::uint32_t>(t.size())};
    version_minor_ = version[7] - '0';
    have_request_line_ = true;
    return Result::incomplete;
}

bool parse_field_line(std::string_view line, Field& field, ParseError& error) noexcept {
    auto fail = [&error](std::string_view reason) {
        error = {Status::BAD_REQUEST, reason};
        return false;
    };
    const char* p = line.data();
    const char* end = p + line.size();
    if (p < end && (*p == ' ' || *p == '\t'))
        return fail("obsolete line folding is not accepted");
    const char* name = p;
    while (p < end && is(*p, tchar))
        ++p;
    if (p == end || *p != ':') {
        if (p < end && (*p == ' ' || *p == '\t'))
            return fail("whitespace between field name and colon");
        if (p < end && *p == '\r')
            return fail("bare CR in header section");
        return fail(p == name ? "empty field name" : "invalid character in field name");
    }
    if (p == name)
        return fail("empty field name");
    field.name = std::string_view(name, static_cast<std::size_t>(p - name));
    ++p;
    while (p < end && (*p == ' ' || *p == '\t'))
        ++p;
    const char* value = p;
    if (!valid_field_value(line.data(), p, end)) {
        // Find the offending byte, to say what it is.
        while (true) {
            p = scan_field_value(p, end);
            if (*p != '\t')
                break;
            ++p;
        }
        return fail(*p == '\r' ? "bare CR in field value" : *p == '\0' ? "NUL in field value" : "invalid character in field value");
    }
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        --end;
    field.value = std::string_view(value, static_cast<std::size_t>(end - value));
    return true;
}

RequestHeadParser::Result RequestHeadParser::field_line(std::string_view input, std::size_t begin, std::size_t end) {
    Field field;
    if (!parse_field_line(input.substr(begin, end - begin), field, error_))
        return Result::error;
    if (fields_.size() == rules_.max_header_fields)
        return fail(Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "too many header fields");
    const auto offset = [&](std::string_view s) { return static_cast<std::uint32_t>(s.data() - input.data()); };
    fields_.push_back({{offset(field.name), static_cast<std::uint32_t>(field.name.size())},
                       {offset(field.value), static_cast<std::uint32_t>(field.value.size())}});

    // The fields that decide framing and connection handling, checked as they arrive.
    const std::string_view name = field.name;
    const std::string_view value = field.value;
    switch (name.size()) {
    case 4:
        if (equals_lower(name, "host")) {
            if (!valid_authority(value))
                return fail(Status::BAD_REQUEST, "invalid Host");
            if (++hosts_ > 1)
                return fail(Status::BAD_REQUEST, "more than one Host");
            host_ = fields_.back().value;
        }
        break;
    case 6:
        if (equals_lower(name, "expect")) {
            bool other = false;
            for_each_list_element(value, [&](std::string_view e) {
                if (equals_lower(e, "100-continue"))
                    expect_continue_ = true;
                else
                    other = true;
            });
            if (other)
                return fail(Status::EXPECTATION_FAILED, "only 100-continue can be expected");
        }
        break;
    case 10:
        if (equals_lower(name, "connection")) {
            for_each_list_element(value, [&](std::string_view e) {
                if (equals_lower(e, "close"))
                    close_ = true;
                else if (equals_lower(e, "keep-alive"))
                    keep_alive_token_ = true;
            });
        }
        break;
    case 14:
        if (equals_lower(name, "content-length") && !add_content_length(value, has_length_, content_length_))
            return fail(Status::BAD_REQUEST, "invalid or conflicting Content-Length");
        break;
    case 17:
        if (equals_lower(name, "transfer-encoding")) {
            has_transfer_encoding_ = true;
            bool bad = false;
            for_each_list_element(value, [&](std::string_view e) {
                const std::size_t semicolon = e.find(';');
                const std::string_view coding = trim_ows(e.substr(0, semicolon));
                if (!is_token(coding))
                    bad = true;
                if (equals_lower(coding, "chunked")) {
                    ++chunked_count_;
                    chunked_last_ = true;
                    if (semicolon != std::string_view::npos)
                        bad = true;  // chunked takes no parameters
                } else {
                    chunked_last_ = false;
                    unknown_coding_ = true;
                }
            });
            if (bad)
                return fail(Status::BAD_REQUEST, "invalid Transfer-Encoding");
        }
        break;
    default:
        break;
    }
    return Result::incomplete;
}

RequestHeadParser::Result RequestHeadParser::finish(std::string_view input, RequestHead& head) {
    head.method = view(input, method_.offset, method_.length);
    head.target = view(input, target_.offset, target_.length);
    head.version_minor = version_minor_;
    head.fields.clear();
    for (const FieldSpan& f : fields_)
        head.fields.push_back({view(input, f.name.offset, f.name.length), view(input, f.value.offset, f.value.length)});
    head.host = hosts_ ? view(input, host_.offset, host_.length) : std::string_view();
    head.expect_continue = expect_continue_;
    head.content_length = 0;
    head.framing = Framing::none;

    if (version_minor_ >= 1) {
        if (hosts_ == 0 && rules_.require_host)
            return fail(Status::BAD_REQUEST, "missing Host");
        head.keep_alive = !close_;
    } else {
        head.keep_alive = keep_alive_token_ && !close_;
    }

    // An absolute-form target's authority wins over Host (RFC 9112, Section 3.2.2).
    if (const std::string_view t = head.target; t.front() != '/' && t != "*" && head.method != "CONNECT") {
        std::string_view authority = t.substr(t.find("://") + 3);
        head.host = authority.substr(0, authority.find_first_of("/?#"));
    }

    if (has_transfer_encoding_) {
        if (version_minor_ == 0)
            return fail(Status::BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request");
        if (has_length_)
            return fail(Status::BAD_REQUEST, "both Transfer-Encoding and Content-Length");
        if (chunked_count_ == 0 || !chunked_last_)
            return fail(Status::BAD_REQUEST, "chunked is not the final transfer coding");
        if (chunked_count_ > 1)
            return fail(Status::BAD_REQUEST, "chunked applied more than once");
        if (unknown_coding_)
            return fail(Status::NOT_IMPLEMENTED, "unsupported transfer coding");
        head.framing = Framing::chunked;
    } else if (has_length_) {
        head.content_length = content_length_;
        head.framing = content_length_ > 0 ? Framing::content_length : Framing::none;
    }
    return Result::complete;
}

bool parse_field_lines(std::string_view lines, std::vector<Field>& fields, std::size_t max_fields, ParseError& error) {
    LineScanner scanner;
    while (true) {
        std::size_t begin = 0;
        std::size_t end = 0;
        switch (scanner.next(lines, begin, end)) {
        case LineScanner::Result::incomplete:
            error = {Status::BAD_REQUEST, "unterminated field section"};
            return false;
        case LineScanner::Result::mixed_line_ends:
            error = {Status::BAD_REQUEST, "mixed CRLF and LF line ends"};
            return false;
        case LineScanner::Result::line:
            break;
        }
        if (scanner.next_line() < 2 || lines[scanner.next_line() - 2] != '\r') {
            error = {Status::BAD_REQUEST, "field lines here must end in CRLF"};
            return false;
        }
        if (begin == end)
            return true;
        Field field;
        if (!parse_field_line(lines.substr(begin, end - begin), field, error))
            return false;
        if (fields.size() == max_fields) {
            error = {Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "too many header fields"};
            return false;
        }
        fields.push_back(field);
        scanner.advance();
    }
}

bool add_content_length(std::string_view value, bool& seen, std::uint64_t& length) noexcept {
    bool empty = true;
    bool bad = false;
    for_each_list_element(value, [&](std::string_view element) {
        std::uint64_t n = 0;
        empty = false;
        if (!parse_content_length(element, n) || (seen && n != length))
            bad = true;
        length = n;
        seen = true;
    });
    return !empty && !bad;
}

bool parse_content_length(std::string_view value, std::uint64_t& length) noexcept {
    if (value.empty() || value.size() > 19)  // 19 digits always fit in 63 bits
        return false;
    std::uint64_t n = 0;
    for (const char c : value) {
        if (c < '0' || c > '9')
            return false;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    length = n;
    return true;
}

}  // namespace http::detail
