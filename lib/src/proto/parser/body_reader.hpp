// Reads a message body as its framing says: a Content-Length, chunked, or (responses only) up to
// the connection's end. Incremental, like the parsers it is built on.
#pragma once

#include "proto/parser/chunked.hpp"
#include "proto/parser/head_parser.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace http::detail {

class BodyReader {
public:
    enum class Result : std::uint8_t { incomplete, complete, error };

    explicit BodyReader(ChunkedLimits limits = {}) : chunked_(limits), max_body_size_(limits.max_body_size) {}

    /// Begins a body; `until_close` reads to the end of the connection (a response without
    /// Content-Length or chunked framing).
    void start(Framing framing, std::uint64_t content_length, bool until_close = false) {
        // The decoder is used only for chunked bodies; reset after one, it also forgets its
        // trailers.
        if (framing == Framing::chunked || framing_ == Framing::chunked)
            chunked_.reset();
        framing_ = framing;
        until_close_ = until_close && framing == Framing::none;
        remaining_ = framing == Framing::content_length ? content_length : 0;
        received_ = 0;
        error_ = {};
    }

    /// The largest body from the next start() on (a body streamed to the application has none).
    void set_max_body_size(std::uint64_t max) noexcept {
        max_body_size_ = max;
        chunked_.set_max_body_size(max);
    }

    /// Appends what `input` holds of the body to `body`; `consumed` says how many bytes it used.
    /// Inline for a message without a body, the commonest request, so that it costs no call.
    Result feed(std::string_view input, std::size_t& consumed, std::string& body) {
        if (framing_ == Framing::none && !until_close_) {
            consumed = 0;
            return Result::complete;
        }
        return feed_body(input, consumed, body);
    }
    /// The connection ended: completes a close-delimited body, and is an error for any other.
    Result finish();

    const ParseError& error() const noexcept { return error_; }
    const std::vector<Field>& trailers() const noexcept { return chunked_.trailers(); }

private:
    Result feed_body(std::string_view input, std::size_t& consumed, std::string& body);

    ChunkedDecoder chunked_;
    std::uint64_t max_body_size_;
    Framing framing_ = Framing::none;
    bool until_close_ = false;
    std::uint64_t remaining_ = 0;
    std::uint64_t received_ = 0;
    ParseError error_;
};

}  // namespace http::detail
