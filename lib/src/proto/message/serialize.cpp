#include "proto/message/serialize.hpp"

#include "proto/message/http_date.hpp"
#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"
#include "proto/parser/head_parser.hpp"

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace http::detail {

namespace {

void check_field(std::string_view name, std::string_view value) {
    if (!is_token(name))
        throw std::invalid_argument("http::Response: header name '" + std::string(name) + "' is not a token");
    if (!is_field_value(value))
        throw std::invalid_argument("http::Response: value of header '" + std::string(name) +
                                    "' holds a control character");
}

// Appends a response head to a string through a buffer on the stack: one append for the head,
// where an append for each piece costs a capacity check and a call.
class HeadWriter {
public:
    explicit HeadWriter(std::string& out) noexcept : out_(out) {}
    HeadWriter(const HeadWriter&) = delete;
    HeadWriter& operator=(const HeadWriter&) = delete;

    [[gnu::always_inline]] void put(std::string_view piece) {
        if (piece.empty())
            return;  // its data() may be null, which memcpy may not be given
        if (piece.size() > static_cast<std::size_t>(end_ - at_)) {
            flush();
            if (piece.size() > sizeof buffer_) {
                out_.append(piece);
                return;
            }
        }
        std::memcpy(at_, piece.data(), piece.size());
        at_ += piece.size();
    }
    /// Writes what is buffered to the string; call it last.
    void flush() {
        out_.append(buffer_, static_cast<std::size_t>(at_ - buffer_));
        at_ = buffer_;
    }

private:
    std::string& out_;
    char buffer_[1024];
    char* at_ = buffer_;
    char* const end_ = buffer_ + sizeof buffer_;
};

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
    HeadWriter head(out);
    char digits[4];  // three, as check_response() made sure
    const auto code = std::to_chars(digits, digits + sizeof digits, static_cast<unsigned>(response.status)).ptr;
    head.put("HTTP/1.1 ");
    head.put(std::string_view(digits, static_cast<std::size_t>(code - digits)));
    head.put(" ");
    head.put(phrase(response.status));
    head.put("\r\n");
    emit_response_fields(response, framing, [&head](std::string_view name, std::string_view value) {
        head.put(name);
        head.put(": ");
        head.put(value);
        head.put("\r\n");
    });
    const bool no_body = response_has_no_content(response.status);
    if (!no_body && framing.stream && framing.version_minor >= 1)
        head.put("Transfer-Encoding: chunked\r\n");
    if (!framing.keep_alive)
        head.put("Connection: close\r\n");
    else if (framing.version_minor == 0)
        head.put("Connection: keep-alive\r\n");
    head.put("\r\n");
    head.flush();

    if (no_body || framing.head_request || framing.stream)
        return false;
    if (framing.external_length || response.body.size() > inline_body_limit)
        return true;
    out += response.body;
    return false;
}

}  // namespace http::detail
