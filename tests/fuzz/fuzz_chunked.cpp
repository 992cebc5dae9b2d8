// The chunked decoder: the same body and trailers whatever the split.
#include "fuzz.hpp"

#include "proto/parser/chunked.hpp"

#include <string>

using namespace http::detail;

namespace {

std::string decode(std::string_view input, std::size_t split, ChunkedDecoder::Result& result) {
    ChunkedLimits limits;
    limits.max_body_size = 1 << 20;
    ChunkedDecoder decoder(limits);
    std::string body;
    std::size_t used = 0;
    result = decoder.feed(input.substr(0, split), used, body);
    FUZZ_CHECK(used <= split);
    if (result == ChunkedDecoder::Result::incomplete) {
        FUZZ_CHECK(used == split);
        result = decoder.feed(input.substr(split), used, body);
    }
    if (result == ChunkedDecoder::Result::complete)
        for (const Field& f : decoder.trailers())
            body += "|" + std::string(f.name) + ":" + std::string(f.value);
    if (result == ChunkedDecoder::Result::error)
        body = std::string(decoder.error().reason);
    return body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input in = fuzz::split_input(data, size);
    ChunkedDecoder::Result whole_result, split_result;
    const std::string whole = decode(in.bytes, in.bytes.size(), whole_result);
    const std::string split = decode(in.bytes, in.split, split_result);
    FUZZ_CHECK(whole_result == split_result);
    FUZZ_CHECK(whole == split);
    return 0;
}
