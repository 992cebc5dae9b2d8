// Conditional requests for content a handler makes (RFC 9110, Section 13): the same evaluation
// send_file() applies to files.
#pragma once

#include <http/request.hpp>

#include <http/detail/chrono.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace http {

/// Applies the request's preconditions (If-Match, If-Unmodified-Since, If-None-Match,
/// If-Modified-Since, in RFC 9110 Section 13.2.2's order) to the content the handler is about to
/// send, whose entity-tag is `etag` (quoted, as strong_etag() makes it, or W/"..."; empty: none)
/// and which was last modified at `last_modified` (none: unknown). Returns when the request is
/// to be answered as it is. Throws http::NotModified (304, carrying ETag and Last-Modified) for
/// a GET or HEAD whose client has the content already, http::PreconditionFailed (412) when a
/// condition fails otherwise, and std::invalid_argument when `etag` is not an entity-tag.
/// Entity-tags compare strongly for If-Match and weakly for If-None-Match; a date field that is
/// not one HTTP-date is ignored, and dates compare to the second.
///
///     router.get("/report", [](http::Request& req, http::Response& res) {
///         std::string report = make_report();
///         const std::string etag = http::strong_etag(report);
///         res.headers.set("ETag", etag);
///         http::check_preconditions(req, etag);   // 304 or 412 from here
///         res.body = std::move(report);
///     });
void check_preconditions(const Request& req, std::string_view etag,
                         std::optional<std::chrono::system_clock::time_point> last_modified = {});

/// A strong entity-tag for `content`, quoted: "\"" + 32 hex digits + "\"", the first 128 bits of
/// its SHA-256. The same bytes give the same tag, in any process.
std::string strong_etag(std::string_view content);

}  // namespace http
