// Content codings: what this build encodes and decodes, round trips checked against the reference
// libraries, bodies decoded in pieces of any size, stacked codings, bad input, and the limits a
// decoder keeps (decoded size, ratio, zstd's window).
#include "coding/content_coding.hpp"

#include "reference.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace http::detail;

namespace {

struct Decoded {
    DecodeResult result = DecodeResult::ok;
    std::string body;
    std::string error;
    std::size_t pieces = 0;
    std::size_t largest_piece = 0;
};

// Feeds `encoded` to a decoder `step` bytes at a time (all at once for 0), then finishes it.
Decoded decode(std::string_view encoded, std::string_view coding, std::size_t step = 0, DecodeLimits limits = {}) {
    ContentDecoder decoder(coding, limits);
    Decoded d;
    const ContentDecoder::Output out = [&](std::string_view piece) {
        d.body.append(piece);
        ++d.pieces;
        d.largest_piece = std::max(d.largest_piece, piece.size());
    };
    if (step == 0)
        step = std::max<std::size_t>(encoded.size(), 1);
    for (std::size_t at = 0; at < encoded.size() && d.result == DecodeResult::ok; at += step)
        d.result = decoder.feed(encoded.substr(at, step), out);
    if (d.result == DecodeResult::ok)
        d.result = decoder.finish(out);
    d.error = decoder.error();
    return d;
}

std::vector<std::string_view> built_codings() {
    const auto available = available_codings();
    return {available.begin(), available.end()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(content_coding)

BOOST_AUTO_TEST_CASE(the_codings_this_build_has) {
    std::vector<std::string_view> expected;
    std::string accepted = "gzip, deflate";
#if HTTPKIT_HAVE_ZSTD
    expected.push_back("zstd");
#endif
#if HTTPKIT_HAVE_BROTLI
    expected.push_back("br");
    accepted += ", br";
#endif
#if HTTPKIT_HAVE_ZSTD
    accepted += ", zstd";
#endif
    expected.push_back("gzip");
    BOOST_TEST(built_codings() == expected, boost::test_tools::per_element());
    BOOST_TEST(accepted_codings() == accepted);
    BOOST_CHECK_THROW(encode_content("x", "deflate"), std::invalid_argument);  // decoded, never sent
    BOOST_CHECK_THROW(encode_content("x", "compress"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(round_trips_in_pieces_of_any_size) {
    // Also a body of exactly two 64 KiB output pieces: the decoder is asked once more to flush,
    // which must not be taken for the start of another frame.
    for (const std::size_t size : {std::size_t{300 * 1024}, std::size_t{128 * 1024}})
    for (const std::string_view coding : built_codings()) {
        const std::string text = test::sample_text(size);
        BOOST_TEST_CONTEXT(coding << ", " << size << " bytes") {
            const std::string encoded = encode_content(text, coding);
            BOOST_TEST(encoded.size() < text.size() / 3);
            BOOST_TEST(test::reference_decode(encoded, coding) == text);  // our encoder, their decoder
            for (const std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
                BOOST_TEST_CONTEXT("fed " << step << " bytes at a time") {
                    const Decoded d = decode(encoded, coding, step);
                    BOOST_TEST((d.result == DecodeResult::ok));
                    BOOST_TEST(d.body == text);
                    BOOST_TEST(d.largest_piece <= 64u * 1024);  // handed on a piece at a time
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(deflate_in_both_forms) {
    // RFC 9110's deflate is the zlib format; some servers send raw deflate under that name. The
    // first two bytes tell them apart, even when they arrive one at a time.
    const std::string text = test::sample_text(100 * 1024);
    for (const int window_bits : {15, -15}) {
        BOOST_TEST_CONTEXT("window bits " << window_bits) {
            const std::string encoded = test::deflate_with(text, window_bits);
            for (const std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
                const Decoded d = decode(encoded, "deflate", step);
                BOOST_TEST((d.result == DecodeResult::ok));
                BOOST_TEST(d.body == text);
            }
        }
    }
    // One byte of deflate is not a body.
    const Decoded one = decode(test::deflate_with(text, 15).substr(0, 1), "deflate");
    BOOST_TEST((one.result == DecodeResult::corrupt));
    BOOST_TEST(one.error == "the compressed body is truncated");
}

BOOST_AUTO_TEST_CASE(names_and_stacks_of_codings) {
    const std::string text = test::sample_text(20000);
    const std::string gzipped = test::deflate_with(text, 15 + 16);
    for (const char* name : {"gzip", "GZip", "x-gzip", " gzip ", "identity, gzip", "gzip, identity"})
        BOOST_TEST(decode(gzipped, name).body == text, name);
    // Applied in order, so undone in reverse: "deflate, gzip" is gzip(deflate(text)).
    const std::string twice = test::deflate_with(test::deflate_with(text, 15), 15 + 16);
    BOOST_TEST(decode(twice, "deflate, gzip", 5).body == text);
    BOOST_TEST((decode(twice, "gzip, deflate").result == DecodeResult::corrupt));
    for (const std::string_view coding : built_codings()) {
        BOOST_TEST_CONTEXT(coding) {
            const std::string stacked = encode_content(gzipped, coding);
            BOOST_TEST(decode(stacked, "gzip, " + std::string(coding), 333).body == text);
        }
    }
}

BOOST_AUTO_TEST_CASE(several_gzip_members_and_zstd_frames) {
    // gzip(1) and zstd(1) append: a body of several members or frames is their concatenation.
    const std::string a = test::sample_text(70000);
    const std::string b = "and a second part\n";
    const std::string members = test::deflate_with(a, 15 + 16) + test::deflate_with(b, 15 + 16);
    BOOST_TEST(decode(members, "gzip").body == a + b);
    BOOST_TEST(decode(members, "gzip", 1).body == a + b);
#if HTTPKIT_HAVE_ZSTD
    const std::string frames = encode_content(a, "zstd") + encode_content(b, "zstd");
    BOOST_TEST(decode(frames, "zstd").body == a + b);
    BOOST_TEST(decode(frames, "zstd", 10).body == a + b);
#endif
}

BOOST_AUTO_TEST_CASE(empty_bodies_and_codings_not_known) {
    for (const std::string_view coding : {"gzip", "deflate", "br", "zstd", "gzip, br"}) {
        const Decoded d = decode("", coding);
        BOOST_TEST((d.result == DecodeResult::ok), coding);
        BOOST_TEST(d.body.empty());
        BOOST_TEST(d.pieces == 0u);
    }
    // A coding this build does not know: nothing is decoded, the body goes on as it came.
    for (const char* coding : {"compress", "gzip, compress", "compress, gzip", "x-custom"}) {
        BOOST_TEST_CONTEXT(coding) {
            ContentDecoder decoder(coding, {.max_size = 3});
            BOOST_TEST(!decoder.supported());
            BOOST_TEST(!decoder.decodes());
            BOOST_TEST((decoder.unsupported() == "compress" || decoder.unsupported() == "x-custom"));
            std::string out;
            BOOST_TEST((decoder.feed("raw bytes", [&](std::string_view p) { out.append(p); }) == DecodeResult::ok));
            BOOST_TEST((decoder.finish([&](std::string_view p) { out.append(p); }) == DecodeResult::ok));
            BOOST_TEST(out == "raw bytes");  // no limit applies to what is not decoded
        }
    }
    ContentDecoder identity("identity", {});
    BOOST_TEST(identity.supported());
    BOOST_TEST(!identity.decodes());
}

BOOST_AUTO_TEST_CASE(corrupt_and_truncated_bodies) {
    const std::string text = test::sample_text(50000);
    for (const std::string_view coding : built_codings()) {
        BOOST_TEST_CONTEXT(coding) {
            const std::string encoded = encode_content(text, coding);
            const Decoded garbage = decode("this is not " + std::string(coding) + " at all, not at all", coding);
            BOOST_TEST((garbage.result == DecodeResult::corrupt));
            BOOST_TEST(garbage.error.starts_with("the compressed body is corrupt"));
            const Decoded cut = decode(encoded.substr(0, encoded.size() - 5), coding, 100);
            BOOST_TEST((cut.result == DecodeResult::corrupt));
            BOOST_TEST(cut.error == "the compressed body is truncated");
            std::string flipped = encoded;
            flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
            flipped[flipped.size() / 2 + 1] = static_cast<char>(flipped[flipped.size() / 2 + 1] ^ 0x55);
            BOOST_TEST((decode(flipped, coding).result == DecodeResult::corrupt));
        }
    }
    // Bytes after a gzip member that are not another member are an error, not silently dropped.
    const Decoded trailing = decode(test::deflate_with(text, 15 + 16) + "garbage!", "gzip");
    BOOST_TEST((trailing.result == DecodeResult::corrupt));
    // A decoder that failed stays failed.
    ContentDecoder decoder("gzip", {});
    const ContentDecoder::Output ignore = [](std::string_view) {};
    BOOST_TEST((decoder.feed("not gzip at all", ignore) == DecodeResult::corrupt));
    BOOST_TEST((decoder.feed(test::deflate_with(text, 15 + 16), ignore) == DecodeResult::corrupt));
    BOOST_TEST((decoder.finish(ignore) == DecodeResult::corrupt));
}

BOOST_AUTO_TEST_CASE(decoded_size_at_and_past_the_limit) {
    const std::string text = test::sample_text(200 * 1024 + 3);
    for (const std::string_view coding : built_codings()) {
        BOOST_TEST_CONTEXT(coding) {
            const std::string encoded = encode_content(text, coding);
            const Decoded at = decode(encoded, coding, 1000, {.max_size = text.size()});
            BOOST_TEST((at.result == DecodeResult::ok));
            BOOST_TEST(at.body == text);
            const Decoded past = decode(encoded, coding, 1000, {.max_size = text.size() - 1});
            BOOST_TEST((past.result == DecodeResult::too_large));
            BOOST_TEST(past.error == "the decoded body exceeds " + std::to_string(text.size() - 1) + " bytes");
            BOOST_TEST(past.body.size() <= text.size() - 1);  // never handed on past the limit
        }
    }
}

BOOST_AUTO_TEST_CASE(ratio_at_and_past_the_limit) {
    // Zeros compress by about a thousand. Decoded in one piece (under 64 KiB), the ratio is
    // checked once, against every encoded byte: ceil(decoded / encoded) passes, one less does not.
    const std::string zeros(60000, '\0');
    const std::string encoded = test::deflate_with(zeros, 15 + 16);
    const auto ratio = static_cast<std::uint32_t>((zeros.size() + encoded.size() - 1) / encoded.size());
    BOOST_TEST(ratio > 100u);
    const Decoded at = decode(encoded, "gzip", 0, {.max_ratio = ratio, .ratio_floor = 0});
    BOOST_TEST((at.result == DecodeResult::ok));
    BOOST_TEST(at.body == zeros);
    const Decoded past = decode(encoded, "gzip", 0, {.max_ratio = ratio - 1, .ratio_floor = 0});
    BOOST_TEST((past.result == DecodeResult::ratio_exceeded));
    BOOST_TEST(past.error == "the body decodes to more than " + std::to_string(ratio - 1) + " times its encoded size (60000 bytes from " +
                                 std::to_string(encoded.size()) + ")");
    BOOST_TEST(past.body.empty());
    // Below the floor the ratio is not checked; past it, it is.
    BOOST_TEST((decode(encoded, "gzip", 0, {.max_ratio = 1, .ratio_floor = zeros.size()}).result == DecodeResult::ok));
    BOOST_TEST((decode(encoded, "gzip", 0, {.max_ratio = 1, .ratio_floor = zeros.size() - 1}).result ==
                DecodeResult::ratio_exceeded));
    // 0: no ratio check at all.
    BOOST_TEST((decode(encoded, "gzip", 0, {.max_ratio = 0, .ratio_floor = 0}).result == DecodeResult::ok));
    // The default limits check nothing: the client sets its own.
    const DecodeLimits defaults;
    BOOST_TEST(defaults.max_ratio == 0u);
    BOOST_TEST(defaults.max_size == UINT64_MAX);
    BOOST_TEST(defaults.ratio_floor == 1024u * 1024);
}

BOOST_AUTO_TEST_CASE(a_bomb_is_stopped_as_it_grows) {
    // 64 MiB of zeros in about 64 KiB: with the client's ratio of 100 it is refused at the first
    // piece past the 1 MiB floor, whatever the coding, having handed on no more than that.
    const std::string zeros(64 * 1024 * 1024, '\0');
    std::vector<std::pair<std::string, std::string>> bombs = {{"gzip", test::deflate_with(zeros, 15 + 16, 9)},
                                                              {"deflate", test::deflate_with(zeros, -15, 9)}};
    for (const std::string_view coding : built_codings())
        if (coding != "gzip")
            bombs.emplace_back(coding, encode_content(zeros, coding));
    for (const auto& [coding, bomb] : bombs) {
        BOOST_TEST_CONTEXT(coding << ", " << bomb.size() << " bytes") {
            BOOST_TEST(bomb.size() * 100 < zeros.size());
            const Decoded d = decode(bomb, coding, 16 * 1024, {.max_size = UINT64_MAX, .max_ratio = 100});
            BOOST_TEST((d.result == DecodeResult::ratio_exceeded));
            BOOST_TEST(d.body.size() <= 1024u * 1024);
            BOOST_TEST(d.largest_piece <= 64u * 1024);
        }
    }
}

#if HTTPKIT_HAVE_ZSTD
BOOST_AUTO_TEST_CASE(zstd_window_at_and_past_8_mib) {
    // RFC 9659: an HTTP zstd decoder need not take windows past 8 MiB; ours refuses them, so a
    // frame cannot make it allocate up to zstd's own default of 128 MiB. A frame that holds its
    // whole content as one segment has a window of the content's size.
    auto frame = [](std::size_t size) {
        const std::string content = test::sample_text(size);
        ZSTD_CCtx* context = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, 24);
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, 1);
        std::string out(ZSTD_compressBound(content.size()), '\0');
        const std::size_t n = ZSTD_compress2(context, out.data(), out.size(), content.data(), content.size());
        ZSTD_freeCCtx(context);
        BOOST_REQUIRE(!ZSTD_isError(n));
        out.resize(n);
        return std::pair(content, out);
    };
    const auto [at_content, at] = frame(8 * 1024 * 1024);
    const Decoded fits = decode(at, "zstd", 65536);
    BOOST_TEST((fits.result == DecodeResult::ok));
    BOOST_TEST(fits.body == at_content);
    const auto [past_content, past] = frame(8 * 1024 * 1024 + 1);
    const Decoded refused = decode(past, "zstd", 65536);
    BOOST_TEST((refused.result == DecodeResult::corrupt));
    BOOST_TEST(refused.error.find("the compressed body is corrupt") == 0u);
    BOOST_TEST(test::reference_decode(past, "zstd") == past_content);  // a good frame, only too wide
}
#endif

BOOST_AUTO_TEST_SUITE_END()
