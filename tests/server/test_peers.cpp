// Real clients against the server: curl and Python's http.client.
#include <http/server.hpp>

#include "support/process.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <memory>

namespace {

using test::run;

struct Fixture {
    test::TestServer server{[](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            if (req.path == "/missing")
                throw http::NotFound("nothing here");
            res.headers["X-Method"] = req.method;
            res.body = req.method + " " + req.path + " [" + req.body + "]";
            for (const auto& [name, value] : req.form)
                res.body += " " + name + "=" + value;
        });
    }};
    std::string url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(server.port()) + path; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(peers, Fixture)

BOOST_AUTO_TEST_CASE(curl) {
    int status = 0;
    BOOST_TEST(run("curl -s --max-time 10 " + url("/hello"), status) == "GET /hello []");
    BOOST_TEST(status == 0);
    BOOST_TEST(run("curl -s --max-time 10 -d 'a=1&b=two' " + url("/form"), status) ==
               "POST /form [a=1&b=two] a=1 b=two");
    // curl sends a chunked body when told to, and Expect: 100-continue for large ones.
    BOOST_TEST(run("curl -s --max-time 10 -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' --data-binary 'streamed' " + url("/c"), status) ==
               "POST /c [streamed]");
    const std::string large(2 * 1024 * 1024, 'L');
    BOOST_TEST(run("head -c 2097152 /dev/zero | tr '\\0' L | curl -s --max-time 10 -H 'Content-Type: text/plain' "
                   "--data-binary @- " + url("/big"), status) == "POST /big [" + large + "]");
    BOOST_TEST(run("curl -s --max-time 10 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects} ' " + url("/a") + " " + url("/b"),
                   status) == "200 1 200 0 ");  // the second request reuses the connection
    BOOST_TEST(run("curl -s --max-time 10 --http1.0 -i " + url("/old"), status).find("Connection: close") != std::string::npos);
    BOOST_TEST(run("curl -s --max-time 10 -I " + url("/head"), status).find("Content-Length: 13") != std::string::npos);
    BOOST_TEST(run("curl -s --max-time 10 -o /dev/null -w '%{http_code}' " + url("/missing"), status) == "404");
}

BOOST_AUTO_TEST_CASE(python_http_client) {
    const std::string script = R"PY(
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/one")
r = c.getresponse(); print(r.status, r.reason, r.read().decode())
c.request("POST", "/two", body=b"x=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
r = c.getresponse(); print(r.status, r.getheader("X-Method"), r.read().decode())
c.request("PUT", "/three", body=iter([b"ab", b"cd"]), encode_chunked=True)
r = c.getresponse(); print(r.status, r.read().decode())
c.request("GET", "/missing", headers={"Accept": "text/plain"})
r = c.getresponse(); print(r.status, r.reason, r.getheader("Content-Type"), repr(r.read().decode()))
)PY";
    int status = 0;
    const std::string output = run("python3 -c '" + script + "' " + std::to_string(server.port()), status);
    BOOST_TEST(status == 0);
    BOOST_TEST(output == "200 OK GET /one []\n"
                         "200 POST POST /two [x=1] x=1\n"
                         "200 PUT /three [abcd]\n"
                         "404 Not Found text/plain; charset=utf-8 '404 Not Found\\n\\nnothing here\\n'\n");
}

BOOST_AUTO_TEST_SUITE_END()

// A child process between fork and exec holds a copy of every socket (popen, system, curl from a
// test), so closing a connection's descriptor does not take it out of epoll: its later events
// must not reach the connection, which is gone. (The ASan build saw that use after free.)
BOOST_AUTO_TEST_SUITE(forked_peers)

BOOST_AUTO_TEST_CASE(a_closed_connection_still_open_in_a_child_gets_no_more_events) {
    test::TestServer server([](http::Server& s) { s.on_receive(test::echo_path); });
    pid_t child = -1;
    {
        test::RawConnection connection(server.port());
        connection.send("GET /first HTTP/1.1\r\nHost: h\r\n\r\n");
        BOOST_TEST(connection.read_response().body == "GET /first");  // accepted and registered
        child = ::fork();  // holds the server's socket until it exits
        if (child == 0) {
            ::usleep(400 * 1000);
            ::_exit(0);
        }
        BOOST_REQUIRE(child > 0);
        connection.send("GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        connection.shutdown_send();  // the server answers, reads this end and closes its descriptor
        ::usleep(100 * 1000);
    }  // closed with the answer unread: a reset, an event for a connection the server let go
    ::usleep(100 * 1000);
    int status = 0;
    ::waitpid(child, &status, 0);
    test::RawConnection after(server.port());
    after.send("GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
    BOOST_TEST(after.read_response().body == "GET /after");
}

BOOST_AUTO_TEST_SUITE_END()
