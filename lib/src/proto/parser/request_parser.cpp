#include "proto/parser/request_parser.hpp"

#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"

#include <algorithm>
#include <cstring>

namespace http::detail {

// uri-host [ ":" port ] (RFC 9110, Section 7.2; RFC 3986, Section 3.2): the Host field and an
// absolute-form target's authority. An empty value is allowed (a URI may have an empty host).
bool valid_authority(std::string_view authority) noexcept {
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
        for (const char c : rest.substr(rest.empty() ? 0 : 1))
            if (c < '0' || c > '9')
                return false;
        return true;
    }
    // reg-name or IPv4address up to the first colon (none may be in it), then digits to the end.
    const char* const end = authority.data() + authority.size();
    const char* p = scan_class(authority.data(), end, reg_name_char);
    return p == end || (*p == ':' && scan_class(p + 1, end, digit) == end);
}

RequestHeadParser::Result RequestHeadParser::check_method(std::string_view input) {
    // A method is a token: bytes that cannot be one (a TLS handshake, binary noise) are refused
    // at once. Only its first max_method_bytes() bytes are looked at: past them the line is too
    // long (check_unfinished, too_large, start_line), whichever byte ends the method.
    const char* data = input.data();
    const std::size_t size = std::min(input.size(), start_ + max_method_bytes());
    method_checked_ = std::max(method_checked_, start_);  // past leading empty lines
    for (; method_checked_ < size; ++method_checked_) {
        if (data[method_checked_] == ' ') {
            method_checked_ = SIZE_MAX;
            break;
        }
        if (data[method_checked_] == '\r' && method_checked_ + 1 == input.size())
            break;  // maybe the line's end: the next byte tells
        if (!is(data[method_checked_], tchar))
            return fail(Status::BAD_REQUEST, "invalid character in method");
    }
    return Result::incomplete;
}

RequestHeadParser::Result RequestHeadParser::check_unfinished(std::string_view input) {
    // Refuse what can no longer become a valid request before the rest of it arrives.
    const std::size_t size = input.size();
    if (!have_start_line_) {
        if (check_method(input) == Result::error)
            return Result::error;
        if (size - start_ > max_method_bytes())
            return fail(Status::URI_TOO_LONG, "request-target too long");
        return Result::incomplete;
    }
    if (size - start_ > rules_.max_header_size)
        return fail(Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "header section too large");
    return Result::incomplete;
}

RequestHeadParser::Result RequestHeadParser::too_large(std::string_view input) {
    if (have_start_line_)
        return fail(Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "header section too large");
    // As check_unfinished() would have said for the line's first bytes.
    if (check_method(input) == Result::error)
        return Result::error;
    return fail(Status::URI_TOO_LONG, "request-target too long");
}

RequestHeadParser::Result RequestHeadParser::start_line(std::string_view input, std::size_t begin, std::size_t end) {
    // method SP request-target SP HTTP-version, exactly one space each (RFC 9112, Section 3).
    const char* line = input.data() + begin;
    const char* line_end = input.data() + end;
    // GET, the commonest method, in one comparison; the others through the token scan.
    const char* p = line_end - line > 4 && std::memcmp(line, "GET ", 4) == 0 ? line + 3 : scan_token(line, line_end);
    // Judged in the order check_unfinished() judges an unfinished line, so that the verdict does
    // not depend on how the bytes arrived: a byte that cannot be in a method among the first
    // max_method_bytes(), then a line longer than that (to its LF), then the rest.
    if (p != line_end && *p != ' ' && static_cast<std::size_t>(p - line) < max_method_bytes())
        return fail(Status::BAD_REQUEST, "invalid character in method");
    if ((input[end] == '\r' ? end + 1 : end) - begin > max_method_bytes())
        return fail(Status::URI_TOO_LONG, "request-target too long");
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
    if (version != "HTTP/1.1") {  // the common case in one comparison
        if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
            version[5] > '9' || version[7] < '0' || version[7] > '9')
            return fail(Status::BAD_REQUEST, "invalid HTTP version");
        if (version[5] != '1')
            return fail(Status::HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.x is supported");
    }

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
    have_start_line_ = true;
    return Result::incomplete;
}


RequestHeadParser::Result RequestHeadParser::expect(std::string_view value) {
    bool other = false;
    for_each_list_element(value, [&](std::string_view e) {
        if (equals_lower(e, "100-continue"))
            expect_continue_ = true;
        else
            other = true;
    });
    if (other)
        return fail(Status::EXPECTATION_FAILED, "only 100-continue can be expected");
    return Result::incomplete;
}

RequestHeadParser::Result RequestHeadParser::finish_rest(RequestHead& head) {
    // An absolute-form target's authority wins over Host (RFC 9112, Section 3.2.2).
    if (const std::string_view t = head.target; t.front() != '/' && t != "*" && head.method != "CONNECT") {
        std::string_view authority = t.substr(t.find("://") + 3);
        head.host = authority.substr(0, authority.find_first_of("/?#"));
    }

    // How a request body is framed (RFC 9112, Section 6.3): anything that could be read two ways
    // is refused.
    if (framing_.has_transfer_encoding) {
        if (version_minor_ == 0)
            return fail(Status::BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request");
        if (framing_.has_length)
            return fail(Status::BAD_REQUEST, "both Transfer-Encoding and Content-Length");
        if (framing_.chunked_count == 0 || !framing_.chunked_last)
            return fail(Status::BAD_REQUEST, "chunked is not the final transfer coding");
        if (framing_.chunked_count > 1)
            return fail(Status::BAD_REQUEST, "chunked applied more than once");
        if (framing_.unknown_coding)
            return fail(Status::NOT_IMPLEMENTED, "unsupported transfer coding");
        head.framing = Framing::chunked;
    } else if (framing_.has_length) {
        head.content_length = framing_.content_length;
        head.framing = framing_.content_length > 0 ? Framing::content_length : Framing::none;
    }
    return Result::complete;
}
}  // namespace http::detail
