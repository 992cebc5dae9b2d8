// Conditional requests (RFC 9110, Section 13): entity-tag comparison and the evaluation of
// If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since in Section 13.2.2's order.
// One evaluation for every kind of content: files (send_file()) and what handlers make
// (http::check_preconditions()).
#pragma once

#include <http/headers.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace http::detail {

/// Whether `tag` is one entity-tag: "opaque" or W/"opaque", of visible bytes but '"' (and obs-text).
bool is_entity_tag(std::string_view tag) noexcept;

/// Whether an If-Match, If-None-Match or If-Range field value names `etag` (quoted, as sent in
/// ETag). "*" (the whole value) names any. Otherwise the value is a list of entity-tags: commas
/// inside a quoted tag belong to it, OWS and empty elements are skipped, and a malformed element
/// (unquoted, a bad byte, a lower-case "w/", text after the closing quote) names nothing. The
/// strong comparison (If-Match, If-Range) wants two strong tags, byte for byte; the weak one
/// (If-None-Match) ignores "W/", and the suffix a compressed variant's tag carries ("-gzip"), so
/// a client holding that variant still has this representation (RFC 9110, Section 8.8.3.2).
bool etag_matches(std::string_view list, std::string_view etag, bool weak);

/// What a request's preconditions decide.
enum class Precondition : std::uint8_t {
    proceed,       ///< none, or all true: answer as if unconditional
    not_modified,  ///< 304 (GET or HEAD whose If-None-Match or If-Modified-Since is false)
    failed         ///< 412 (If-Match or If-Unmodified-Since false, or If-None-Match for another method)
};

/// Evaluates the request's preconditions for its selected representation, which has the entity
/// tag `etag` (empty: none) and was last modified at `last_modified` (none: unknown), in RFC
/// 9110 Section 13.2.2's order: If-Match, else If-Unmodified-Since; then If-None-Match, else (GET
/// and HEAD only) If-Modified-Since. A field repeated counts as one list. A date that is not one
/// valid HTTP-date (a list of them included), or a date field when the modification time is
/// unknown, is ignored (Sections 13.1.3, 13.1.4); dates are compared to the second. CONNECT,
/// OPTIONS and TRACE have no preconditions (Section 13.2.1).
Precondition evaluate_preconditions(std::string_view method, const Headers& headers, std::string_view etag,
                                    std::optional<std::chrono::system_clock::time_point> last_modified);

}  // namespace http::detail
