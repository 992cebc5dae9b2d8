// Content decoding of what a server sends (lib/src/coding/): any bytes, under any coding the
// client accepts, cut anywhere, must decode to the same result and the same bytes as whole, in
// pieces of at most 64 KiB, never past the size limit.
#include "fuzz.hpp"

#include "coding/content_coding.hpp"

#include <string>

namespace {

struct Outcome {
    http::detail::DecodeResult result;
    std::string body;
};

Outcome decode(std::string_view coding, std::string_view first, std::string_view second) {
    constexpr std::uint64_t limit = 4 * 1024 * 1024;
    http::detail::ContentDecoder decoder(coding, {.max_size = limit, .max_ratio = 0});
    Outcome outcome{http::detail::DecodeResult::ok, {}};
    const http::detail::ContentDecoder::Output keep = [&](std::string_view piece) {
        FUZZ_CHECK(piece.size() <= 64 * 1024);
        outcome.body.append(piece);
    };
    outcome.result = decoder.feed(first, keep);
    if (outcome.result == http::detail::DecodeResult::ok)
        outcome.result = decoder.feed(second, keep);
    if (outcome.result == http::detail::DecodeResult::ok)
        outcome.result = decoder.finish(keep);
    FUZZ_CHECK(outcome.body.size() <= limit);
    FUZZ_CHECK(decoder.decoded_size() >= outcome.body.size());
    return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static constexpr std::string_view codings[] = {"gzip", "deflate", "br", "zstd", "deflate, gzip", "identity"};
    const fuzz::Input input = fuzz::split_input(data, size);
    if (input.bytes.empty())
        return 0;
    const std::string_view coding = codings[static_cast<unsigned char>(input.bytes[0]) % std::size(codings)];
    const std::string_view encoded = input.bytes.substr(1);
    const std::size_t split = input.split > encoded.size() ? encoded.size() : input.split;

    const Outcome whole = decode(coding, encoded, {});
    const Outcome cut = decode(coding, encoded.substr(0, split), encoded.substr(split));
    FUZZ_CHECK(whole.result == cut.result);
    if (whole.result == http::detail::DecodeResult::ok)
        FUZZ_CHECK(whole.body == cut.body);
    return 0;
}
