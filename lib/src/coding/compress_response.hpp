// Response compression (server.compression): the coding the client prefers among those built in,
// for content worth compressing.
#pragma once

#include <http/response.hpp>

#include <cstddef>
#include <string_view>

namespace http::detail {

/// A file body is compressed only up to this size (read whole to do it); a larger one is sent
/// as it is, with sendfile.
inline constexpr std::uint64_t max_compressed_file = 1024 * 1024;

/// True for media types that compress well: text/*, JSON, XML, JavaScript, SVG, WebAssembly
/// (and any +json, +xml), parameters aside. Images, audio, video and archives are compressed
/// already.
bool is_compressible(std::string_view content_type) noexcept;

/// Compresses `res` in place when it is worth it: content of a compressible type, at least
/// `min_size` bytes, not a 206 and not already encoded. Adds Vary: Accept-Encoding to every such
/// response, compressed or not (a cache must keep the variants apart); a compressed one gets
/// Content-Encoding and an ETag of its own ("abc" becomes "abc-gzip"). Content that would not
/// shrink is sent as it is.
void compress_response(std::string_view accept_encoding, Response& res, std::size_t min_size);

}  // namespace http::detail
