// Content codings (RFC 9110, Section 8.4.1): gzip and deflate with zlib, br with brotli and zstd
// with libzstd when the build found them. The client decodes with a cap on the decoded size, so
// that a small body cannot become a huge one; the server encodes responses (server.compression).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace http::detail {

enum class DecodeResult { ok, unsupported, corrupt, too_large };

/// Decodes `body` by the codings listed in `content_encoding` (applied in order, so undone in
/// reverse). "identity" is nothing to do; an unknown coding leaves the body as it is and says
/// so. `error` names the problem.
DecodeResult decode_content(std::string& body, std::string_view content_encoding, std::uint64_t max_size,
                            std::string& error);

/// The codings this build can encode, the server's preference first: "zstd", "br" (where built
/// with them), "gzip".
std::span<const std::string_view> available_codings() noexcept;

/// The codings this build decodes, for a client's Accept-Encoding: "gzip, deflate, br, zstd".
std::string_view accepted_codings() noexcept;

/// `body` encoded with `coding` (one of available_codings()), at a level tuned for speed: a
/// response is compressed once per request.
std::string encode_content(std::string_view body, std::string_view coding);

}  // namespace http::detail
