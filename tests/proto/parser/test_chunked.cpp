// The chunked decoder on its own, fed in every possible split.
#include "proto/parser/body_reader.hpp"
#include "proto/parser/chunked.hpp"

#include <boost/test/unit_test.hpp>

using namespace http::detail;

namespace {

struct Decoded {
    ChunkedDecoder::Result result;
    std::string body;
    std::string trailers;
    std::size_t consumed = 0;
    std::string_view reason;
};

Decoded decode(const std::string& input, std::size_t split, ChunkedLimits limits = {}) {
    ChunkedDecoder decoder(limits);
    Decoded out;
    std::size_t used = 0;
    out.result = decoder.feed(std::string_view(input).substr(0, split), used, out.body);
    out.consumed = used;
    if (out.result == ChunkedDecoder::Result::incomplete && split < input.size()) {
        out.result = decoder.feed(std::string_view(input).substr(split), used, out.body);
        out.consumed += used;
    }
    out.reason = decoder.error().reason;
    for (const Field& f : decoder.trailers())
        out.trailers += std::string(f.name) + "=" + std::string(f.value) + ";";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chunked_decoder)

BOOST_AUTO_TEST_CASE(every_split_gives_the_same_body) {
    const std::string input = "4;a=b\r\nWiki\r\n5 ;q=\"x;y\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: 1\r\nU: 2\r\n\r\nNEXT";
    for (std::size_t split = 0; split <= input.size(); ++split) {
        BOOST_TEST_CONTEXT("split at " << split) {
            const Decoded d = decode(input, split);
            BOOST_TEST((d.result == ChunkedDecoder::Result::complete));
            BOOST_TEST(d.body == "Wikipedia in\r\n\r\nchunks.");
            BOOST_TEST(d.trailers == "T=1;U=2;");
            BOOST_TEST(d.consumed == input.size() - 4);  // stops before the next message
        }
    }
}

BOOST_AUTO_TEST_CASE(an_error_is_the_same_whatever_the_split) {
    // Found by fuzzing: an extension cut in two was checked only after its line's LF, so a bare
    // CR was reported instead of the bad extension.
    const std::string input("3 \n  \x07" "3 \n  \r\r\noo\n\rf\r\nfoo\r\n\r\n");
    for (std::size_t split = 0; split <= input.size(); ++split) {
        BOOST_TEST_CONTEXT("split at " << split) {
            const Decoded d = decode(input, split);
            BOOST_TEST((d.result == ChunkedDecoder::Result::error));
            BOOST_TEST(d.reason == "invalid chunk extension");
        }
    }
}

BOOST_AUTO_TEST_CASE(errors) {
    const std::pair<const char*, const char*> cases[] = {
        {"x\r\n", "invalid chunk size"},
        {";a\r\n", "invalid chunk size"},
        {"10000000000000000\r\n", "chunk size overflows"},
        {"1\nx\r\n0\r\n\r\n", "chunk-size line must end in CRLF"},
        {"1\r\nxy\r\n", "chunk data longer than its size"},
        {"1\r\nx\rz", "bare CR after chunk data"},
        {"1;=v\r\nx\r\n", "invalid chunk extension"},
        {"1  \r\nx\r\n", "invalid chunk extension"},  // BWS only before ; or =
        {"1;a=b \r\nx\r\n", "invalid chunk extension"},
        {"1;a=\"unterminated\r\nx\r\n", "invalid chunk extension"},
        {"0\r\nBad Field: x\r\n\r\n", "whitespace between field name and colon"},
        {"0\r\nBad(Field): x\r\n\r\n", "invalid character in field name"},
        {"0\r\nT: 1\n\r\n", "trailer lines must end in CRLF"},  // found by differential fuzzing
    };
    for (const auto& [input, reason] : cases) {
        BOOST_TEST_CONTEXT(input) {
            const Decoded d = decode(input, std::string_view(input).size());
            BOOST_TEST((d.result == ChunkedDecoder::Result::error));
            BOOST_TEST(d.reason == reason);
        }
    }
}

BOOST_AUTO_TEST_CASE(limits_at_and_past) {
    ChunkedLimits limits;
    limits.max_body_size = 10;
    limits.max_line = 20;
    BOOST_TEST((decode("A\r\n0123456789\r\n0\r\n\r\n", 100, limits).result == ChunkedDecoder::Result::complete));
    BOOST_TEST(decode("B\r\n", 100, limits).reason == "body too large");
    BOOST_TEST(decode("1;" + std::string(30, 'a') + "\r\n", 100, limits).reason == "chunk extensions too long");
    BOOST_TEST(decode("000000000000000000000000001\r\n", 100, limits).reason == "chunk-size line too long");
}

BOOST_AUTO_TEST_CASE(body_reader_framings) {
    BodyReader reader;
    std::string body;
    std::size_t used = 0;
    reader.start(Framing::content_length, 5);
    BOOST_TEST((reader.feed("hel", used, body) == BodyReader::Result::incomplete));
    BOOST_TEST((reader.feed("loEXTRA", used, body) == BodyReader::Result::complete));
    BOOST_TEST(used == 2u);
    BOOST_TEST(body == "hello");
    body.clear();
    reader.start(Framing::none, 0, true);  // a response delimited by the connection's end
    BOOST_TEST((reader.feed("until ", used, body) == BodyReader::Result::incomplete));
    BOOST_TEST((reader.feed("close", used, body) == BodyReader::Result::incomplete));
    BOOST_TEST((reader.finish() == BodyReader::Result::complete));
    BOOST_TEST(body == "until close");
    reader.start(Framing::content_length, 5);
    BOOST_TEST((reader.finish() == BodyReader::Result::error));
}

BOOST_AUTO_TEST_SUITE_END()
