// Incremental decoder of the chunked transfer coding (RFC 9112, Section 7.1), for requests and
// responses alike. Chunk framing is strict: CRLF only, a bounded chunk-size line, extensions
// checked against their grammar, and a size that cannot overflow.
#pragma once

#include "proto/parser/head_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace http::detail {

struct ChunkedLimits {
    std::uint64_t max_body_size = UINT64_MAX;
    std::size_t max_line = 4096;          ///< a chunk-size line with its extensions
    std::size_t max_trailer_size = 16 * 1024;
    std::size_t max_trailer_fields = 100;
};

class ChunkedDecoder {
public:
    enum class Result : std::uint8_t { incomplete, complete, error };

    explicit ChunkedDecoder(ChunkedLimits limits = {}) : limits_(limits) {}

    /// Decodes from `input`, appending chunk data to `body`; `consumed` says how many bytes of
    /// `input` were used (all of them, unless the message completed before the end).
    Result feed(std::string_view input, std::size_t& consumed, std::string& body);

    const ParseError& error() const noexcept { return error_; }
    /// The trailer fields, once complete; they view storage the decoder owns until reset().
    const std::vector<Field>& trailers() const noexcept { return trailers_; }
    void reset();
    void set_max_body_size(std::uint64_t max) noexcept { limits_.max_body_size = max; }

private:
    enum class State : std::uint8_t { size, extension, size_lf, data, data_cr, data_lf, trailer, done };

    Result fail(Status status, std::string_view reason);
    void finish_size_line();

    ChunkedLimits limits_;
    ParseError error_;
    State state_ = State::size;
    std::uint64_t chunk_size_ = 0;
    std::uint64_t remaining_ = 0;
    std::uint64_t total_ = 0;
    std::size_t line_length_ = 0;
    bool has_digit_ = false;
    std::string extension_;
    std::string trailer_bytes_;
    std::size_t trailer_line_start_ = 0;
    std::vector<Field> trailers_;
};

/// Checks chunk extensions: *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val being a
/// token or a quoted-string.
bool valid_chunk_extensions(std::string_view extensions) noexcept;

}  // namespace http::detail
