// The client's cookie jar: first alone, against RFC 6265 Section 5 (storing, matching, ordering,
// expiry, curl's cookie file); then as client.cookie_jar through our own server, redirects
// included, and curl's cookie file both ways.
#include <http/cookie_jar.hpp>
#include <http/client.hpp>
#include <http/server.hpp>

#include "support/nginx.hpp"
#include "support/process.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

BOOST_AUTO_TEST_SUITE(cookie_jar)

BOOST_AUTO_TEST_CASE(domain_and_host_only) {
    http::CookieJar jar;
    jar.store("http://www.example.com/", {"host=1", "parent=2; Domain=example.com", "dotted=3; Domain=.EXAMPLE.com",
                                           "other=4; Domain=example.org", "sub=5; Domain=api.www.example.com"});
    BOOST_TEST(jar.cookie_header("http://www.example.com/") == "host=1; parent=2; dotted=3");
    BOOST_TEST(jar.cookie_header("http://api.example.com/") == "parent=2; dotted=3");  // not host-only
    BOOST_TEST(jar.cookie_header("http://example.com/") == "parent=2; dotted=3");
    BOOST_TEST(jar.cookie_header("http://badexample.com/") == "");  // a suffix, not a subdomain
    BOOST_TEST(jar.cookie_header("http://example.org/") == "");
    BOOST_TEST(jar.entries().size() == 3u);
}

BOOST_AUTO_TEST_CASE(no_public_suffix_list_single_labels_are_suffixes) {
    http::CookieJar jar;
    jar.store("http://shop.example.com/", {"wide=1; Domain=com"});
    BOOST_TEST(jar.entries().empty());
    jar.store("http://localhost:8080/", {"local=1; Domain=localhost"});  // that very host: host-only
    BOOST_REQUIRE(jar.entries().size() == 1u);
    BOOST_TEST(jar.entries()[0].host_only);
    BOOST_TEST(jar.cookie_header("http://localhost:9/") == "local=1");  // ports do not separate cookies
    // An IP address matches only itself.
    jar.store("http://10.0.0.5/", {"ip=1; Domain=0.0.5"});
    BOOST_TEST(jar.cookie_header("http://10.0.0.5/") == "");
}

BOOST_AUTO_TEST_CASE(paths_and_order) {
    http::CookieJar jar;
    jar.store("http://h.test/docs/guide/page", {"default=1", "root=2; Path=/", "docs=3; Path=/docs", "bad=4; Path=relative"});
    // Without Path (or with one not starting with '/'), the request path's directory.
    BOOST_TEST(jar.cookie_header("http://h.test/docs/guide/other") == "default=1; bad=4; docs=3; root=2");
    BOOST_TEST(jar.cookie_header("http://h.test/docs/guide") == "default=1; bad=4; docs=3; root=2");
    BOOST_TEST(jar.cookie_header("http://h.test/docs") == "docs=3; root=2");
    BOOST_TEST(jar.cookie_header("http://h.test/docsearch") == "root=2");  // not at a '/' boundary
    BOOST_TEST(jar.cookie_header("http://h.test/?q=/docs") == "root=2");  // the query is not the path
}

BOOST_AUTO_TEST_CASE(secure_expiry_replacement_and_malformed) {
    http::CookieJar jar;
    jar.store("http://h.test/", {"plain=1", "sneaky=1; Secure"});  // Secure taken from https only
    jar.store("https://h.test/", {"safe=1; Secure; HttpOnly"});
    BOOST_TEST(jar.cookie_header("http://h.test/") == "plain=1");
    BOOST_TEST(jar.cookie_header("https://h.test/") == "plain=1; safe=1");
    // Replaced in place (the first creation time keeps its order); Max-Age wins over Expires;
    // an expiry in the past deletes.
    jar.store("https://h.test/", {"plain=2", "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                                  "fresh=1; Max-Age=3600; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "safe=; Max-Age=0"});
    BOOST_TEST(jar.cookie_header("https://h.test/") == "plain=2; fresh=1");
    // Not a cookie: no '=', no name, a name that is not a token, a control character.
    jar.store("http://h.test/", {"novalue", "=empty", "bad name=1", std::string("ctl=a\x01") + "b"});
    BOOST_TEST(jar.entries().size() == 2u);
    jar.clear();
    BOOST_TEST(jar.cookie_header("https://h.test/") == "");
}

BOOST_AUTO_TEST_CASE(curls_cookie_file_round_trip) {
    char name[] = "/tmp/httpkit-jar-XXXXXX";
    const int fd = ::mkstemp(name);
    BOOST_REQUIRE(fd >= 0);
    ::close(fd);
    {
        std::ofstream file(name);
        file << "# Netscape HTTP Cookie File\n"
                "# https://curl.se/docs/http-cookies.html\n\n"
                "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc\n"
                "#HttpOnly_.example.com\tTRUE\t/app\tTRUE\t4102444800\tsid\txyz\n"
                ".example.com\tTRUE\t/\tFALSE\t1000\texpired\tgone\n"
                "broken line\n";
    }
    http::CookieJar jar;
    jar.load(name);
    BOOST_TEST(jar.entries().size() == 2u);
    BOOST_TEST(jar.cookie_header("http://127.0.0.1:8080/x") == "session=abc");
    BOOST_TEST(jar.cookie_header("https://www.example.com/app/1") == "sid=xyz");
    BOOST_TEST(jar.cookie_header("http://www.example.com/app/1") == "");
    jar.save(name);
    http::CookieJar again;
    again.load(name);
    BOOST_REQUIRE(again.entries().size() == 2u);
    BOOST_TEST(again.cookie_header("https://www.example.com/app/1") == "sid=xyz");
    std::ifstream saved(name);
    std::stringstream text;
    text << saved.rdbuf();
    BOOST_TEST(text.str().find("#HttpOnly_.example.com\tTRUE\t/app\tTRUE\t4102444800\tsid\txyz\n") != std::string::npos);
    BOOST_TEST(text.str().find("127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc\n") != std::string::npos);
    std::remove(name);
    BOOST_CHECK_THROW(jar.load("/nonexistent/cookies.txt"), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct Fixture {
    std::mutex mutex;
    std::string last_cookie;  // the Cookie field of the last request, as the server saw it
    test::TestServer server{[this](http::Server& s) {
        s.on_receive([this](http::Request& req, http::Response& res) {
            {
                std::lock_guard lock(mutex);
                last_cookie = std::string(req.headers.get("Cookie"));
            }
            if (req.path == "/login") {
                res.set_cookie({.name = "sid", .value = "abc", .path = "/"});
                res.set_cookie({.name = "prefs", .value = "dark", .path = "/admin", .http_only = true});
            } else if (req.path == "/logout") {
                res.set_cookie({.name = "sid", .value = "", .path = "/", .max_age = std::chrono::seconds(0)});
            } else if (req.path == "/hop") {
                res.set_cookie({.name = "hop", .value = "1", .path = "/"});
                res.redirect("/echo");
                return;
            }
            res.body = std::string(req.headers.get("Cookie"));
        });
    }};
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server.port()) + path; }
    std::string seen() {
        std::lock_guard lock(mutex);
        return last_cookie;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cookie_jar_client, Fixture)

BOOST_AUTO_TEST_CASE(kept_sent_and_removed) {
    http::Client client;
    client.get(url("/login"));
    BOOST_TEST(client.get(url("/echo")).body == "");  // no jar: nothing kept
    client.cookie_jar = std::make_shared<http::CookieJar>();
    client.get(url("/login"));
    BOOST_TEST(client.get(url("/echo")).body == "sid=abc");
    BOOST_TEST(client.get(url("/admin/users")).body == "prefs=dark; sid=abc");  // longer path first
    // A cookie set on a redirect goes with the request that follows it.
    BOOST_TEST(client.get(url("/hop")).body == "sid=abc; hop=1");
    // With a Cookie the caller sets, the jar's come after.
    BOOST_TEST(client.get(url("/echo"), {{"Cookie", "mine=1"}}).body == "mine=1; sid=abc; hop=1");
    client.get(url("/logout"));
    BOOST_TEST(client.get(url("/echo")).body == "hop=1");
    // Another client sharing the jar shares the cookies.
    http::Client other;
    other.cookie_jar = client.cookie_jar;
    BOOST_TEST(other.get(url("/echo")).body == "hop=1");
}

BOOST_AUTO_TEST_CASE(curls_cookie_file_both_ways) {
    test::TempDir dir;
    const std::string from_curl = (dir.path() / "from-curl.txt").string();
    const std::string for_curl = (dir.path() / "for-curl.txt").string();
    int status = 0;
    test::run("curl -s --max-time 10 -c " + from_curl + " " + url("/login"), status);
    BOOST_REQUIRE(status == 0);
    auto jar = std::make_shared<http::CookieJar>();
    jar->load(from_curl);
    http::Client client;
    client.cookie_jar = jar;
    BOOST_TEST(client.get(url("/admin/x")).body == "prefs=dark; sid=abc");
    client.get(url("/hop"));
    jar->save(for_curl);
    // curl orders cookies of the same path its own way: the longer path first, then both.
    const std::string sent = test::run("curl -s --max-time 10 -b " + for_curl + " " + url("/admin/y"), status);
    BOOST_TEST(sent.starts_with("prefs=dark; "));
    BOOST_TEST(sent.find("sid=abc") != std::string::npos);
    BOOST_TEST(sent.find("hop=1") != std::string::npos);
    BOOST_TEST(seen() == sent);
}

BOOST_AUTO_TEST_SUITE_END()
