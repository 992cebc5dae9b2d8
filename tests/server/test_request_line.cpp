// The request-line (RFC 9112, Section 3): method, request-target forms, version.
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::string_literals;

namespace {

struct Fixture {
    test::TestServer server{[](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            res.body = req.method + " " + req.path + " " + req.host + " " + req.http_version;
            for (const auto& [name, value] : req.queries)
                res.body += " " + name + "=" + value;
        });
    }};

    // A refused request: the status, a problem+json body, and the connection closed.
    void expect_refused(const std::string& request, int status) {
        BOOST_TEST_CONTEXT("request " << request) {
            test::RawConnection c(server.port());
            c.send(request);
            const auto r = c.read_response();
            BOOST_TEST(r.status == status);
            BOOST_TEST(r.header("Content-Type") == "application/problem+json");
            BOOST_TEST(r.body.find("\"status\":" + std::to_string(status)) != std::string::npos);
            BOOST_TEST(r.header("Connection") == "close");
            BOOST_TEST(c.closed_by_server());
        }
        // ... and the server keeps serving.
        const auto after = test::exchange(server.port(), test::get("/still-there"));
        BOOST_TEST(after.status == 200);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(request_line, Fixture)

BOOST_AUTO_TEST_CASE(simple_get) {
    const auto r = test::exchange(server.port(), test::get("/a/b?x=1"));
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.reason == "OK");
    BOOST_TEST(r.version == "HTTP/1.1");
    BOOST_TEST(r.body == "GET /a/b test 1.1 x=1");
    BOOST_TEST(r.header("Date") != "<absent>");
    BOOST_TEST(r.header("Content-Length") == std::to_string(r.body.size()));
}

BOOST_AUTO_TEST_CASE(methods_are_case_sensitive_tokens) {
    BOOST_TEST(test::exchange(server.port(), "PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n").body == "PURGE /x h 1.1");
    BOOST_TEST(test::exchange(server.port(), "get / HTTP/1.1\r\nHost: h\r\n\r\n").body == "get / h 1.1");
    BOOST_TEST(test::exchange(server.port(), "M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n").status == 400);  // * is OPTIONS only
}

BOOST_AUTO_TEST_CASE(malformed_request_lines) {
    expect_refused("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);             // two spaces
    expect_refused("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);             // trailing space
    expect_refused(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);             // leading space
    expect_refused("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
    expect_refused("GET / HTTP/1\r\nHost: h\r\n\r\n", 400);
    expect_refused("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400);
    expect_refused("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400);          // control in target
    expect_refused("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400);      // raw UTF-8 in target
    expect_refused("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);              // not a token
    expect_refused("GET\r\nHost: h\r\n\r\n", 400);
    expect_refused("GET /\r\nHost: h\r\n\r\n", 400);                       // HTTP/0.9 style
    expect_refused("GET relative HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_refused("GET / HTTP/1.1\rHost: h\r\n\r\n", 400);                // bare CR
}

BOOST_AUTO_TEST_CASE(versions) {
    expect_refused("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
    expect_refused("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505);
    // A higher 1.x minor version is answered as 1.1 (RFC 9110, Section 2.5).
    const auto r = test::exchange(server.port(), "GET / HTTP/1.7\r\nHost: h\r\n\r\n");
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.version == "HTTP/1.1");
    BOOST_TEST(test::exchange(server.port(), "GET / HTTP/1.0\r\n\r\n").body == "GET /  1.0");
}

BOOST_AUTO_TEST_CASE(absolute_form_wins_over_host) {
    const auto r = test::exchange(server.port(), "GET http://example.com:8080/x?y=1 HTTP/1.1\r\nHost: other\r\n\r\n");
    BOOST_TEST(r.body == "GET /x example.com:8080 1.1 y=1");
    BOOST_TEST(test::exchange(server.port(), "GET http://example.com HTTP/1.1\r\nHost: other\r\n\r\n").body ==
               "GET / example.com 1.1");
    expect_refused("GET http://user@example.com/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    // Found by differential fuzzing: the authority was taken as the host unchecked.
    expect_refused("GET http://example.com:1~|~/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_refused("GET http://exa\"mple.com/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

BOOST_AUTO_TEST_CASE(asterisk_form) {
    BOOST_TEST(test::exchange(server.port(), "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").body == "OPTIONS * h 1.1");
    expect_refused("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

BOOST_AUTO_TEST_CASE(empty_lines_before_the_request_line_are_skipped) {
    BOOST_TEST(test::exchange(server.port(), "\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n").status == 200);
}

BOOST_AUTO_TEST_CASE(binary_noise_is_refused_at_once) {
    // The first bytes of a TLS ClientHello: refused without waiting for a whole header section.
    test::RawConnection c(server.port());
    c.send("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s);
    const auto r = c.read_response();
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.body.find("invalid character in method") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
