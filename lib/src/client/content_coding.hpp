// Content-Encoding: gzip and deflate (RFC 9110, Section 8.4.1), decoded with zlib, with a cap on
// the decoded size so that a small compressed body cannot become a huge one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace http::detail {

enum class DecodeResult { ok, unsupported, corrupt, too_large };

/// Decodes `body` by the codings listed in `content_encoding` (applied in order, so undone in
/// reverse). "identity" is nothing to do; an unknown coding leaves the body as it is and says
/// so. `error` names the problem.
DecodeResult decode_content(std::string& body, std::string_view content_encoding, std::uint64_t max_size,
                            std::string& error);

}  // namespace http::detail
