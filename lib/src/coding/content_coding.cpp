#include "coding/content_coding.hpp"

#include "proto/parser/char_class.hpp"

#include <zlib.h>

#if HTTPKIT_HAVE_BROTLI
#include <brotli/decode.h>
#include <brotli/encode.h>
#endif
#if HTTPKIT_HAVE_ZSTD
#include <zstd.h>
#endif

#include <array>
#include <stdexcept>
#include <vector>

namespace http::detail {

namespace {

// windowBits 15 + 32: zlib detects a gzip or zlib header; raw_deflate: no header at all, which
// some servers send as "deflate".
DecodeResult inflate_all(std::string& body, int window_bits, std::uint64_t max_size, std::string& error) {
    z_stream stream{};
    if (inflateInit2(&stream, window_bits) != Z_OK) {
        error = "cannot start zlib";
        return DecodeResult::corrupt;
    }
    std::string out;
    out.reserve(std::min<std::size_t>(body.size() * 4, 1 << 20));
    stream.next_in = reinterpret_cast<Bytef*>(body.data());
    stream.avail_in = static_cast<uInt>(body.size());
    char chunk[64 * 1024];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof chunk;
        rc = inflate(&stream, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&stream);
            error = rc == Z_BUF_ERROR ? "the compressed body is truncated" : "the compressed body is corrupt";
            return DecodeResult::corrupt;
        }
        out.append(chunk, sizeof chunk - stream.avail_out);
        if (out.size() > max_size) {
            inflateEnd(&stream);
            error = "the decoded body exceeds max_response_size";
            return DecodeResult::too_large;
        }
        // A gzip file may hold several members: go on with the next one.
        if (rc == Z_STREAM_END && stream.avail_in > 0 && window_bits > 15) {
            inflateReset(&stream);
            rc = Z_OK;
        }
    }
    inflateEnd(&stream);
    body = std::move(out);
    return DecodeResult::ok;
}

#if HTTPKIT_HAVE_BROTLI
DecodeResult unbrotli(std::string& body, std::uint64_t max_size, std::string& error) {
    BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    std::string out;
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(body.data());
    std::size_t available_in = body.size();
    char chunk[64 * 1024];
    BrotliDecoderResult rc = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
    while (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
        auto* next_out = reinterpret_cast<std::uint8_t*>(chunk);
        std::size_t available_out = sizeof chunk;
        rc = BrotliDecoderDecompressStream(state, &available_in, &next_in, &available_out, &next_out, nullptr);
        out.append(chunk, sizeof chunk - available_out);
        if (out.size() > max_size) {
            BrotliDecoderDestroyInstance(state);
            error = "the decoded body exceeds max_response_size";
            return DecodeResult::too_large;
        }
    }
    BrotliDecoderDestroyInstance(state);
    if (rc != BROTLI_DECODER_RESULT_SUCCESS) {
        error = rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT ? "the compressed body is truncated"
                                                             : "the compressed body is corrupt";
        return DecodeResult::corrupt;
    }
    body = std::move(out);
    return DecodeResult::ok;
}
#endif

#if HTTPKIT_HAVE_ZSTD
DecodeResult unzstd(std::string& body, std::uint64_t max_size, std::string& error) {
    ZSTD_DStream* stream = ZSTD_createDStream();
    ZSTD_inBuffer in{body.data(), body.size(), 0};
    std::string out;
    char chunk[64 * 1024];
    std::size_t rc = 1;
    while (in.pos < in.size || rc != 0) {
        ZSTD_outBuffer buffer{chunk, sizeof chunk, 0};
        rc = ZSTD_decompressStream(stream, &buffer, &in);
        if (ZSTD_isError(rc)) {
            ZSTD_freeDStream(stream);
            error = std::string("the compressed body is corrupt: ") + ZSTD_getErrorName(rc);
            return DecodeResult::corrupt;
        }
        out.append(chunk, buffer.pos);
        if (out.size() > max_size) {
            ZSTD_freeDStream(stream);
            error = "the decoded body exceeds max_response_size";
            return DecodeResult::too_large;
        }
        if (in.pos == in.size && buffer.pos < buffer.size && rc != 0) {
            ZSTD_freeDStream(stream);
            error = "the compressed body is truncated";
            return DecodeResult::corrupt;
        }
    }
    ZSTD_freeDStream(stream);
    body = std::move(out);
    return DecodeResult::ok;
}
#endif

std::string gzip(std::string_view body) {
    z_stream stream{};
    // Level 1: a response is compressed per request; the larger levels cost several times the
    // CPU for a few percent (docs/BENCHMARKS.md).
    if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("httpkit: cannot start zlib");
    std::string out(deflateBound(&stream, static_cast<uLong>(body.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    stream.avail_in = static_cast<uInt>(body.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

}  // namespace

std::span<const std::string_view> available_codings() noexcept {
    static constexpr auto codings = std::to_array<std::string_view>({
#if HTTPKIT_HAVE_ZSTD
        "zstd",
#endif
#if HTTPKIT_HAVE_BROTLI
        "br",
#endif
        "gzip",
    });
    return codings;
}

std::string_view accepted_codings() noexcept {
    return "gzip, deflate"
#if HTTPKIT_HAVE_BROTLI
           ", br"
#endif
#if HTTPKIT_HAVE_ZSTD
           ", zstd"
#endif
        ;
}

std::string encode_content(std::string_view body, std::string_view coding) {
#if HTTPKIT_HAVE_ZSTD
    if (coding == "zstd") {
        std::string out(ZSTD_compressBound(body.size()), '\0');
        const std::size_t n = ZSTD_compress(out.data(), out.size(), body.data(), body.size(), 1);
        if (ZSTD_isError(n))
            throw std::runtime_error(std::string("httpkit: zstd: ") + ZSTD_getErrorName(n));
        out.resize(n);
        return out;
    }
#endif
#if HTTPKIT_HAVE_BROTLI
    if (coding == "br") {
        std::size_t size = BrotliEncoderMaxCompressedSize(body.size());
        std::string out(size ? size : body.size() + 1024, '\0');
        if (!BrotliEncoderCompress(3, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, body.size(),
                                   reinterpret_cast<const std::uint8_t*>(body.data()), &size,
                                   reinterpret_cast<std::uint8_t*>(out.data())))
            throw std::runtime_error("httpkit: brotli failed");
        out.resize(size);
        return out;
    }
#endif
    if (coding == "gzip")
        return gzip(body);
    throw std::invalid_argument("httpkit: cannot encode '" + std::string(coding) + "'");
}

DecodeResult decode_content(std::string& body, std::string_view content_encoding, std::uint64_t max_size,
                            std::string& error) {
    std::vector<std::string_view> codings;
    for_each_list_element(content_encoding, [&](std::string_view c) { codings.push_back(c); });
    for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
        const std::string_view coding = *it;
        DecodeResult result;
        if (equals_lower(coding, "identity")) {
            continue;
        } else if (equals_lower(coding, "gzip") || equals_lower(coding, "x-gzip")) {
            result = inflate_all(body, 15 + 16, max_size, error);
        } else if (equals_lower(coding, "deflate")) {
            std::string copy = body;
            result = inflate_all(body, 15, max_size, error);
            if (result == DecodeResult::corrupt) {
                body = std::move(copy);
                result = inflate_all(body, -15, max_size, error);
            }
#if HTTPKIT_HAVE_BROTLI
        } else if (equals_lower(coding, "br")) {
            result = unbrotli(body, max_size, error);
#endif
#if HTTPKIT_HAVE_ZSTD
        } else if (equals_lower(coding, "zstd")) {
            result = unzstd(body, max_size, error);
#endif
        } else {
            error = "unsupported content coding '" + std::string(coding) + "'";
            return DecodeResult::unsupported;
        }
        if (result != DecodeResult::ok)
            return result;
    }
    return DecodeResult::ok;
}

}  // namespace http::detail
