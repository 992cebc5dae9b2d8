// http::check_preconditions() and http::strong_etag() for content a handler makes: the same
// evaluation as files (tests/proto/message/test_conditional.cpp has its every rule), here as it
// reaches a client over a socket, compression included.
#include <http/conditional.hpp>
#include <http/date.hpp>
#include <http/router.hpp>
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>

namespace {

const auto noon = std::chrono::system_clock::from_time_t(1790000000);  // 2026-09-21 14:13:20

std::string report() {
    std::string text;
    for (int i = 0; i < 200; ++i)
        text += "line " + std::to_string(i) + " of the report\n";
    return text;
}

struct Fixture {
    test::TestServer server{[](http::Server& s) {
        s.compression = true;
        http::Router router;
        router.route("GET", "/report", [](http::Request& req, http::Response& res) {
            std::string text = report();
            const std::string etag = http::strong_etag(text);
            res.headers.set("ETag", etag);
            res.headers.set("Last-Modified", http::format_http_date(noon));
            res.content_type("text/plain");
            http::check_preconditions(req, etag, noon);
            res.body = std::move(text);
        });
        router.put("/report", [](http::Request& req, http::Response& res) {
            http::check_preconditions(req, http::strong_etag(report()));
            res.status = http::NO_CONTENT;
        });
        s.on_receive(router);
    }};

    test::RawResponse send(std::string_view method, std::string_view extra = {}) {
        return test::exchange(server.port(), std::string(method) + " /report HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n" +
                                                 std::string(extra) + "\r\n");
    }
};

http::Request request(std::string method, std::initializer_list<std::pair<std::string, std::string>> fields) {
    http::Request req;
    req.method = std::move(method);
    for (const auto& [name, value] : fields)
        req.headers.add(name, value);
    return req;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(preconditions)

BOOST_AUTO_TEST_CASE(strong_etag_is_a_digest_of_the_content) {
    // The first 128 bits of SHA-256, in hex, quoted.
    BOOST_TEST(http::strong_etag("hello") == "\"2cf24dba5fb0a30e26e83b2ac5b9e29e\"");
    BOOST_TEST(http::strong_etag("") == "\"e3b0c44298fc1c149afbf4c8996fb924\"");
    BOOST_TEST(http::strong_etag("hello") != http::strong_etag("hellp"));
    BOOST_TEST(http::strong_etag(std::string(3, '\0')) != http::strong_etag(std::string(2, '\0')));
}

BOOST_AUTO_TEST_CASE(what_check_preconditions_throws) {
    const std::string etag = "\"v1\"";
    BOOST_CHECK_NO_THROW(http::check_preconditions(request("GET", {}), etag, noon));
    BOOST_CHECK_NO_THROW(http::check_preconditions(request("GET", {{"If-None-Match", "\"v0\""}}), etag));
    try {
        http::check_preconditions(request("GET", {{"If-None-Match", "W/\"v1\""}}), etag, noon);
        BOOST_FAIL("no NotModified");
    } catch (const http::NotModified& e) {
        BOOST_TEST(e.headers().get("ETag") == etag);  // the 304 carries the validators
        BOOST_TEST(e.headers().get("Last-Modified") == http::format_http_date(noon));
    }
    try {
        http::check_preconditions(request("GET", {{"If-Modified-Since", http::format_http_date(noon)}}), "", noon);
        BOOST_FAIL("no NotModified");
    } catch (const http::NotModified& e) {
        BOOST_TEST(!e.headers().contains("ETag"));  // none given, none made up
    }
    BOOST_CHECK_THROW(http::check_preconditions(request("PUT", {{"If-Match", "\"v0\""}}), etag),
                      http::PreconditionFailed);
    BOOST_CHECK_THROW(http::check_preconditions(request("POST", {{"If-None-Match", "*"}}), etag),
                      http::PreconditionFailed);
    // An ETag that is not an entity-tag is the handler's mistake, not the client's.
    for (const char* wrong : {"v1", "\"v1", "w/\"v1\""})
        BOOST_CHECK_THROW(http::check_preconditions(request("GET", {}), wrong), std::invalid_argument);
    BOOST_CHECK_NO_THROW(http::check_preconditions(request("GET", {{"If-None-Match", "\"v1\""}}), "W/\"v2\""));
}

BOOST_FIXTURE_TEST_CASE(over_a_socket_with_compression, Fixture) {
    const auto whole = send("GET", "Accept-Encoding: gzip\r\n");
    BOOST_TEST(whole.status == 200);
    BOOST_TEST(whole.header("Content-Encoding") == "gzip");
    const std::string variant = whole.header("ETag");  // the gzip variant's: "...-gzip"
    BOOST_TEST(variant == http::strong_etag(report()).insert(33, "-gzip"));
    // The client holding the compressed variant revalidates it.
    const auto again = send("GET", "Accept-Encoding: gzip\r\nIf-None-Match: " + variant + "\r\n");
    BOOST_TEST(again.status == 304);
    BOOST_TEST(again.body.empty());
    BOOST_TEST(again.header("ETag") == http::strong_etag(report()));
    BOOST_TEST(again.header("Content-Type") == "<absent>");
    BOOST_TEST(send("GET", "If-None-Match: \"other\"\r\n").status == 200);
    BOOST_TEST(send("GET", "If-Modified-Since: " + http::format_http_date(noon) + "\r\n").status == 304);
    BOOST_TEST(send("HEAD", "If-None-Match: " + http::strong_etag(report()) + "\r\n").status == 304);
    // Lost updates: a PUT for what the client saw, or for what it did not.
    BOOST_TEST(send("PUT", "If-Match: " + http::strong_etag(report()) + "\r\n").status == 204);
    const auto stale = send("PUT", "If-Match: \"stale\"\r\n");
    BOOST_TEST(stale.status == 412);
    BOOST_TEST(stale.header("Content-Type") == "application/problem+json");
    BOOST_TEST(send("PUT", "If-Match: " + variant + "\r\n").status == 412);  // another variant's bytes
}

BOOST_AUTO_TEST_SUITE_END()
