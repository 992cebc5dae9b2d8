// server.metrics(): the counters of the middleware the server runs, counted by the server that
// runs it.
#include <http/rate_limit.hpp>
#include <http/router.hpp>
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The scrape's series: each line that is not a comment, without its value.
std::vector<std::string> series(const std::string& scraped, std::string_view prefix = {}) {
    std::vector<std::string> out;
    std::istringstream lines(scraped);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line[0] != '#' && line.starts_with(prefix))
            out.push_back(line.substr(0, line.rfind(' ')));
    return out;
}

// The value of the series `name` (a whole line up to the value), or -1 if the scrape has none.
long long value_of(const std::string& scraped, const std::string& name) {
    const std::size_t at = scraped.find("\n" + name + " ");
    if (at == std::string::npos)
        return -1;
    return std::stoll(scraped.substr(at + name.size() + 2));
}

std::string route_series(std::string_view route, std::string_view method, std::string_view status_class) {
    return "httpkit_route_requests_total{route=\"" + std::string(route) + "\",method=\"" + std::string(method) +
           "\",status_class=\"" + std::string(status_class) + "\"}";
}

// A server with two routes (one in a group, for two methods registered apart), and /odd, whose
// handler labels its response with a route of another router whose pattern needs escaping.
struct RoutedServer {
    http::Router odd_router;
    const http::Route* odd_route = &odd_router.get("/a\"b\\c\nd", [](http::Request&, http::Response&) {});
    test::TestServer server{[this](http::Server& s) {
        http::Router router;
        router.get("/users/{id}", [](http::Request& req, http::Response& res) {
            if (req.params.at("id") == "0")
                throw http::NotFound();
            res.body = "user";
        });
        router.use([](http::Request& req, http::Response& res, const std::function<void()>& next) {
            // Middleware sees the route that matched already.
            res.headers.set("X-Route", req.route ? req.route->pattern() : "none");
            next();
        });
        http::Router& api = router.group("/api/v1");
        api.post("/notes", [](http::Request&, http::Response& res) { res.status = http::CREATED; });
        api.get("/notes", [](http::Request&, http::Response& res) { res.body = "notes"; });
        router.get("/odd", [this](http::Request& req, http::Response&) { req.route = odd_route; });
        s.on_receive(router);
    }};
};

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

BOOST_AUTO_TEST_CASE(responses_are_counted_by_the_route_that_matched) {
    RoutedServer routed;
    const std::uint16_t port = routed.server.port();
    auto status_of = [&](std::string_view method, std::string_view target) {
        return test::exchange(port, std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n\r\n",
                              method == "HEAD")
            .status;
    };
    BOOST_TEST(series(routed.server.server().metrics(), "httpkit_route_").empty());

    for (const char* id : {"1", "2", "abc"})
        BOOST_TEST(status_of("GET", std::string("/users/") + id) == 200);
    BOOST_TEST(status_of("GET", "/users/0") == 404);  // the handler's: the route's
    BOOST_TEST(status_of("HEAD", "/users/7") == 200);
    BOOST_TEST(status_of("POST", "/api/v1/notes") == 201);
    BOOST_TEST(status_of("POST", "/api/v1/notes") == 201);
    const test::RawResponse notes = test::exchange(port, test::get("/api/v1/notes"));
    BOOST_TEST(notes.status == 200);
    BOOST_TEST(notes.header("X-Route") == "/api/v1/notes");
    // The router's own answers: no route.
    BOOST_TEST(status_of("GET", "/nothing") == 404);
    BOOST_TEST(status_of("GET", "/users/1/2") == 404);
    BOOST_TEST(status_of("DELETE", "/users/1") == 405);
    BOOST_TEST(status_of("OPTIONS", "/users/1") == 204);
    BOOST_TEST(status_of("GET", "/users/1/") == 308);
    BOOST_TEST(status_of("BREW", "/users/1") == 501);
    const test::RawResponse none = test::exchange(port, test::get("/api/v1/nothing"));
    BOOST_TEST(none.status == 404);
    BOOST_TEST(none.header("X-Route") == "none");
    BOOST_TEST(status_of("GET", "/odd") == 200);

    const std::string scraped = routed.server.server().metrics();
    BOOST_TEST_MESSAGE(scraped);
    const std::vector<std::pair<std::string, long long>> expected = {
        {route_series("/users/{id}", "GET", "2xx"), 3},
        {route_series("/users/{id}", "GET", "4xx"), 1},
        {route_series("/users/{id}", "HEAD", "2xx"), 1},
        {route_series("/api/v1/notes", "POST", "2xx"), 2},
        {route_series("/api/v1/notes", "GET", "2xx"), 1},
        {route_series("", "GET", "4xx"), 3},
        {route_series("", "DELETE", "4xx"), 1},
        {route_series("", "OPTIONS", "2xx"), 1},
        {route_series("", "GET", "3xx"), 1},
        {route_series("", "other", "5xx"), 1},
        // Escaped as the text format says: backslash, double quote, line feed.
        {route_series("/a\\\"b\\\\c\\nd", "GET", "2xx"), 1},
    };
    for (const auto& [name, count] : expected)
        BOOST_TEST(value_of(scraped, name) == count, name);
    // Those and no other: a series is written once counted.
    BOOST_TEST(series(scraped, "httpkit_route_requests_total").size() == expected.size());
    BOOST_TEST(!contains(scraped, "route=\"/odd\""));
    BOOST_TEST(!contains(scraped, "/users/1"));
    BOOST_TEST(!contains(scraped, "/nothing"));
    BOOST_TEST(!contains(scraped, "BREW"));

    // Durations: a sum and a count per route, the count its responses.
    BOOST_TEST(contains(scraped, "# TYPE httpkit_route_request_duration_seconds summary\n"));
    BOOST_TEST(value_of(scraped, "httpkit_route_request_duration_seconds_count{route=\"/users/{id}\"}") == 5);
    BOOST_TEST(value_of(scraped, "httpkit_route_request_duration_seconds_count{route=\"/api/v1/notes\"}") == 3);
    BOOST_TEST(value_of(scraped, "httpkit_route_request_duration_seconds_count{route=\"\"}") == 7);
    BOOST_TEST(series(scraped, "httpkit_route_request_duration_seconds").size() == 8u);
    const std::string sum = "\nhttpkit_route_request_duration_seconds_sum{route=\"/users/{id}\"} ";
    BOOST_REQUIRE(contains(scraped, sum));
    const double seconds = std::stod(scraped.substr(scraped.find(sum) + sum.size()));
    BOOST_TEST((seconds > 0 && seconds < 60), seconds);
    // The routes' counts add up to the method's.
    BOOST_TEST(value_of(scraped, "httpkit_requests_total{method=\"GET\",status_class=\"2xx\"}") == 5);
}

BOOST_AUTO_TEST_CASE(random_methods_and_paths_add_no_series) {
    RoutedServer routed;
    test::RawConnection connection(routed.server.port());
    std::mt19937 random(28);
    auto pick = [&](std::string_view from) {
        return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random)];
    };
    auto length = [&](std::size_t low, std::size_t high) {
        return std::uniform_int_distribution<std::size_t>(low, high)(random);
    };
    // A method is a token: none of these is in the HTTP Method Registry (each has a '!').
    constexpr std::string_view tchar = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    constexpr std::string_view pchar = "abcdefghijklmnopqrstuvwxyz0123456789-_~%/";
    std::set<std::string> methods_sent;
    auto hostile = [&](int methods, int paths) {
        for (int i = 0; i < methods; ++i) {
            std::string method = "!";
            for (std::size_t n = length(1, 15); n > 0; --n)
                method += pick(tchar);
            methods_sent.insert(method);
            BOOST_REQUIRE(connection.send(method + " /users/1 HTTP/1.1\r\nHost: test\r\n\r\n"));
            const test::RawResponse response = connection.read_response();
            BOOST_REQUIRE_EQUAL(response.status, 501);
        }
        for (int i = 0; i < paths; ++i) {
            std::string path = "/p";
            for (std::size_t n = length(1, 40); n > 0; --n) {
                const char c = pick(pchar);
                path += c == '%' ? std::string("%25") : std::string(1, c);
            }
            BOOST_REQUIRE(connection.send(test::get(path)));
            const test::RawResponse response = connection.read_response();
            BOOST_REQUIRE_EQUAL(response.status, 404);
        }
    };
    BOOST_TEST(test::exchange(routed.server.port(), test::get("/users/1")).status == 200);
    const std::string first = routed.server.server().metrics();
    BOOST_TEST(series(first, "httpkit_route_").size() == 3u);  // the route's count, its duration's sum and count

    hostile(100, 100);  // every kind of series the run below may add, once
    const std::string before = routed.server.server().metrics();
    hostile(5000, 5000);
    const std::string after = routed.server.server().metrics();
    BOOST_TEST_MESSAGE("series: " << series(first).size() << " first, " << series(before).size()
                                  << " after 200 hostile requests, " << series(after).size()
                                  << " after 10,000 more; route series: " << series(before, "httpkit_route_").size()
                                  << ", then " << series(after, "httpkit_route_").size());

    // The same series, every one of them, only their values grown.
    BOOST_TEST(series(after) == series(before), after);
    BOOST_TEST(series(after, "httpkit_route_").size() == series(before, "httpkit_route_").size());
    BOOST_TEST(series(after, "httpkit_route_").size() <= 8u);
    const std::string other = route_series("", "other", "5xx");
    BOOST_TEST(value_of(after, other) - value_of(before, other) == 5000);
    BOOST_TEST(value_of(after, route_series("/users/{id}", "GET", "2xx")) == 1);
    BOOST_TEST(value_of(after, route_series("", "GET", "4xx")) == 5100);
    // No method or path a client sent appears in a label.
    BOOST_TEST(methods_sent.size() > 4000u);
    std::size_t found = 0;
    for (const std::string& method : methods_sent)
        found += contains(after, "method=\"" + method + "\"");
    BOOST_TEST(found == 0u);
    BOOST_TEST(!contains(after, "route=\"/p"));
}

BOOST_AUTO_TEST_SUITE_END()
