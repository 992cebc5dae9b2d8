// The reference libraries called directly, to check our codings against something other than
// themselves: zlib, and brotli and zstd where the build has them (HTTPKIT_HAVE_BROTLI and
// HTTPKIT_HAVE_ZSTD set to 1, and the libraries linked).
#pragma once

#include <zlib.h>

#if defined(HTTPKIT_HAVE_BROTLI) && HTTPKIT_HAVE_BROTLI
#include <brotli/decode.h>
#endif
#if defined(HTTPKIT_HAVE_ZSTD) && HTTPKIT_HAVE_ZSTD
#include <zstd.h>
#endif

#include <stdexcept>
#include <string>
#include <string_view>

namespace test {

/// zlib's deflate: window_bits 15 + 16 gzip, 15 the zlib format, -15 raw deflate.
inline std::string deflate_with(std::string_view data, int window_bits, int level = Z_DEFAULT_COMPRESSION) {
    z_stream s{};
    if (deflateInit2(&s, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2");
    std::string out(deflateBound(&s, static_cast<uLong>(data.size())), '\0');
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    s.avail_in = static_cast<uInt>(data.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, Z_FINISH);
    out.resize(s.total_out);
    deflateEnd(&s);
    return out;
}

/// zlib's inflate of a whole body; throws if it is not one complete stream.
inline std::string inflate_with(std::string_view data, int window_bits) {
    z_stream s{};
    inflateInit2(&s, window_bits);
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    s.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buffer[65536];
    int rc = Z_OK;
    while (rc == Z_OK) {
        s.next_out = reinterpret_cast<Bytef*>(buffer);
        s.avail_out = sizeof buffer;
        rc = inflate(&s, Z_NO_FLUSH);
        out.append(buffer, sizeof buffer - s.avail_out);
    }
    inflateEnd(&s);
    if (rc != Z_STREAM_END)
        throw std::runtime_error("not a complete deflate stream");
    return out;
}

/// The reference decoder of `coding` ("gzip", "br", "zstd"), for what our encoder made.
inline std::string reference_decode(std::string_view data, std::string_view coding) {
    if (coding == "gzip")
        return inflate_with(data, 15 + 16);
#if defined(HTTPKIT_HAVE_BROTLI) && HTTPKIT_HAVE_BROTLI
    if (coding == "br") {
        std::string out(64 * 1024 * 1024, '\0');
        std::size_t size = out.size();
        if (BrotliDecoderDecompress(data.size(), reinterpret_cast<const std::uint8_t*>(data.data()), &size,
                                    reinterpret_cast<std::uint8_t*>(out.data())) != BROTLI_DECODER_RESULT_SUCCESS)
            throw std::runtime_error("not a brotli stream");
        out.resize(size);
        return out;
    }
#endif
#if defined(HTTPKIT_HAVE_ZSTD) && HTTPKIT_HAVE_ZSTD
    if (coding == "zstd") {
        const unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
        if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
            throw std::runtime_error("not a zstd frame with its size");
        std::string out(size, '\0');
        const std::size_t n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
        if (ZSTD_isError(n))
            throw std::runtime_error(ZSTD_getErrorName(n));
        out.resize(n);
        return out;
    }
#endif
    throw std::invalid_argument("no reference decoder for " + std::string(coding));
}

/// Text that compresses as text does (by about 5), not as a run of one byte.
inline std::string sample_text(std::size_t size) {
    std::string text;
    for (unsigned i = 0; text.size() < size; ++i)
        text += "line " + std::to_string(i * 7919 % 100003) + " of a sample, word " + std::to_string(i % 97) + "\n";
    text.resize(size);
    return text;
}

}  // namespace test
