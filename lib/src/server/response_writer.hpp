// Turning a Response into bytes, and a failure into a Response.
#pragma once

#include <http/failure.hpp>
#include <http/response.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace http::detail {

struct ResponseFraming {
    bool head_request = false;  ///< HEAD: send the header section only
    bool keep_alive = true;     ///< false: announce Connection: close
    int version_minor = 1;      ///< of the request; an HTTP/1.0 keep-alive is announced
};

/// Bodies larger than this are written from the Response itself, not copied behind the header.
inline constexpr std::size_t inline_body_limit = 64 * 1024;

/// Appends the status line and header section of `response` to `out`, and the body unless it is
/// not sent (HEAD, 1xx, 204, 304) or is larger than inline_body_limit; returns true when the
/// caller must still write response.body after `out`. Throws std::invalid_argument when a
/// header name is not a token or a value holds CR, LF or NUL.
bool serialize_response(const Response& response, const ResponseFraming& framing, std::string& out);

/// The response for a failure: its status and headers, and an RFC 9457 problem+json body, or
/// HTML or plain text when `accept` prefers those.
Response failure_response(Status status, std::string_view detail, const std::vector<Failure::Header>& headers,
                          std::string_view accept);
inline Response failure_response(const Failure& failure, std::string_view accept) {
    return failure_response(failure.status(), failure.what(), failure.headers(), accept);
}

/// JSON string contents: quotes, backslashes and control characters escaped.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace http::detail
