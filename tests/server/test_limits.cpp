// Configurable limits, each answered with its status from the generated types.
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>

namespace {

struct Fixture {
    std::atomic<int> handled{0};
    test::TestServer server{[this](http::Server& s) {
        s.max_request_target = 100;
        s.max_header_size = 1024;
        s.max_header_fields = 10;
        s.max_body_size = 1000;
        s.on_receive([this](http::Request& req, http::Response& res) {
            ++handled;
            res.body = std::to_string(req.body.size());
        });
    }};

    int status_of(const std::string& request) {
        const auto r = test::try_exchange(server.port(), request);
        return r ? r->status : 0;
    }
};

std::string fields(int count, std::size_t value_size = 1) {
    std::string out;
    for (int i = 0; i < count; ++i)
        out += "X-" + std::to_string(i) + ": " + std::string(value_size, 'v') + "\r\n";
    return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(limits, Fixture)

BOOST_AUTO_TEST_CASE(request_target) {
    BOOST_TEST(status_of(test::get("/" + std::string(99, 'a'))) == 200);  // exactly the limit
    BOOST_TEST(status_of(test::get("/" + std::string(100, 'a'))) == 414);
    // Refused before the request-line ends: the server does not wait for the rest.
    test::RawConnection c(server.port());
    c.send("GET /" + std::string(5000, 'a'));
    BOOST_TEST(c.read_response().status == 414);
}

BOOST_AUTO_TEST_CASE(header_section) {
    BOOST_TEST(status_of(test::get("/", fields(9))) == 200);  // 9 + Host = 10 fields
    BOOST_TEST(status_of(test::get("/", fields(10))) == 431);
    BOOST_TEST(status_of(test::get("/", fields(2, 2000))) == 431);
    test::RawConnection c(server.port());
    c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(4000, 'v'));  // never finished
    BOOST_TEST(c.read_response().status == 431);
}

BOOST_AUTO_TEST_CASE(content_length_over_the_limit_is_refused_before_the_body) {
    test::RawConnection c(server.port());
    c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000000\r\n\r\n");  // no body sent
    const auto r = c.read_response();
    BOOST_TEST(r.status == 413);
    BOOST_TEST(r.reason == "Content Too Large");
    BOOST_TEST(c.closed_by_server());
    BOOST_TEST(handled == 0);
    BOOST_TEST(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b')) == 200);
}

BOOST_AUTO_TEST_CASE(chunked_body_over_the_limit) {
    std::string body;
    for (int i = 0; i < 11; ++i)
        body += "64\r\n" + std::string(100, 'c') + "\r\n";
    BOOST_TEST(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + body + "0\r\n\r\n") == 413);
    // A single chunk announcing more than the limit is refused from its size line.
    test::RawConnection c(server.port());
    c.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFF\r\n");
    BOOST_TEST(c.read_response().status == 413);
    BOOST_TEST(handled == 0);
}

BOOST_AUTO_TEST_CASE(trailers_count_against_the_field_limit) {
    BOOST_TEST(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + fields(11) + "\r\n") == 431);
}

BOOST_AUTO_TEST_SUITE_END()
