// Turning a Response into bytes.
#pragma once

#include <http/response.hpp>

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

/// Appends the status line and header section of `response` to `out`, and the body unless it is
/// not sent (HEAD, 1xx, 204, 304) or is larger than inline_body_limit; returns true when the
/// caller must still write response.body after `out`. A 1xx, 204 or 304 gets neither
/// Content-Length nor Content-Type. Throws std::invalid_argument when a header name is not a
/// token or a value holds a control character other than HTAB.
bool serialize_response(const Response& response, const ResponseFraming& framing, std::string& out);

}  // namespace http::detail
