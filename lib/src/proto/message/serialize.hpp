// Turning a Response, or a request's head, into bytes: one field policy for both.
#pragma once

#include "proto/message/http_date.hpp"
#include "proto/message/parameters.hpp"
#include "proto/parser/head_parser.hpp"
#include "proto/parser/scan.hpp"

#include <http/headers.hpp>
#include <http/response.hpp>

#include <charconv>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace http::detail {

struct ResponseFraming {
    bool head_request = false;  ///< HEAD: send the header section only
    bool keep_alive = true;     ///< false: announce Connection: close
    int version_minor = 1;      ///< of the request; an HTTP/1.0 keep-alive is announced
    /// The content is not `body` but comes from elsewhere (a file), this long: announced, and
    /// left to the caller to write.
    std::optional<std::uint64_t> external_length;
    /// The content is a stream of unknown length, left to the caller: chunked, or for an
    /// HTTP/1.0 request (keep_alive must then be false) delimited by the end of the connection.
    bool stream = false;
    /// A 101 that switches the connection to the protocol its Upgrade field names: announced
    /// with Connection: Upgrade.
    bool upgrade = false;
};

/// Bodies larger than this are written from the Response itself, not copied behind the header.
inline constexpr std::size_t inline_body_limit = 64 * 1024;

/// True for 1xx, 204 and 304: statuses that never have content (RFC 9110, Section 6.4.1).
constexpr bool response_has_no_content(Status status) noexcept {
    const auto code = static_cast<unsigned>(status);
    return code < 200 || code == 204 || code == 304;
}

/// The first header field the dataset requires for the response's status (Allow for 405,
/// Location for a redirect, WWW-Authenticate for 401 ...) that the response lacks, or empty.
std::string_view missing_required_field(const Response& response) noexcept;

/// Throws std::invalid_argument when the status is not three digits, a header name is not a
/// token, or a value holds a control character other than HTAB.
void check_response(const Response& response);

/// The fields the server writes itself, from the framing: Content-Length, Transfer-Encoding,
/// Connection and Date. `name` is a token (check_response()): then equals_lower() is exact, and
/// compares eight bytes at a time.
bool is_framing_field(std::string_view name) noexcept;

/// The header fields a checked response goes out with, HTTP/1.1 and HTTP/2 alike, through
/// `emit(name, value)`: Date; the handler's fields, but the framing ones and, for a status without
/// content, Content-Type; Set-Cookie; and for content not streamed, a default Content-Type and
/// Content-Length. Transfer-Encoding and Connection are HTTP/1.1's own (serialize_response). The
/// response has passed check_response().
template <class Emit>
void emit_response_fields(const Response& response, const ResponseFraming& framing, Emit&& emit);

/// Appends the status line and header section of `response` to `out`, and the body unless it is
/// not sent (HEAD, 1xx, 204, 304) or is larger than inline_body_limit; returns true when the
/// caller must still write response.body after `out`. A 1xx, 204 or 304 gets neither
/// Content-Length nor Content-Type. Throws std::invalid_argument when a header name is not a
/// token or a value holds a control character other than HTAB.
bool serialize_response(const Response& response, const ResponseFraming& framing, std::string& out);

/// How a request is framed: what the serializer writes itself from these, never from the
/// caller's fields.
struct RequestFraming {
    std::string_view method;  ///< a token: "GET", "POST" ...
    /// origin-form ("/items?page=2"), absolute-form (to a proxy) or authority-form (CONNECT)
    std::string_view target;
    std::string_view host;  ///< the Host field value: the URL's authority
    /// The content's length, announced with Content-Length; none: no content, no Content-Length.
    std::optional<std::uint64_t> content_length;
    /// Ask for 100 Continue before sending the content (RFC 9110, Section 10.1.1). Only a request
    /// with content (a length above 0) asks.
    bool expect_continue = false;
    bool keep_alive = true;  ///< false: announce Connection: close
    /// Asks to switch the connection to the protocol the caller's Upgrade field names (a
    /// WebSocket opening handshake): announced with Connection: Upgrade.
    bool upgrade = false;
};

/// What a serialized request head announced that the exchange must act on.
struct SerializedRequest {
    /// Expect: 100-continue went out: wait for the 100 (or a final status) before the content.
    bool expect_continue = false;
    /// No Connection: close went out: the connection may carry another exchange after this one.
    bool keep_alive = true;
};

/// The fields a request's framing decides, never the caller: Host, Content-Length,
/// Transfer-Encoding, Connection and Expect.
bool is_request_framing_field(std::string_view name) noexcept;

/// Throws std::invalid_argument when the method is not a token, the target or host is empty or
/// holds a byte other than visible ASCII, a field name is not a token, or a value holds a control
/// character other than HTAB: what may not go out in a request, HTTP/1.1 or HTTP/2.
void check_request_head(std::string_view method, std::string_view target, std::string_view host, const Headers& fields);

/// Appends the request line and header section to `out`: the request line and Host from the
/// framing, then the caller's `fields` but the framing ones, then Content-Length, Expect and
/// Connection as the framing says. The content is the caller's to write after it. Throws
/// std::invalid_argument, leaving `out` as it was, when the method is not a token, the target or
/// host is empty or holds a byte other than visible ASCII, a field name is not a token, or a
/// value holds a control character other than HTAB.
SerializedRequest serialize_request(const RequestFraming& framing, const Headers& fields, std::string& out);

template <class Emit>
void emit_response_fields(const Response& response, const ResponseFraming& framing, Emit&& emit) {
    emit(std::string_view("Date"), std::string_view(current_http_date()));
    const bool no_body = response_has_no_content(response.status);
    bool has_content_type = false;
    std::string_view declared_length;
    for (const auto& [name, value] : response.headers) {
        if (is_framing_field(name)) {
            if (equals_lower(name, "content-length"))
                declared_length = value;
            continue;
        }
        if (equals_lower(name, "content-type")) {
            // A status that has no content has no media type either (RFC 9110, Sections 8.3 and
            // 15.4.5): a 304 or 204 made from a failure or a handler's defaults does not carry one.
            if (no_body)
                continue;
            has_content_type = true;
        }
        emit(std::string_view(name), std::string_view(value));
    }
    for (const std::string& cookie : response.cookies)
        emit(std::string_view("Set-Cookie"), std::string_view(cookie));
    if (no_body || framing.stream)
        return;
    const std::uint64_t length = framing.external_length ? *framing.external_length : response.body.size();
    if (!has_content_type && length > 0)
        emit(std::string_view("Content-Type"), std::string_view("text/plain; charset=utf-8"));
    // A HEAD handler may announce the length of what GET would send without producing it.
    std::uint64_t declared = 0;
    if (framing.head_request && length == 0 && parse_content_length(declared_length, declared)) {
        emit(std::string_view("Content-Length"), declared_length);
        return;
    }
    char digits[32];  // 20 at most; 32 for the compiler, which cannot tell, to see serialize.cpp's copy_bytes() inside it
    const auto end = std::to_chars(digits, digits + sizeof digits, length).ptr;
    emit(std::string_view("Content-Length"), std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

}  // namespace http::detail
