// Message framing (RFC 9112, Section 6): Content-Length, Transfer-Encoding and chunked bodies.
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

namespace {

struct Fixture {
    test::TestServer server{[](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            res.body = "[" + req.body + "]";
            for (const auto& [name, value] : req.trailers)
                res.body += " " + name + "=" + value;
        });
    }};

    static std::string request(std::string_view framing_fields, std::string_view body) {
        return "POST /p HTTP/1.1\r\nHost: h\r\n" + std::string(framing_fields) + "\r\n" + std::string(body);
    }
    test::RawResponse post(std::string_view framing_fields, std::string_view body) {
        return test::exchange(server.port(), request(framing_fields, body));
    }
    int status_of(std::string_view framing_fields, std::string_view body) {
        const auto r = test::try_exchange(server.port(), request(framing_fields, body));
        return r ? r->status : 0;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(chunked, Fixture)

BOOST_AUTO_TEST_CASE(content_length_bodies) {
    BOOST_TEST(post("Content-Length: 5\r\n", "hello").body == "[hello]");
    BOOST_TEST(post("Content-Length: 0\r\n", "").body == "[]");
    // The same value repeated is one value (RFC 9112, Section 6.3).
    BOOST_TEST(post("Content-Length: 5, 5\r\n", "hello").body == "[hello]");
    BOOST_TEST(post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello").body == "[hello]");
}

BOOST_AUTO_TEST_CASE(bad_content_length) {
    BOOST_TEST(status_of("Content-Length: abc\r\n", "") == 400);
    BOOST_TEST(status_of("Content-Length: -1\r\n", "") == 400);
    BOOST_TEST(status_of("Content-Length: +5\r\n", "hello") == 400);
    BOOST_TEST(status_of("Content-Length: 5 5\r\n", "hello") == 400);
    BOOST_TEST(status_of("Content-Length: 0x5\r\n", "hello") == 400);
    BOOST_TEST(status_of("Content-Length: 99999999999999999999\r\n", "") == 400);  // overflow
    BOOST_TEST(status_of("Content-Length: \r\n", "") == 400);
    BOOST_TEST(status_of("Content-Length: 5, 6\r\n", "hello") == 400);
    BOOST_TEST(status_of("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!") == 400);
}

BOOST_AUTO_TEST_CASE(chunked_with_extensions_and_trailers) {
    const auto r = post("Transfer-Encoding: chunked\r\n",
                        "5;name=value\r\nhello\r\n6 ; quoted=\"a;b\\\"c\"\r\n world\r\n"
                        "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n");
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.body == "[hello world] X-Checksum=abc X-Other=1");
    BOOST_TEST(post("Transfer-Encoding: chunked\r\n", "0\r\n\r\n").body == "[]");
    BOOST_TEST(post("Transfer-Encoding: CHUNKED\r\n", "1\r\na\r\n0\r\n\r\n").body == "[a]");
    BOOST_TEST(post("Transfer-Encoding: chunked\r\n", "A\r\n0123456789\r\n0000\r\n\r\n").body == "[0123456789]");
}

BOOST_AUTO_TEST_CASE(transfer_encoding_rules) {
    BOOST_TEST(status_of("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n") == 501);
    BOOST_TEST(status_of("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n") == 400);  // not final
    BOOST_TEST(status_of("Transfer-Encoding: identity\r\n", "") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked;x=1\r\n", "0\r\n\r\n") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: \r\n", "") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n") == 400);
    const auto old = test::exchange(server.port(), "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    BOOST_TEST(old.status == 400);
}

BOOST_AUTO_TEST_CASE(malformed_chunks) {
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "FFFFFFFFFFFFFFFFF\r\n") == 400);  // overflows 64 bits
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "zz\r\n") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "-1\r\n") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "5\nhello\r\n0\r\n\r\n") == 400);       // bare LF
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "5\r\nhello!\r\n0\r\n\r\n") == 400);    // longer than size
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "5\r\nhello\n0\r\n\r\n") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "5;\r\nhello\r\n0\r\n\r\n") == 400);    // empty extension
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "5;a=\"open\r\nhello\r\n0\r\n\r\n") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "5;" + std::string(5000, 'a') + "\r\nhello\r\n0\r\n\r\n") == 400);
    BOOST_TEST(status_of("Transfer-Encoding: chunked\r\n", "0\r\nBad Trailer: x\r\n\r\n") == 400);
}

BOOST_AUTO_TEST_CASE(bodies_arriving_a_byte_at_a_time) {
    test::RawConnection c(server.port());
    c.send_slowly(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz");
    BOOST_TEST(c.read_response().body == "[abcde] T=1");
    BOOST_TEST(c.read_response().body == "[xyz]");
}

BOOST_AUTO_TEST_CASE(a_smuggled_request_is_not_answered) {
    // The classic CL.TE attack: both headers. The server refuses the whole message and closes,
    // so the "smuggled" GET after it is never read as a request.
    test::RawConnection c(server.port());
    c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
           "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n");
    const auto r = c.read_response();
    BOOST_TEST(r.status == 400);
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_SUITE_END()
