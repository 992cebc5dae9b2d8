#include "client/content_coding.hpp"

#include "proto/parser/char_class.hpp"

#include <zlib.h>

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

}  // namespace

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
