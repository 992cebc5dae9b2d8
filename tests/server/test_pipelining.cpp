// Persistent connections and pipelining (RFC 9112, Section 9).
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace {

struct Fixture {
    test::TestServer server{[](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            if (req.path == "/no-content") {
                res.status = http::NO_CONTENT;
                res.body = "dropped";
                return;
            }
            if (req.path == "/not-modified") {
                res.status = http::NOT_MODIFIED;
                return;
            }
            if (req.path == "/fields") {
                // What this request carries, to check that nothing of the one before stays.
                for (const auto& [name, value] : req.headers)
                    res.body += name + "=" + value + ";";
                res.body += "|";
                for (const auto& [name, value] : req.cookies)
                    res.body += name + "=" + value + ";";
                res.body += "|" + req.method + " " + req.request_uri + " " + req.host;
                if (req.queries.count("mark"))
                    res.headers.set("X-Mark", req.queries.at("mark"));
                return;
            }
            res.body = req.method + " " + req.path + " " + req.body;
        });
    }};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(pipelining, Fixture, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(http11_keeps_the_connection) {
    test::RawConnection c(server.port());
    for (int i = 0; i < 3; ++i) {
        c.send(test::get("/" + std::to_string(i)));
        const auto r = c.read_response();
        BOOST_TEST(r.body == "GET /" + std::to_string(i) + " ");
        BOOST_TEST(r.header("Connection") == "<absent>");
    }
}

BOOST_AUTO_TEST_CASE(connection_close) {
    test::RawConnection c(server.port());
    c.send(test::get("/", "Connection: close\r\n"));
    BOOST_TEST(c.read_response().header("Connection") == "close");
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(http10_closes_unless_asked_to_keep_alive) {
    {
        test::RawConnection c(server.port());
        c.send("GET / HTTP/1.0\r\n\r\n");
        const auto r = c.read_response();
        BOOST_TEST(r.header("Connection") == "close");
        BOOST_TEST(r.version == "HTTP/1.1");
        BOOST_TEST(c.closed_by_server());
    }
    test::RawConnection c(server.port());
    c.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    BOOST_TEST(c.read_response().header("Connection") == "keep-alive");
    c.send("GET /b HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    BOOST_TEST(c.read_response().body == "GET /b ");
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order) {
    std::string burst;
    for (int i = 0; i < 50; ++i) {
        if (i % 3 == 0)
            burst += "POST /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab";
        else if (i % 3 == 1)
            burst += "POST /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\ncd\r\n0\r\n\r\n";
        else
            burst += test::get("/" + std::to_string(i));
    }
    test::RawConnection c(server.port());
    c.send(burst);
    for (int i = 0; i < 50; ++i) {
        const auto r = c.read_response();
        const std::string expected = i % 3 == 0   ? "POST /" + std::to_string(i) + " ab"
                                     : i % 3 == 1 ? "POST /" + std::to_string(i) + " cd"
                                                  : "GET /" + std::to_string(i) + " ";
        BOOST_TEST(r.body == expected);
    }
}

BOOST_AUTO_TEST_CASE(each_request_sees_only_its_own_fields) {
    // The server keeps a connection's strings, cookie nodes and response header storage from one
    // request to the next: more fields, fewer, other cookies, none, and a response header set
    // once must all come out as each request sent them.
    const std::string long_value(200, 'v');
    const struct {
        std::string request;
        std::string body;
        std::string mark;
    } steps[] = {
        {"GET /fields?mark=1 HTTP/1.1\r\nHost: one\r\nCookie: a=1; b=" + long_value + "\r\nX-A: " + long_value + "\r\n\r\n",
         "Host=one;Cookie=a=1; b=" + long_value + ";X-A=" + long_value + ";|a=1;b=" + long_value + ";|GET /fields?mark=1 one", "1"},
        {"GET /fields HTTP/1.1\r\nHost: two\r\nCookie: c=3\r\n\r\n", "Host=two;Cookie=c=3;|c=3;|GET /fields two", "<absent>"},
        {"POST /fields HTTP/1.1\r\nHost: three\r\nX-B: b\r\nX-C: c\r\nContent-Length: 0\r\n\r\n",
         "Host=three;X-B=b;X-C=c;Content-Length=0;||POST /fields three", "<absent>"},
        {"GET /fields?mark=2 HTTP/1.1\r\nHost: four\r\nCookie: a=1; a=2; d=4\r\n\r\n",
         "Host=four;Cookie=a=1; a=2; d=4;|a=1;d=4;|GET /fields?mark=2 four", "2"},
        {"GET /fields HTTP/1.1\r\nHost: five\r\n\r\n", "Host=five;||GET /fields five", "<absent>"},
    };
    for (const bool pipelined : {false, true}) {
        test::RawConnection c(server.port());
        if (pipelined) {
            std::string burst;
            for (const auto& step : steps)
                burst += step.request;
            c.send(burst);
        }
        for (const auto& step : steps) {
            if (!pipelined)
                c.send(step.request);
            const auto r = c.read_response();
            BOOST_TEST(r.body == step.body);
            BOOST_TEST(r.header("X-Mark") == step.mark);
        }
    }
}

BOOST_AUTO_TEST_CASE(pipelined_heads_cut_anywhere_by_the_reads_are_answered_whole) {
    // Heads of a few hundred bytes, some 40 KiB of them at once: reads fill the connection's
    // small inline buffer, then its larger block, and cut heads at every offset.
    std::string burst;
    std::vector<std::string> bodies;
    for (int i = 0; i < 80; ++i) {
        const std::string pad(100 + (i * 37) % 700, static_cast<char>('a' + i % 26));
        burst += "GET /fields HTTP/1.1\r\nHost: h" + std::to_string(i) + "\r\nX-Pad: " + pad + "\r\nCookie: n=" +
                 std::to_string(i) + "\r\n\r\n";
        bodies.push_back("Host=h" + std::to_string(i) + ";X-Pad=" + pad + ";Cookie=n=" + std::to_string(i) + ";|n=" +
                         std::to_string(i) + ";|GET /fields h" + std::to_string(i));
    }
    test::RawConnection c(server.port());
    c.send(burst);
    for (const std::string& body : bodies)
        BOOST_TEST(c.read_response().body == body);
}

BOOST_AUTO_TEST_CASE(a_string_as_long_as_the_last_but_different_is_seen) {
    // The strings a connection keeps are compared before they are assigned, short ones a word at a
    // time: a target, Host and field value as long as the request before's, differing in any one
    // byte, must come out as sent.
    test::RawConnection c(server.port());
    for (std::size_t length = 1; length <= 20; ++length) {
        const std::string same(length, 'a');
        for (const std::size_t at : {std::size_t{0}, length / 2, length - 1}) {
            std::string other = same;
            other[at] = 'b';
            for (const std::string& value : {same, other}) {
                BOOST_TEST_CONTEXT("a value of " << length << " bytes, differing at " << at) {
                    c.send("GET /fields?v=" + value + " HTTP/1.1\r\nHost: " + value + "\r\nX-V: " + value + "\r\n\r\n");
                    const auto r = c.read_response();
                    BOOST_TEST(r.body == "Host=" + value + ";X-V=" + value + ";||GET /fields?v=" + value + " " + value);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_bad_request_in_a_pipeline_ends_it) {
    test::RawConnection c(server.port());
    c.send(test::get("/1") + "BAD REQUEST\r\n\r\n" + test::get("/3"));
    BOOST_TEST(c.read_response().body == "GET /1 ");
    BOOST_TEST(c.read_response().status == 400);
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(head_has_no_body) {
    test::RawConnection c(server.port());
    c.send("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n" + test::get("/after"));
    const auto head = c.read_response(true);
    BOOST_TEST(head.header("Content-Length") == "8");  // the length GET would send
    BOOST_TEST(head.body.empty());
    // The next response starts right after the header section: no body bytes were sent.
    BOOST_TEST(c.read_response().body == "GET /after ");
}

BOOST_AUTO_TEST_CASE(no_body_for_204_and_304) {
    test::RawConnection c(server.port());
    c.send(test::get("/no-content") + test::get("/not-modified") + test::get("/last"));
    const auto no_content = c.read_response();
    BOOST_TEST(no_content.status == 204);
    BOOST_TEST(no_content.header("Content-Length") == "<absent>");
    BOOST_TEST(no_content.body.empty());
    BOOST_TEST(c.read_response().status == 304);
    BOOST_TEST(c.read_response().body == "GET /last ");
}

BOOST_AUTO_TEST_SUITE_END()
