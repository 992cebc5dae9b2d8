// The client against httpkit's own server: methods and bodies, Expect: 100-continue, connection
// reuse, content codings, limits.
#include <http/client.hpp>
#include <http/server.hpp>

#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <atomic>
#include <thread>

using Kind = http::TransportError::Kind;
using namespace std::chrono_literals;

namespace {

// zlib's compress2 (zlib format) or gzip, for responses the server hands back encoded.
std::string compress(std::string_view data, bool gzip) {
    z_stream s{};
    deflateInit2(&s, Z_BEST_SPEED, Z_DEFLATED, gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&s, static_cast<uLong>(data.size())), '\0');
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    s.avail_in = static_cast<uInt>(data.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, Z_FINISH);
    out.resize(s.total_out);
    deflateEnd(&s);
    return out;
}

struct Fixture {
    std::atomic<int> connections{0};
    std::atomic<int> expects{0};
    test::TestServer server{[this](http::Server& s) {
        s.max_body_size = 8 * 1024 * 1024;
        s.on_connect([this](const http::ClientInfo&) { ++connections; });
        s.on_receive([this](http::Request& req, http::Response& res) {
            if (req.headers.contains("Expect"))
                ++expects;
            if (req.path == "/gzip" || req.path == "/deflate") {
                res.headers["Content-Encoding"] = req.path.substr(1);
                res.body = compress(std::string(100000, 'z') + "end", req.path == "/gzip");
                return;
            }
            if (req.path == "/bomb") {
                res.headers["Content-Encoding"] = "gzip";
                res.body = compress(std::string(64 * 1024 * 1024, '\0'), true);  // 64 MiB from ~64 KiB
                return;
            }
            if (req.path == "/problem")
                throw http::Conflict("version 3 was edited meanwhile");
            res.headers["X-Method"] = req.method;
            res.body = req.method + " " + req.request_uri + " " + std::to_string(req.body.size()) + " " +
                       std::string(req.headers.get("Content-Type", "-")) + " " + std::string(req.headers.get("X-Extra", "-"));
        });
    }};
    std::string url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(server.port()) + path; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(with_server, Fixture, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(methods_and_bodies) {
    http::Client client;
    BOOST_TEST(client.get(url("/a?b=1")).body == "GET /a?b=1 0 - -");
    BOOST_TEST(client.post(url("/p"), "x=1").body == "POST /p 3 application/x-www-form-urlencoded -");
    BOOST_TEST(client.put(url("/p"), "").body == "PUT /p 0 - -");
    BOOST_TEST(client.del(url("/d")).body == "DELETE /d 0 - -");
    BOOST_TEST(client.send_request(url("/o"), "OPTIONS").headers.get("X-Method") == "OPTIONS");
    client.headers["Content-Type"] = "application/json";
    BOOST_TEST(client.post(url("/j"), "{}").body == "POST /j 2 application/json -");
    // The free functions and set_headers.
    BOOST_TEST(http::get(url("/f")).body == "GET /f 0 - -");
    BOOST_TEST(http::post(url("/f"), "abc").body == "POST /f 3 application/x-www-form-urlencoded -");
    BOOST_TEST(http::set_headers({{"X-Extra", "yes"}}).get(url("/h")).body == "GET /h 0 - yes");
}

BOOST_AUTO_TEST_CASE(per_request_headers_go_with_that_request_only) {
    http::Client client;
    client.headers["X-Extra"] = "client-wide";
    BOOST_TEST(client.post(url("/j"), "{}", {{"Content-Type", "application/json"}}).body ==
               "POST /j 2 application/json client-wide");
    BOOST_TEST(client.send_request(url("/s"), "PATCH", "{}", {{"Content-Type", "application/json"}}).body ==
               "PATCH /s 2 application/json client-wide");
    // Replacing a client-wide header of the same name, in any case.
    BOOST_TEST(client.get(url("/g"), {{"x-extra", "this one"}}).body == "GET /g 0 - this one");
    BOOST_TEST(client.put(url("/p"), "a=1", {{"X-EXTRA", "put"}}).body == "PUT /p 3 application/x-www-form-urlencoded put");
    BOOST_TEST(client.del(url("/d"), {{"X-Extra", "del"}}).body == "DELETE /d 0 - del");
    // ... and gone from the next request.
    BOOST_TEST(client.post(url("/j"), "{}").body == "POST /j 2 application/x-www-form-urlencoded client-wide");
    BOOST_TEST(client.headers.get("X-Extra") == "client-wide");
}

BOOST_AUTO_TEST_CASE(urls_are_encoded) {
    http::Client client;
    BOOST_TEST(client.get(url("/a b/ü?q=x y#fragment")).body == "GET /a%20b/%C3%BC?q=x%20y 0 - -");
    BOOST_TEST(client.get(url("/already%20encoded")).body == "GET /already%20encoded 0 - -");
}

BOOST_AUTO_TEST_CASE(expect_continue_for_large_bodies) {
    http::Client client;
    const std::string big(2 * 1024 * 1024, 'b');
    BOOST_TEST(client.post(url("/big"), big).body == "POST /big 2097152 application/x-www-form-urlencoded -");
    BOOST_TEST(expects == 1);
    client.no_expect = true;
    BOOST_TEST(client.post(url("/big"), big).body.starts_with("POST /big 2097152"));
    BOOST_TEST(expects == 1);
    BOOST_TEST(client.post(url("/small"), "s").body.starts_with("POST /small 1"));
    BOOST_TEST(expects == 1);
}

BOOST_AUTO_TEST_CASE(the_request_head_is_the_serializers) {
    // Expect: 100-continue from the client's rule or the caller's field, never with no_expect;
    // the caller's framing fields never replace the client's.
    http::Client client;
    BOOST_TEST(client.post(url("/small"), "s", {{"Expect", "100-continue"}}).body.starts_with("POST /small 1"));
    BOOST_TEST(expects == 1);
    client.no_expect = true;
    BOOST_TEST(client.post(url("/small"), "s", {{"Expect", "100-continue"}}).body.starts_with("POST /small 1"));
    BOOST_TEST(expects == 1);
    BOOST_TEST(client.post(url("/framing"), "abc", {{"Content-Length", "1"}, {"Host", "elsewhere"}, {"Transfer-Encoding", "chunked"}})
                   .body == "POST /framing 3 application/x-www-form-urlencoded -");
    // Connection: close from the caller goes out: that connection ends with its exchange.
    const int before = connections;
    BOOST_TEST(client.get(url("/c1"), {{"Connection", "close"}}).body.starts_with("GET /c1"));  // on the open one
    BOOST_TEST(client.get(url("/c2"), {{"Connection", "close"}}).body.starts_with("GET /c2"));
    BOOST_TEST(client.get(url("/c3")).body.starts_with("GET /c3"));
    BOOST_TEST(connections == before + 2);
}

BOOST_AUTO_TEST_CASE(what_would_split_the_head_is_refused_before_sending) {
    http::Client client;
    auto refused = [&](std::string_view method, const http::Headers& headers) {
        try {
            client.send_request(url("/x"), method, {}, headers);
        } catch (const http::TransportError& e) {
            BOOST_TEST((e.kind() == Kind::invalid_request));
            return std::string(e.what());
        }
        return std::string("sent");
    };
    BOOST_TEST(refused("GET /admin HTTP/1.1\r\nX-Injected: 1\r\nX-Rest:", {}).ends_with("is not a token"));
    BOOST_TEST(refused("GET", {{"X-Split", "a\r\nX-Injected: 1"}}).ends_with("value of header 'X-Split' holds a control character"));
    BOOST_TEST(refused("GET", {{"Bad Name", "1"}}).ends_with("header name 'Bad Name' is not a token"));
    BOOST_TEST(connections == 0);  // nothing went out
    BOOST_TEST(refused("PROPFIND", {{"X-Fine", "caf\xc3\xa9"}}) == "sent");
}

BOOST_AUTO_TEST_CASE(a_copy_keeps_every_setting_and_opens_its_own_connections) {
    http::Client client;
    client.user_agent = "agent";
    client.follow_redirect = false;
    client.max_redirects = 3;
    client.skip_hostname_verification = true;
    client.skip_peer_verification = true;
    client.referer = "http://referer/";
    client.ca_cert = "/ca.pem";
    client.connect_timeout = 1234ms;
    client.receive_timeout = 2345ms;
    client.headers["X-Extra"] = "copied";
    client.no_expect = true;
    client.max_body_size = 77;
    client.max_decoding_ratio = 7;
    client.retries = 2;
    client.max_retry_after = std::chrono::seconds(9);
    client.timeout = 3456ms;
    client.username = "user";
    client.password = "secret";
    client.auth_method = http::Auth::digest;
    client.proxy = "http://proxy:3128";
    client.cookie_jar = std::make_shared<http::CookieJar>();
    client.on_progress = [](const http::Progress&) { return true; };
    const http::Client copy = client;
    BOOST_TEST(copy.user_agent == "agent");
    BOOST_TEST(!copy.follow_redirect);
    BOOST_TEST(copy.max_redirects == 3);
    BOOST_TEST(copy.skip_hostname_verification);
    BOOST_TEST(copy.skip_peer_verification);
    BOOST_TEST(copy.referer == "http://referer/");
    BOOST_TEST(copy.ca_cert == "/ca.pem");
    BOOST_TEST(copy.connect_timeout.count() == 1234);
    BOOST_TEST(copy.receive_timeout.count() == 2345);
    BOOST_TEST(copy.headers.get("X-Extra") == "copied");
    BOOST_TEST(copy.no_expect);
    BOOST_TEST(copy.max_body_size == 77u);
    BOOST_TEST(copy.max_decoding_ratio == 7u);
    BOOST_TEST(copy.retries == 2);
    BOOST_TEST(copy.max_retry_after.count() == 9);
    BOOST_TEST(copy.timeout.count() == 3456);
    BOOST_TEST(copy.username == "user");
    BOOST_TEST(copy.password == "secret");
    BOOST_TEST((copy.auth_method == http::Auth::digest));
    BOOST_TEST(copy.proxy == "http://proxy:3128");
    BOOST_TEST(copy.cookie_jar == client.cookie_jar);  // one jar, shared
    BOOST_TEST(static_cast<bool>(copy.on_progress));
    // Connections are not shared: each client opens its own, and keeps it.
    http::Client first;
    BOOST_TEST(first.get(url("/1")).body.starts_with("GET /1"));
    http::Client second = first;
    BOOST_TEST(second.get(url("/2")).body.starts_with("GET /2"));
    BOOST_TEST(first.get(url("/3")).body.starts_with("GET /3"));
    BOOST_TEST(connections == 2);
    second = first;  // assigned: its connections go, a new one is opened
    BOOST_TEST(second.get(url("/4")).body.starts_with("GET /4"));
    BOOST_TEST(connections == 3);
}

BOOST_AUTO_TEST_CASE(a_refused_expectation_saves_the_upload) {
    // Over the server's max_body_size: 413 comes instead of 100 and the body is never sent.
    http::Client client;
    const http::Response r = client.post(url("/too-big"), std::string(9 * 1024 * 1024, 'x'));
    BOOST_TEST((r.status == http::CONTENT_TOO_LARGE));
    BOOST_TEST(client.get(url("/after")).body == "GET /after 0 - -");  // on a new connection
    BOOST_TEST(connections == 2);
}

BOOST_AUTO_TEST_CASE(keep_alive_reuse_and_a_server_closing_idle_connections) {
    http::Client client;
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(client.get(url("/" + std::to_string(i))).body.starts_with("GET /" + std::to_string(i)));
    BOOST_TEST(connections == 1);
    test::TestServer impatient([](http::Server& s) {
        s.keep_alive_timeout = 100ms;
        s.on_receive([](http::Request&, http::Response& res) { res.body = "ok"; });
    });
    const std::string u = "http://127.0.0.1:" + std::to_string(impatient.port()) + "/";
    BOOST_TEST(client.get(u).body == "ok");
    std::this_thread::sleep_for(400ms);  // the server has closed the idle connection
    BOOST_TEST(client.get(u).body == "ok");
    BOOST_TEST(client.post(u, "not idempotent").body == "ok");
}

BOOST_AUTO_TEST_CASE(gzip_and_deflate) {
    http::Client client;
    for (const char* path : {"/gzip", "/deflate"}) {
        BOOST_TEST_CONTEXT(path) {
            const http::Response r = client.get(url(path));
            BOOST_TEST(r.body.size() == 100003u);
            BOOST_TEST(r.body.ends_with("zzzend"));
        }
    }
}

BOOST_AUTO_TEST_CASE(decompression_bomb) {
    http::Client client;
    client.max_body_size = 1024 * 1024;
    client.max_decoding_ratio = 0;  // the size alone
    try {
        client.get(url("/bomb"));
        BOOST_FAIL("a body inflating past max_body_size must fail");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::too_large));
        BOOST_TEST(std::string(e.what()).find("the gzip body decodes to more than client.max_body_size (1048576 bytes)") !=
                   std::string::npos);
    }
    client.max_body_size = 10;
    try {
        client.get(url("/x"));  // 15 bytes, refused from Content-Length
        BOOST_FAIL("a body over max_body_size must fail");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::too_large));
    }
    // By default the ratio guard stops it first: 64 MiB from 64 KiB.
    try {
        http::Client().get(url("/bomb"));
        BOOST_FAIL("a decompression bomb must be refused by its ratio");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::too_large));
        BOOST_TEST(std::string(e.what()).find("client.max_decoding_ratio") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(problem_details_become_the_failure_message) {
    const http::Response r = http::get(url("/problem"));
    BOOST_TEST((r.status == http::CONFLICT));
    try {
        r.raise_for_status();
        BOOST_FAIL("409 must throw");
    } catch (const http::Conflict& conflict) {
        BOOST_TEST(conflict.what() == std::string("version 3 was edited meanwhile"));
    }
}

BOOST_AUTO_TEST_CASE(ipv6_literal) {
    http::Server v6(0, "::1");
    v6.io_threads = 1;
    v6.on_receive([](http::Request& req, http::Response& res) { res.body = req.host; });
    try {
        v6.start();
    } catch (const std::system_error&) {
        BOOST_TEST_MESSAGE("no IPv6 loopback here; skipped");
        return;
    }
    const std::string u = "http://[::1]:" + std::to_string(v6.port()) + "/";
    BOOST_TEST(http::get(u).body == "[::1]:" + std::to_string(v6.port()));
    v6.close();
    v6.wait();
}

BOOST_AUTO_TEST_SUITE_END()
