// read_timeout, keep_alive_timeout and write_timeout, with short values.
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>

namespace {

struct Fixture {
    std::atomic<int> disconnects{0};
    test::TestServer server{[this](http::Server& s) {
        s.read_timeout = std::chrono::milliseconds(300);
        s.keep_alive_timeout = std::chrono::milliseconds(300);
        s.write_timeout = std::chrono::milliseconds(300);
        s.on_disconnect([this](const http::ClientInfo&) { ++disconnects; });
        s.on_receive([](http::Request& req, http::Response& res) {
            if (req.path == "/huge")
                res.body.assign(64 * 1024 * 1024, 'x');
            else
                res.body = "ok";
        });
    }};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(timeouts, Fixture, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(an_unfinished_header_gets_408) {
    test::RawConnection c(server.port());
    c.send("GET / HTTP/1.1\r\nHost: h\r\n");
    const auto r = c.read_response();
    BOOST_TEST(r.status == 408);
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(slowloris_cannot_keep_a_header_open) {
    // A byte every 50 ms never lets a per-read timeout expire; the header section as a whole
    // still has read_timeout to arrive.
    test::RawConnection c(server.port());
    const std::string endless = "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: " + std::string(1000, 'z');
    std::size_t sent = 0;
    while (sent < endless.size() && c.send(endless.substr(sent, 1))) {
        ++sent;
        ::usleep(50 * 1000);
        pollfd p{c.fd(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0)
            break;
    }
    BOOST_TEST(sent < 100u);  // the server answered long before the header could finish
    const auto r = c.read_response();
    BOOST_TEST(r.status == 408);
}

BOOST_AUTO_TEST_CASE(a_stalled_body_gets_408) {
    test::RawConnection c(server.port());
    c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhalf!");
    const auto r = c.read_response();
    BOOST_TEST(r.status == 408);
}

BOOST_AUTO_TEST_CASE(idle_keep_alive_connections_are_closed_quietly) {
    test::RawConnection c(server.port());
    c.send(test::get("/"));
    BOOST_TEST(c.read_response().body == "ok");
    BOOST_TEST(c.closed_by_server());  // no bytes, just the close
    BOOST_TEST(c.pending().empty());
    test::RawConnection silent(server.port());
    BOOST_TEST(silent.closed_by_server());
}

BOOST_AUTO_TEST_CASE(a_client_that_never_reads_is_dropped) {
    test::RawConnection c(server.port());
    c.send(test::get("/huge"));
    char first[64];
    BOOST_REQUIRE(::recv(c.fd(), first, sizeof first, 0) > 0);  // the response started
    ::usleep(1000 * 1000);  // far past write_timeout, with the rest stuck in the socket buffers
    const std::string received = c.read_until_close();
    BOOST_TEST(received.size() < 64u * 1024 * 1024);
    BOOST_TEST(c.closed_by_server());
    BOOST_TEST(disconnects >= 1);
}

BOOST_AUTO_TEST_SUITE_END()
