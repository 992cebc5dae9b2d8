// Header fields (RFC 9110, Section 5; RFC 9112, Section 5) and Host (RFC 9112, Section 3.2).
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::string_literals;

namespace {

struct Fixture {
    test::TestServer server{[](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            for (const auto& [name, value] : req.headers)
                res.body += name + "=[" + value + "]\n";
            res.headers["X-Lookup"] = std::string(req.headers.get("x-CUSTOM", "none"));
            res.headers["X-Host"] = req.host;
        });
    }};

    int status_of(const std::string& request) {
        const auto r = test::try_exchange(server.port(), request);
        return r ? r->status : 0;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(fields, Fixture)

BOOST_AUTO_TEST_CASE(values_are_trimmed_and_kept_in_order) {
    const auto r = test::exchange(server.port(),
                                  "GET / HTTP/1.1\r\nHost: h\r\nX-Custom: \t spaced  value \t\r\nX-Custom: second\r\n"
                                  "X-Text: caf\xc3\xa9\tand tab\r\nEmpty:\r\n\r\n");
    BOOST_TEST(r.body == "Host=[h]\nX-Custom=[spaced  value]\nX-Custom=[second]\nX-Text=[caf\xc3\xa9\tand tab]\nEmpty=[]\n");
    BOOST_TEST(r.header("X-Lookup") == "spaced  value");  // case-insensitive, first value
}

BOOST_AUTO_TEST_CASE(bare_lf_line_endings_are_accepted) {
    // RFC 9112, Section 2.2 lets a recipient accept LF alone in the start-line and fields.
    const auto r = test::exchange(server.port(), "GET / HTTP/1.1\nHost: h\nX-Custom: v\n\n");
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.header("X-Lookup") == "v");
}

BOOST_AUTO_TEST_CASE(malformed_fields_are_refused) {
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"s) == 400);        // NUL
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n") == 400);         // bare CR
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01 b\r\n\r\n") == 400);      // control
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n") == 400);        // DEL
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n") == 400); // obs-fold
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX : a\r\n\r\n") == 400);           // space before colon
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX\t: a\r\n\r\n") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n") == 400);             // empty name
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX Y: a\r\n\r\n") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nX(Y): a\r\n\r\n") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.1\r\n Host: h\r\n\r\n") == 400);                   // folds onto the request-line
}

BOOST_AUTO_TEST_CASE(host_rules) {
    BOOST_TEST(status_of("GET / HTTP/1.1\r\n\r\n") == 400);                                // missing
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n") == 400);         // twice
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n") == 400);       // a port is digits
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.0\r\n\r\n") == 200);                                // optional in 1.0
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost:\r\n\r\n") == 200);                       // empty is allowed
    const auto r = test::exchange(server.port(), "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    BOOST_TEST(r.header("X-Host") == "[::1]:8080");
}

BOOST_AUTO_TEST_SUITE_END()
