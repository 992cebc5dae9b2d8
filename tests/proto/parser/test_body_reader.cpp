// BodyReader on its own: each framing, bodies split anywhere, the body limit, and the end of the
// connection inside and after a body.
#include "proto/parser/body_reader.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace http::detail;
using Result = BodyReader::Result;

namespace {

struct Read {
    Result result = Result::incomplete;
    std::string body;
    std::size_t consumed = 0;  // bytes of the input used
    std::string error;
};

// Feeds `input` in pieces of `step` bytes until the reader completes or fails.
Read read(BodyReader& reader, std::string_view input, std::size_t step) {
    Read out;
    while (true) {
        const std::string_view piece = input.substr(out.consumed, step);
        std::size_t used = 0;
        out.result = reader.feed(piece, used, out.body);
        out.consumed += used;
        if (out.result != Result::incomplete || out.consumed >= input.size())
            break;
        BOOST_REQUIRE(used == piece.size());  // an incomplete body uses all it is given
    }
    out.error = reader.error().reason;
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(body_reader)

BOOST_AUTO_TEST_CASE(content_length_stops_at_the_length) {
    for (std::size_t step : {1u, 3u, 100u}) {
        BodyReader reader;
        reader.start(Framing::content_length, 5);
        const Read r = read(reader, "hello, and the next request", step);
        BOOST_TEST((r.result == Result::complete));
        BOOST_TEST(r.body == "hello");
        BOOST_TEST(r.consumed == 5u);
    }
}

BOOST_AUTO_TEST_CASE(no_body_is_complete_at_once) {
    BodyReader reader;
    reader.start(Framing::none, 0);
    std::string body;
    std::size_t used = 99;
    BOOST_TEST((reader.feed("GET / HTTP/1.1\r\n", used, body) == Result::complete));
    BOOST_TEST(used == 0u);
    BOOST_TEST(body.empty());
}

BOOST_AUTO_TEST_CASE(chunked_with_trailers) {
    const std::string input = "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nExpires: never\r\nX-Sum: 5\r\n\r\nNEXT";
    for (std::size_t step : {1u, 2u, 7u, 200u}) {
        BodyReader reader;
        reader.start(Framing::chunked, 0);
        const Read r = read(reader, input, step);
        BOOST_TEST_CONTEXT("steps of " << step) {
            BOOST_TEST((r.result == Result::complete));
            BOOST_TEST(r.body == "abcde");
            BOOST_TEST(r.consumed == input.size() - 4);
            BOOST_REQUIRE(reader.trailers().size() == 2u);
            BOOST_TEST(reader.trailers()[1].name == "X-Sum");
            BOOST_TEST(reader.trailers()[1].value == "5");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_new_body_forgets_the_last_trailers) {
    BodyReader reader;
    reader.start(Framing::chunked, 0);
    BOOST_REQUIRE((read(reader, "0\r\nX: 1\r\n\r\n", 100).result == Result::complete));
    BOOST_REQUIRE(reader.trailers().size() == 1u);
    reader.start(Framing::content_length, 1);
    BOOST_TEST(reader.trailers().empty());
}

BOOST_AUTO_TEST_CASE(a_chunked_body_after_other_bodies_starts_afresh) {
    // The decoder is reset only around chunked bodies: one left half-read must not leak into
    // the next chunked body, whatever bodies came between.
    BodyReader reader;
    reader.start(Framing::chunked, 0);
    BOOST_REQUIRE((read(reader, "5\r\nab", 100).result == Result::incomplete));
    reader.start(Framing::none, 0);
    reader.start(Framing::content_length, 2);
    BOOST_REQUIRE((read(reader, "xy", 100).result == Result::complete));
    reader.start(Framing::chunked, 0);
    const auto r = read(reader, "3\r\nabc\r\n0\r\nY: 2\r\n\r\n", 100);
    BOOST_REQUIRE((r.result == Result::complete));
    BOOST_TEST(r.body == "abc");
    BOOST_REQUIRE(reader.trailers().size() == 1u);
    BOOST_TEST(reader.trailers()[0].name == "Y");
}

BOOST_AUTO_TEST_CASE(malformed_chunked_is_an_error) {
    BodyReader reader;
    reader.start(Framing::chunked, 0);
    const Read r = read(reader, "3\r\nabcX\r\n", 100);
    BOOST_TEST((r.result == Result::error));
    BOOST_TEST(!r.error.empty());
}

BOOST_AUTO_TEST_CASE(until_close_ends_with_the_connection) {
    ChunkedLimits limits;
    limits.max_body_size = 10;
    BodyReader reader(limits);
    reader.start(Framing::none, 0, true);
    Read r = read(reader, "0123456789", 4);
    BOOST_TEST((r.result == Result::incomplete));  // only the close ends it
    BOOST_TEST(r.body == "0123456789");            // exactly at the limit
    BOOST_TEST((reader.finish() == Result::complete));
    // One byte past the limit.
    BodyReader over(limits);
    over.start(Framing::none, 0, true);
    r = read(over, "0123456789A", 100);
    BOOST_TEST((r.result == Result::error));
    BOOST_TEST((over.error().status == http::Status::CONTENT_TOO_LARGE));
}

BOOST_AUTO_TEST_CASE(chunked_body_limit_at_and_past) {
    ChunkedLimits limits;
    limits.max_body_size = 4;
    BodyReader at(limits);
    at.start(Framing::chunked, 0);
    BOOST_TEST((read(at, "4\r\nabcd\r\n0\r\n\r\n", 100).result == Result::complete));
    BodyReader past(limits);
    past.start(Framing::chunked, 0);
    const Read r = read(past, "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 100);
    BOOST_TEST((r.result == Result::error));
    BOOST_TEST((past.error().status == http::Status::CONTENT_TOO_LARGE));
}

BOOST_AUTO_TEST_CASE(the_connection_ending_inside_a_body_is_an_error) {
    BodyReader length;
    length.start(Framing::content_length, 10);
    BOOST_TEST((read(length, "abc", 100).result == Result::incomplete));
    BOOST_TEST((length.finish() == Result::error));
    BOOST_TEST(length.error().reason == "the connection ended before Content-Length bytes");
    BodyReader chunked;
    chunked.start(Framing::chunked, 0);
    BOOST_TEST((read(chunked, "5\r\nab", 100).result == Result::incomplete));
    BOOST_TEST((chunked.finish() == Result::error));
    BOOST_TEST(chunked.error().reason == "the connection ended inside a chunked body");
}

BOOST_AUTO_TEST_SUITE_END()
