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

bool is_framing_field(std::string_view name) noexcept {
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection") ||
           iequals(name, "date");
}

void check_response(const Response& response) {
    const auto code = static_cast<unsigned>(response.status);
    if (code < 100 || code > 999)
        throw std::invalid_argument("http::Response: status " + std::to_string(code) + " is not a three-digit code");
    for (const auto& [name, value] : response.headers)
        check_field(name, value);
    for (const std::string& cookie : response.cookies)
        check_field("Set-Cookie", cookie);
}

bool serialize_response(const Response& response, const ResponseFraming& framing, std::string& out) {
    check_response(response);
    out += "HTTP/1.1 ";
    append_number(out, static_cast<unsigned>(response.status));
    out += ' ';
    out += phrase(response.status);
    out += "\r\n";
    emit_response_fields(response, framing, [&out](std::string_view name, std::string_view value) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    });
    const bool no_body = response_has_no_content(response.status);
    if (!no_body && framing.stream && framing.version_minor >= 1)
        out += "Transfer-Encoding: chunked\r\n";
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
