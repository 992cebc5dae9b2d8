// llhttp's and picohttpparser's request cases, run through our request parser. Where we differ
// from them, the case is listed below with the RFC reason; every other case must agree.
#include "support/conformance.hpp"
#include "support/parse_requests.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <vector>

namespace {

// Cases where the suites' parsers and RFC 9112 part ways, and we follow the RFC (or, where the
// RFC allows either, the stricter reading). Each id maps to our verdict and the reason.
const std::map<std::string, std::pair<std::string, std::string>> policy = {
    {"request/sample.md#No HTTP version",
     {"reject", "RFC 9112 §3: the request-line needs an HTTP-version; HTTP/0.9 is not served"}},
    {"request/method.md#M-SEARCH request",
     {"reject", "RFC 9112 §3.2.4: asterisk-form is only for a server-wide OPTIONS"}},
    {"request/method.md#SOURCE request with ICE", {"reject", "RFC 9112 §2.3: HTTP-name is \"HTTP\" (ICE/1.0 is not)"}},
    {"request/method.md#OPTIONS request with RTSP", {"reject", "RFC 9112 §2.3: RTSP/1.0 is not an HTTP version"}},
    {"request/method.md#ANNOUNCE request with RTSP", {"reject", "RFC 9112 §2.3: RTSP/1.0 is not an HTTP version"}},
    {"request/invalid.md#HTTP protocol and ANNOUNCE method",
     {"accept", "RFC 9110 §9.1: any token is a method; the server answers what it does not support"}},
    {"request/uri.md#`host:port` and basic auth",
     {"reject", "RFC 9110 §4.2.4: userinfo in an http(s) URI is treated as an error"}},
    {"test.c#accept MSB chars", {"reject", "RFC 3986 / RFC 9112 §3: bytes above 0x7E are not URI characters; 400"}},
    {"test.c#accept multiple spaces between tokens",
     {"reject", "RFC 9112 §3: one SP between the request-line's parts; either reading is allowed, we take the strict one"}},
    {"request/transfer-encoding.md#POST with `chunked` as last transfer-encoding",
     {"reject", "RFC 9112 §6.1: an unimplemented transfer coding (deflate) gets 501"}},
    {"request/transfer-encoding.md#POST with `chunked` as last transfer-encoding (multiple headers)",
     {"reject", "RFC 9112 §6.1: an unimplemented transfer coding (deflate) gets 501"}},
    {"request/connection.md#CRLF between requests, explicit `close`",
     {"accept", "RFC 9112 §9.6: after a request with close, later bytes are not processed (not an error)"}},
    {"request/connection.md#CRLF between requests, explicit `close` followed by tab",
     {"accept", "RFC 9112 §9.6: after a request with close, later bytes are not processed (not an error)"}},
    {"request/connection.md#No restart when keep-alive is off (1.0)",
     {"accept", "RFC 9112 §9.3: an HTTP/1.0 request without keep-alive ends the connection; later bytes are ignored"}},
    {"request/invalid.md#Invalid HTTP version",
     {"incomplete", "no line end yet: the server waits for it, then answers 505 (RFC 9110 §15.6.6)"}},
    {"test.c#parse multiline", {"reject", "RFC 9112 §5.2: obs-fold is refused with 400"}},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(request_conformance)

BOOST_AUTO_TEST_CASE(llhttp_and_picohttpparser_cases) {
    int agreed = 0, listed = 0, missing_host = 0;
    std::vector<std::string> unlisted;
    for (const char* file : {"llhttp-requests.json", "picohttpparser-requests.json"}) {
        for (const auto& c : test::load_cases(file)) {
            const std::string id = c.at("id");
            const std::string raw = test::base64_decode(c.at("raw_b64").get<std::string>());
            const bool lacks_host = c.value("missing_host", false);
            const test::ParsedRequests ours = test::parse_requests(raw, !lacks_host);
            std::string expected = c.at("expect");
            if (const auto it = policy.find(id); it != policy.end()) {
                ++listed;
                BOOST_TEST_CONTEXT(id << " (" << it->second.second << ")") {
                    BOOST_TEST(test::verdict_name(ours.verdict) == it->second.first);
                }
                continue;
            }
            BOOST_TEST_CONTEXT(id) {
                if (test::verdict_name(ours.verdict) != expected) {
                    unlisted.push_back(id + ": expected " + expected + ", got " + test::verdict_name(ours.verdict) + " (" +
                                       std::string(ours.error.reason) + ")");
                    continue;
                }
                ++agreed;
                if (lacks_host) {
                    // The server's own rule on top: an HTTP/1.1 request without Host is a 400.
                    ++missing_host;
                    const test::ParsedRequests strict = test::parse_requests(raw, true);
                    BOOST_TEST((strict.verdict == test::ParsedRequests::reject));
                    BOOST_TEST(strict.error.reason == "missing Host");
                }
                if (expected != "accept")
                    continue;
                const auto messages = c.contains("messages") ? c.at("messages") : nlohmann::json::array({c});
                BOOST_TEST(ours.messages.size() == messages.size());
                for (std::size_t i = 0; i < std::min(messages.size(), ours.messages.size()); ++i) {
                    const auto& want = messages[i];
                    const test::ParsedRequest& got = ours.messages[i];
                    BOOST_TEST(got.method == test::latin1_bytes(want.at("method")));
                    BOOST_TEST(got.url == test::latin1_bytes(want.at("url")));
                    BOOST_TEST(got.version == want.at("version").get<std::string>());
                    const std::string headers = test::expected_fields(want.at("headers"));
                    BOOST_TEST(got.headers == headers);
                    if (want.contains("body_b64"))
                        BOOST_TEST(got.body == test::base64_decode(want.at("body_b64").get<std::string>()));
                }
            }
        }
    }
    for (const std::string& line : unlisted)
        BOOST_ERROR("disagreement not in the policy list: " << line);
    BOOST_TEST_MESSAGE(agreed << " cases agree, " << listed << " differ by policy, " << missing_host
                              << " also checked for the Host rule");
    BOOST_TEST(agreed + listed == 160);
}

BOOST_AUTO_TEST_CASE(the_one_pass_path_and_the_general_path_agree) {
    // Every case of the suites, and lines made to sit at the one-pass path's edges: the same
    // verdict, reason and messages whether whole ordinary lines take the one-pass path or not.
    std::vector<std::pair<std::string, std::string>> inputs;
    for (const char* file : {"llhttp-requests.json", "picohttpparser-requests.json"})
        for (const auto& c : test::load_cases(file))
            inputs.emplace_back(c.at("id"), test::base64_decode(c.at("raw_b64").get<std::string>()));
    const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (const std::string line : {"X: a\tb", "X: \t a \t", "X:", "X: \x80\xff", "X: a\x7f", "X: a\rb", "X: a\x01",
                                   "X: a b c d e f g h i j k l m n o p q r s t", "X : a", "X\t: a", "X(: a", ": a"})
        inputs.emplace_back("line '" + line + "'", head + line + "\r\nY: z\r\n\r\n");
    inputs.emplace_back("a NUL", head + std::string("X: a\0b\r\n\r\n", 10));
    inputs.emplace_back("LF only", "GET / HTTP/1.1\nHost: h\nX: a\n\n");
    inputs.emplace_back("LF then CRLF", "GET / HTTP/1.1\nHost: h\r\n\r\n");
    inputs.emplace_back("CRLF then LF", head + "X: a\n\r\n");
    inputs.emplace_back("CR CR LF", head + "X: a\r\r\n\r\n");
    inputs.emplace_back("empty line LF after CRLF", head + "\n");
    // Request-lines at the edges of the one-pass request-line (an origin-form target, HTTP/1.1 or
    // HTTP/1.0, CRLF), whole and cut short.
    for (const std::string& line : std::vector<std::string>{"GET /a HTTP/1.0", "GET /a HTTP/1.2", "GET /a HTTP/2.0", "GET /a HTTP/1.1 ",
                                   "GET /a  HTTP/1.1", "GET  /a HTTP/1.1", "GET /a\x01 HTTP/1.1", "GET /\x80 HTTP/1.1",
                                   "GET /a\x7f HTTP/1.1", "G@T /a HTTP/1.1", "GETX /a HTTP/1.1", "M-SEARCH * HTTP/1.1",
                                   " GET /a HTTP/1.1", "GET a HTTP/1.1", "GET http://h:1/a HTTP/1.1", "GET / http/1.1",
                                   "GET /" + std::string(8 * 1024, 'a') + " HTTP/1.1", "GET /" + std::string(8 * 1024 - 1, 'a') + " HTTP/1.1"}) {
        inputs.emplace_back("request-line '" + line.substr(0, 40) + "'", line + "\r\nHost: h\r\n\r\n");
        inputs.emplace_back("request-line '" + line.substr(0, 40) + "' LF", line + "\nHost: h\n\n");
        inputs.emplace_back("request-line '" + line.substr(0, 40) + "' CR", line + "\rHost: h\r\n\r\n");
        inputs.emplace_back("request-line '" + line.substr(0, 40) + "' cut", line + "\r");
    }
    inputs.emplace_back("empty line before the request-line", "\r\n" + head + "\r\n");
    // First field lines at the edges of the one-pass check for Host.
    for (const std::string line : {"HOST: h", "hOsT: h", "Host:h", "Host : h", "Host\t: h", "Hostx: h", "Hos: h", "Host",
                                   "Host:", "Host: ", "Hlst: h", "H\xefst: h", "Host: h\r\nHost: h", "X: y\r\nHost: h"})
        inputs.emplace_back("first line '" + line + "'", "GET / HTTP/1.1\r\n" + line + "\r\n\r\n");
    for (const auto& [id, raw] : inputs) {
        BOOST_TEST_CONTEXT(id) {
            for (const bool host : {true, false}) {
                const test::ParsedRequests one_pass = test::parse_requests(raw, host, true);
                const test::ParsedRequests general = test::parse_requests(raw, host, false);
                BOOST_TEST((one_pass.verdict == general.verdict));
                BOOST_TEST(one_pass.error.reason == general.error.reason);
                BOOST_REQUIRE_EQUAL(one_pass.messages.size(), general.messages.size());
                for (std::size_t i = 0; i < one_pass.messages.size(); ++i) {
                    BOOST_TEST(one_pass.messages[i].method == general.messages[i].method);
                    BOOST_TEST(one_pass.messages[i].url == general.messages[i].url);
                    BOOST_TEST(one_pass.messages[i].version == general.messages[i].version);
                    BOOST_TEST(one_pass.messages[i].keep_alive == general.messages[i].keep_alive);
                    BOOST_TEST(one_pass.messages[i].headers == general.messages[i].headers);
                    BOOST_TEST(one_pass.messages[i].body == general.messages[i].body);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
