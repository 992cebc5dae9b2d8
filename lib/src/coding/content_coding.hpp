// Content codings (RFC 9110, Section 8.4.1): gzip and deflate with zlib, br with brotli and zstd
// with libzstd when the build found them. The client decodes as the body arrives, with a bound on
// the decoded size and on how much larger than its encoding a body may grow, so that a small
// body cannot become a huge one; the server encodes responses (server.compression).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace http::detail {

enum class DecodeResult {
    ok,
    corrupt,         ///< not in the coding it claims, or cut short
    too_large,       ///< more than DecodeLimits::max_size decoded bytes
    ratio_exceeded,  ///< more than DecodeLimits::max_ratio decoded bytes per encoded byte
};

struct DecodeLimits {
    /// Decoded bytes in all; past it, too_large.
    std::uint64_t max_size = UINT64_MAX;
    /// Decoded bytes per encoded byte received, checked as they are decoded once past
    /// `ratio_floor`; 0: not checked. A decompression bomb grows by a factor of a thousand
    /// (deflate's limit is 1032) to millions (br, zstd); text compresses by 3 to 20.
    std::uint32_t max_ratio = 0;
    /// Bodies decoding to no more than this are never refused for their ratio: a short
    /// repetitive body compresses far better than any real content, and costs nothing.
    std::uint64_t ratio_floor = 1024 * 1024;
};

/// Decodes a body a piece at a time by the codings of its Content-Encoding (applied in order, so
/// undone in reverse), handing each decoded piece on as it comes, never holding the body:
///
///     ContentDecoder decoder("gzip", {.max_size = 1 << 30, .max_ratio = 100});
///     decoder.feed(piece, [&](std::string_view decoded) { sink(decoded); });  // for each piece
///     decoder.finish(...);                                                  // at the end
///
/// A body with a coding this build does not decode is not decoded at all (supported() is false,
/// unsupported() names it) and should be handed over as it came.
class ContentDecoder {
public:
    using Output = std::function<void(std::string_view)>;

    ContentDecoder(std::string_view content_encoding, DecodeLimits limits);
    ~ContentDecoder();
    ContentDecoder(const ContentDecoder&) = delete;
    ContentDecoder& operator=(const ContentDecoder&) = delete;

    /// False when a listed coding is not one this build decodes.
    bool supported() const noexcept { return unsupported_.empty(); }
    /// The coding not understood, if any.
    const std::string& unsupported() const noexcept { return unsupported_; }
    /// True when there is something to undo ("identity" alone is nothing).
    bool decodes() const noexcept { return supported() && !stages_.empty(); }

    /// Decodes `encoded`, calling `out` with what it yields (what `out` throws goes through).
    /// After a result other than ok the decoder is spent; error() says what was wrong.
    DecodeResult feed(std::string_view encoded, const Output& out);
    /// The body ended: corrupt if it was cut short inside its coding. An empty body is empty.
    DecodeResult finish(const Output& out);

    const std::string& error() const noexcept { return error_; }
    /// Encoded bytes the first coding took so far, and decoded bytes handed on.
    std::uint64_t encoded_size() const noexcept;
    std::uint64_t decoded_size() const noexcept { return decoded_; }

    class Stage;

private:
    /// Feeds `in` to stage `stage`, whose output goes on to the next, the last one's to deliver().
    DecodeResult run(std::size_t stage, std::string_view in, const Output& out);
    /// Counts a decoded piece against the limits, and hands it to `out` if within them.
    DecodeResult deliver(std::string_view decoded, const Output& out);

    DecodeLimits limits_;
    std::vector<std::unique_ptr<Stage>> stages_;  // the last coding applied first
    std::string unsupported_;
    std::string error_;
    std::uint64_t decoded_ = 0;
    DecodeResult failed_ = DecodeResult::ok;
};

/// The codings this build can encode, the server's preference first: "zstd", "br" (where built
/// with them), "gzip".
std::span<const std::string_view> available_codings() noexcept;

/// The codings this build decodes, for a client's Accept-Encoding: "gzip, deflate, br, zstd".
std::string_view accepted_codings() noexcept;

/// `body` encoded with `coding` (one of available_codings()), at a level tuned for speed: a
/// response is compressed once per request. Throws std::invalid_argument for another coding.
std::string encode_content(std::string_view body, std::string_view coding);

}  // namespace http::detail
