// The response-head parser on its own: status-line, framing by RFC 9112 Section 6.3 in its order,
// the rules it shares with requests, and incremental input.
#include "proto/parser/response_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace http::detail;
using Result = ResponseHeadParser::Result;

namespace {

struct Parsed {
    Result result = Result::incomplete;
    ResponseHead head;  // views into the input: valid while it is
    std::string reason;
    std::string error;
    http::Status error_status = http::Status::OK;
};

Parsed parse(std::string_view input, bool head_request = false, std::size_t max_header_size = 64 * 1024) {
    ResponseHeadParser parser(max_header_size, 8);
    Parsed out;
    out.result = parser.parse(input, out.head, head_request);
    out.reason = out.head.reason;
    out.error = parser.error().reason;
    out.error_status = parser.error().status;
    return out;
}

// Feeds `input` growing by `step` bytes, each time in a new buffer, as a client's buffer may move.
Parsed parse_in_steps(const std::string& input, std::size_t step) {
    ResponseHeadParser parser;
    Parsed out;
    std::string buffer;
    for (std::size_t n = step;; n += step) {
        buffer = input.substr(0, std::min(n, input.size()));
        out.result = parser.parse(buffer, out.head);
        if (out.result != Result::incomplete || n >= input.size())
            break;
    }
    out.reason = out.result == Result::complete ? std::string(out.head.reason) : "";
    out.error = parser.error().reason;
    out.head.fields.clear();
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(response_parser)

BOOST_AUTO_TEST_CASE(status_line_and_fields) {
    const Parsed p = parse("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nX-A: b \r\n\r\nabc");
    BOOST_REQUIRE((p.result == Result::complete));
    BOOST_TEST(p.head.status == 404);
    BOOST_TEST(p.reason == "Not Found");
    BOOST_TEST(p.head.version_minor == 1);
    BOOST_REQUIRE(p.head.fields.size() == 2u);
    BOOST_TEST(p.head.fields[1].name == "X-A");
    BOOST_TEST(p.head.fields[1].value == "b");  // trailing whitespace is not part of the value
    BOOST_TEST(p.head.size == 54u);
    BOOST_TEST((p.head.framing == Framing::content_length));
    BOOST_TEST(p.head.content_length == 3u);
    BOOST_TEST(p.head.keep_alive);
}

BOOST_AUTO_TEST_CASE(an_empty_reason_with_or_without_its_space) {
    BOOST_TEST(parse("HTTP/1.1 204 \r\n\r\n").head.status == 204);
    const Parsed bare = parse("HTTP/1.1 204\r\n\r\n");
    BOOST_REQUIRE((bare.result == Result::complete));
    BOOST_TEST(bare.reason.empty());
}

BOOST_AUTO_TEST_CASE(framing_in_the_rfcs_order) {
    // No body, whatever the fields say: HEAD, 1xx, 204, 304.
    BOOST_TEST((parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true).head.framing == Framing::none));
    BOOST_TEST((parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").head.framing == Framing::none));
    BOOST_TEST(!parse("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n").head.until_close);
    // chunked last wins over Content-Length, but such a connection is never reused.
    const Parsed both = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
    BOOST_TEST((both.head.framing == Framing::chunked));
    BOOST_TEST(!both.head.keep_alive);
    // A coding the client cannot frame by: read to the close.
    const Parsed gzip = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    BOOST_TEST(gzip.head.until_close);
    BOOST_TEST(!gzip.head.keep_alive);
    // Neither: read to the close.
    const Parsed neither = parse("HTTP/1.1 200 OK\r\n\r\n");
    BOOST_TEST(neither.head.until_close);
    BOOST_TEST(!neither.head.keep_alive);
    // HTTP/1.0 has no transfer codings: faulty framing, read to the close, never reused.
    const Parsed old = parse("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n");
    BOOST_TEST((old.head.framing == Framing::none));
    BOOST_TEST(old.head.until_close);
    BOOST_TEST(!old.head.keep_alive);
    // Content-Length: 0 is an empty body on a reusable connection.
    const Parsed empty = parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    BOOST_TEST((empty.head.framing == Framing::none));
    BOOST_TEST(!empty.head.until_close);
    BOOST_TEST(empty.head.keep_alive);
}

BOOST_AUTO_TEST_CASE(keep_alive_by_version_and_connection) {
    BOOST_TEST(!parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").head.keep_alive);
    BOOST_TEST(!parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").head.keep_alive);
    BOOST_TEST(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").head.keep_alive);
    BOOST_TEST(!parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n").head.keep_alive);
}

BOOST_AUTO_TEST_CASE(refusals_are_502_with_a_reason) {
    const std::pair<std::string, std::string> cases[] = {
        {"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP response"},
        {"HTTP/2.0 200 OK\r\n\r\n", "unsupported HTTP version in the status line"},
        {"HTTP/1.1 20 OK\r\n\r\n", "invalid status code"},
        {"HTTP/1.1 20\r\n\r\n", "invalid status line"},
        {"HTTP/1.1 099 Low\r\n\r\n", "invalid status code"},
        {"HTTP/1.1 2x0 OK\r\n\r\n", "invalid status code"},
        {"HTTP/1.1 200OK\r\n\r\n", "invalid status line"},
        {"HTTP/1.1 200 O\x01K\r\n\r\n", "invalid character in the reason phrase"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "invalid or conflicting Content-Length"},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid or conflicting Content-Length"},
        {"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", "obsolete line folding is not accepted"},
        {"HTTP/1.1 200 OK\r\nX : a\r\n\r\n", "whitespace between field name and colon"},
        {"HTTP/1.1 200 OK\r\nX: a\rY: b\r\n\r\n", "bare CR in field value"},
        {"HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n", "mixed CRLF and LF line ends"},
        {"\r\r\nHTTP/1.1 200 OK\r\n\r\n", "bare CR before the start-line"},
        {"HTTP/1.1 200 OK\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\nG: 1\r\nH: 1\r\nI: 1\r\n\r\n", "too many header fields"},
    };
    for (const auto& [input, reason] : cases) {
        BOOST_TEST_CONTEXT(input) {
            const Parsed p = parse(input);
            BOOST_TEST((p.result == Result::error));
            BOOST_TEST(p.error == reason);
            BOOST_TEST((p.error_status == http::Status::BAD_GATEWAY));
        }
    }
}

BOOST_AUTO_TEST_CASE(header_size_limit_at_and_past) {
    // The limit counts the status-line and the fields with their line ends.
    const std::string at = "HTTP/1.1 200 OK\r\nX: " + std::string(100 - 17 - 5, 'v') + "\r\n";
    BOOST_REQUIRE(at.size() == 100u);
    BOOST_TEST((parse(at + "\r\n", false, 100).result == Result::complete));
    const Parsed past = parse("HTTP/1.1 200 OK\r\nX: " + std::string(100 - 17 - 4, 'v') + "\r\n\r\n", false, 100);
    BOOST_TEST((past.result == Result::error));
    BOOST_TEST(past.error == "response header section too large");
    // Refused before the head ends, too.
    BOOST_TEST((parse("HTTP/1.1 200 OK\r\nX: " + std::string(200, 'v'), false, 100).result == Result::error));
}

BOOST_AUTO_TEST_CASE(same_result_whatever_the_split) {
    const std::string responses[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\n",
        "\r\nHTTP/1.1 301 Moved Permanently\nLocation: /x\n\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n\tfolded\r\n\r\n",
        "HTTX/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n",
    };
    for (const std::string& response : responses) {
        const Parsed whole = parse(response);
        for (std::size_t step : {1u, 2u, 5u, 16u}) {
            BOOST_TEST_CONTEXT(response << " in steps of " << step) {
                const Parsed split = parse_in_steps(response, step);
                BOOST_TEST((split.result == whole.result));
                BOOST_TEST(split.error == whole.error);
                BOOST_TEST(split.reason == (whole.result == Result::complete ? whole.reason : ""));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(interim_responses_then_reset) {
    // A client parses 100 Continue, resets, and parses the final response after it.
    const std::string input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    ResponseHeadParser parser;
    ResponseHead head;
    BOOST_REQUIRE((parser.parse(input, head) == Result::complete));
    BOOST_TEST(head.status == 100);
    const std::string rest = input.substr(head.size);
    parser.reset();
    BOOST_REQUIRE((parser.parse(rest, head) == Result::complete));
    BOOST_TEST(head.status == 200);
    BOOST_TEST(head.fields.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
