// http::rate_limit: the count per key and window, the RateLimit-Policy and RateLimit fields on
// every answer, 429 with Retry-After and a problem body past the limit, keys apart, a new window,
// and memory that stays fixed whatever the number of keys (a million of them).
#include <http/failure.hpp>
#include <http/rate_limit.hpp>
#include <http/router.hpp>
#include <http/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <malloc.h>

#include <thread>

namespace {

http::Router limited(http::RateLimitOptions options) {
    http::Router router;
    router.use(http::rate_limit(std::move(options)));
    router.get("/", [](http::Request&, http::Response& res) { res.body = "ok"; });
    return router;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limit)

BOOST_AUTO_TEST_CASE(the_limit_then_429_with_the_fields_that_say_where_a_client_stands) {
    http::TestClient test(limited({.limit = 3, .window = std::chrono::seconds(60)}));
    for (int left = 2; left >= 0; --left) {  // at the limit: the third request still goes
        const http::Response r = test.get("/");
        BOOST_TEST(r.status == http::OK);
        BOOST_TEST(r.headers.get("RateLimit-Policy") == "\"default\";q=3;w=60");
        const std::string field(r.headers.get("RateLimit"));
        BOOST_TEST(field.starts_with("\"default\";r=" + std::to_string(left) + ";t="), field);
    }
    const http::Response refused = test.get("/");  // one past it
    BOOST_TEST(refused.status == http::TOO_MANY_REQUESTS);
    BOOST_TEST(refused.headers.get("Content-Type") == "application/problem+json");
    BOOST_TEST(refused.headers.get("RateLimit").starts_with("\"default\";r=0;t="));
    try {
        refused.raise_for_status();
        BOOST_FAIL("a 429 must raise");
    } catch (const http::TooManyRequests& failure) {
        const auto retry = failure.retry_after();
        BOOST_REQUIRE(retry.has_value());
        BOOST_TEST(retry->count() >= 1);
        BOOST_TEST(retry->count() <= 60);
        BOOST_TEST(std::string(failure.what()).find("more than 3 requests in 60 s") != std::string::npos);
    }
    // Another client has its own count.
    test.ip = "192.0.2.7";
    BOOST_TEST(test.get("/").status == http::OK);
}

BOOST_AUTO_TEST_CASE(a_key_of_the_applications_and_a_new_window) {
    http::TestClient test(limited({.limit = 1, .window = std::chrono::seconds(1), .key = [](const http::Request& req) {
                                       return std::string(req.headers.get("X-Api-Key"));
                                   }}));
    BOOST_TEST(test.get("/", {{"X-Api-Key", "a"}}).status == http::OK);
    BOOST_TEST(test.get("/", {{"X-Api-Key", "a"}}).status == http::TOO_MANY_REQUESTS);
    BOOST_TEST(test.get("/", {{"X-Api-Key", "b"}}).status == http::OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the next window
    BOOST_TEST(test.get("/", {{"X-Api-Key", "a"}}).status == http::OK);
}

BOOST_AUTO_TEST_CASE(memory_stays_fixed_with_a_million_keys_and_a_busy_client_is_not_forgotten) {
    http::Router::Middleware limit = http::rate_limit({.limit = 5, .window = std::chrono::seconds(3600), .max_keys = 4096});
    http::Request req;
    http::Response res;
    const auto ask = [&](std::string ip) {
        req.ip = std::move(ip);
        try {
            limit(req, res, [] {});
            return true;
        } catch (const http::TooManyRequests&) {
            return false;
        }
    };
    for (int i = 0; i < 5; ++i)
        BOOST_REQUIRE(ask("203.0.113.1"));
    BOOST_REQUIRE(!ask("203.0.113.1"));
    const std::size_t before = mallinfo2().uordblks;
    for (int i = 0; i < 1'000'000; ++i)
        ask("key " + std::to_string(i));
    const std::size_t after = mallinfo2().uordblks;
    BOOST_TEST_MESSAGE("heap in use after a million keys: " << static_cast<long long>(after) - static_cast<long long>(before)
                                                             << " bytes more");
    BOOST_TEST(after <= before + 4096);  // nothing kept per key: the table was made at the start
    // The client at its limit kept its place against keys with one request each.
    BOOST_TEST(!ask("203.0.113.1"));
}

BOOST_AUTO_TEST_CASE(a_limit_or_window_of_zero_is_refused) {
    BOOST_CHECK_THROW(http::rate_limit({.limit = 0}), std::invalid_argument);
    BOOST_CHECK_THROW(http::rate_limit({.limit = 1, .window = std::chrono::seconds(0)}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
