// Expect: 100-continue (RFC 9110, Section 10.1.1).
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

namespace {

struct Fixture {
    test::TestServer server{[](http::Server& s) {
        s.max_body_size = 100;
        s.on_receive([](http::Request& req, http::Response& res) { res.body = "got " + req.body; });
    }};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(expect, Fixture)

BOOST_AUTO_TEST_CASE(continue_comes_before_the_body_is_sent) {
    test::RawConnection c(server.port());
    c.send("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    const auto interim = c.read_response();
    BOOST_TEST(interim.status == 100);
    BOOST_TEST(interim.reason == "Continue");
    c.send("hello");
    const auto final = c.read_response();
    BOOST_TEST(final.status == 200);
    BOOST_TEST(final.body == "got hello");
}

BOOST_AUTO_TEST_CASE(chunked_body_after_continue) {
    test::RawConnection c(server.port());
    c.send("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n");
    BOOST_TEST(c.read_response().status == 100);
    c.send("3\r\nabc\r\n0\r\n\r\n");
    BOOST_TEST(c.read_response().body == "got abc");
}

BOOST_AUTO_TEST_CASE(other_expectations_fail) {
    const auto r = test::exchange(server.port(), test::get("/", "Expect: something-else\r\n"));
    BOOST_TEST(r.status == 417);
}

BOOST_AUTO_TEST_CASE(too_large_gets_413_instead_of_100) {
    test::RawConnection c(server.port());
    c.send("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n");
    BOOST_TEST(c.read_response().status == 413);
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(no_continue_when_the_body_is_already_here_or_for_http10) {
    // The body arrived with the header: the final response is the first one.
    test::RawConnection c(server.port());
    c.send("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
    BOOST_TEST(c.read_response().status == 200);
    // HTTP/1.0 clients must not get 100 (RFC 9110, Section 10.1.1).
    test::RawConnection old(server.port());
    old.send("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    ::usleep(100 * 1000);
    old.send("ok");
    const auto r = old.read_response();
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.body == "got ok");
}

BOOST_AUTO_TEST_SUITE_END()
