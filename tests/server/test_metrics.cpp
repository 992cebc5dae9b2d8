// server.metrics(): the counters of the middleware the server runs, counted by the server that
// runs it.
#include <http/rate_limit.hpp>
#include <http/router.hpp>
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(rate_limited_requests_have_their_own_counter) {
    test::TestServer limited([](http::Server& s) {
        http::Router router;
        // A count per path, so that /busy has requests left when its handler refuses on its own.
        router.use(http::rate_limit(
            {.limit = 2, .window = std::chrono::hours(1), .key = [](const http::Request& req) { return req.path; }}));
        router.get("/", [](http::Request&, http::Response& res) { res.body = "ok"; });
        router.get("/busy", [](http::Request&, http::Response&) {
            throw http::TooManyRequests(std::chrono::seconds(5));
        });
        s.on_receive(router);
    });
    test::TestServer other([](http::Server& s) {
        s.on_receive([](http::Request&, http::Response& res) { res.body = "ok"; });
    });
    BOOST_TEST(contains(limited.server().metrics(), "\nhttpkit_rate_limited_total 0\n"));
    BOOST_TEST(contains(limited.server().metrics(), "# TYPE httpkit_rate_limited_total counter\n"));

    for (int i = 0; i < 5; ++i) {
        const test::RawResponse response = test::exchange(limited.port(), test::get("/"));
        BOOST_TEST(response.status == (i < 2 ? 200 : 429));
    }
    // A 429 the handler throws is a response like any other, not the rate limiter's refusal.
    BOOST_TEST(test::exchange(limited.port(), test::get("/busy")).status == 429);
    BOOST_TEST(test::exchange(other.port(), test::get("/")).status == 200);

    const std::string scraped = limited.server().metrics();
    BOOST_TEST(contains(scraped, "\nhttpkit_rate_limited_total 3\n"), scraped);
    BOOST_TEST(contains(scraped, "httpkit_requests_total{method=\"GET\",status_class=\"4xx\"} 4\n"), scraped);
    BOOST_TEST(contains(scraped, "httpkit_requests_total{method=\"GET\",status_class=\"2xx\"} 2\n"), scraped);
    // Each server counts its own: none were refused by the other.
    BOOST_TEST(contains(other.server().metrics(), "\nhttpkit_rate_limited_total 0\n"));
}

BOOST_AUTO_TEST_SUITE_END()
