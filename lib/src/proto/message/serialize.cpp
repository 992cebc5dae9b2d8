#include "proto/message/serialize.hpp"

#include "proto/message/http_date.hpp"
#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"
#include "proto/parser/head_parser.hpp"

#include <charconv>
#include <stdexcept>

namespace http::detail {

namespace {

void append_number(std::string& out, std::uint64_t n) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, n);
    out.append(digits, result.ptr);
}

void check_field(std::string_view name, std::string_view value) {
    if (!is_token(name))
        throw std::invalid_argument("http::Response: header name '" + std::string(name) + "' is not a token");
    if (!is_field_value(value))
        throw std::invalid_argument("http::Response: value of header '" + std::string(name) +
                                    "' holds a control character");
}

// Fields the server writes itself, from the response's framing.
bool is_framing_field(std::string_view name) {
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection") ||
           iequals(name, "date");
}

}  // namespace

std::string_view missing_required_field(const Response& response) noexcept {
    const StatusInfo* info = status_info(response.status);
    if (!info)
        return {};
    for (const StatusHeader& header : info->headers)
        if (header.required && !response.headers.contains(header.name))
            return header.name;
    return {};
}

bool serialize_response(const Response& response, const ResponseFraming& framing, std::string& out) {
    const auto code = static_cast<unsigned>(response.status);
    if (code < 100 || code > 999)
        throw std::invalid_argument("http::Response: status " + std::to_string(code) + " is not a three-digit code");
    for (const auto& [name, value] : response.headers)
        check_field(name, value);
    for (const std::string& cookie : response.cookies)
        check_field("Set-Cookie", cookie);

    out += "HTTP/1.1 ";
    append_number(out, code);
    out += ' ';
    out += phrase(response.status);
    out += "\r\nDate: ";
    out += current_http_date();
    out += "\r\n";

    const bool no_body = response_has_no_content(response.status);
    bool has_content_type = false;
    std::string_view declared_length;
    for (const auto& [name, value] : response.headers) {
        if (is_framing_field(name)) {
            if (iequals(name, "content-length"))
                declared_length = value;
            continue;
        }
        if (iequals(name, "content-type")) {
            // A status that has no content has no media type either (RFC 9110, Sections 8.3 and
            // 15.4.5): a 304 or 204 made from a failure or a handler's defaults does not carry one.
            if (no_body)
                continue;
            has_content_type = true;
        }
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    for (const std::string& cookie : response.cookies) {
        out += "Set-Cookie: ";
        out += cookie;
        out += "\r\n";
    }

    const std::uint64_t length = framing.external_length ? *framing.external_length : response.body.size();
    if (!no_body && framing.stream) {
        if (framing.version_minor >= 1)
            out += "Transfer-Encoding: chunked\r\n";
    } else if (!no_body) {
        if (!has_content_type && length > 0)
            out += "Content-Type: text/plain; charset=utf-8\r\n";
        // A HEAD handler may announce the length of what GET would send without producing it.
        std::uint64_t declared = 0;
        const bool keep_declared = framing.head_request && length == 0 && parse_content_length(declared_length, declared);
        out += "Content-Length: ";
        if (keep_declared)
            out += declared_length;
        else
            append_number(out, length);
        out += "\r\n";
    }
    if (!framing.keep_alive)
        out += "Connection: close\r\n";
    else if (framing.version_minor == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";

    if (no_body || framing.head_request || framing.stream)
        return false;
    if (framing.external_length || response.body.size() > inline_body_limit)
        return true;
    out += response.body;
    return false;
}

}  // namespace http::detail
