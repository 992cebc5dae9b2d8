// client.cookie_jar through our own server, redirects included, and curl's cookie file both ways.
#include <http/client.hpp>
#include <http/server.hpp>

#include "support/nginx.hpp"
#include "support/process.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <mutex>

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
