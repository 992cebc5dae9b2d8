#include "proto/cookies/cookies.hpp"

#include <http/cookie.hpp>

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(cookies)

BOOST_AUTO_TEST_CASE(cookie_header) {
    http::Fields c;
    http::detail::parse_cookie_header(" a=1;b=2 ;  c=\"three\" ; broken ; =nameless; a=4; e=", c);
    BOOST_TEST(c.at("a") == "1");
    BOOST_TEST(c.at("b") == "2");
    BOOST_TEST(c.at("c") == "three");
    BOOST_TEST(c.at("e") == "");
    BOOST_TEST(c.size() == 4u);
}

BOOST_AUTO_TEST_CASE(cookies_replaced_in_the_map_of_the_request_before) {
    // A connection's requests, one after the other in one map, each with its Cookie fields: each
    // comes out as parse_cookie_header() makes it of an empty map, whatever the map held.
    std::vector<std::vector<std::string>> requests = {
        {" a=1;b=2 ;  c=\"three\" ; broken ; =nameless; a=4; e="},
        {" a=1;b=2 ;  c=\"three\" ; broken ; =nameless; a=4; e="},  // the same again
        {"a=5; b=2; c=three"},                                         // a value changed, a name gone
        {"z=1; a=1", "a=2; y=3"},                                      // two fields: the first a stays
        {},
        {"m=1"},
        {"m=1; m=2; m=3"},
        {"b=1; a=1; c=1; a=2; b=2"},
        {"x="},
        {";;;", "=1"},
        {"long-name-for-a-cookie-that-is-not-short=" + std::string(40, 'v') + "; a=1"},
    };
    std::mt19937 random(30);
    const std::vector<std::string> names = {"a", "b", "c", "sid", "__utma", "__utmz", "wp_ozh_wsa_visit_lasttime", "Z", "a1"};
    for (int n = 0; n < 300; ++n) {
        std::vector<std::string> fields(random() % 3);
        for (std::string& field : fields)
            for (std::size_t pairs = random() % 6; pairs > 0; --pairs)
                field += names[random() % names.size()] + "=" + std::to_string(random() % 3) + (random() % 2 ? "; " : ";");
        requests.push_back(fields);
    }
    http::Fields reused;
    std::vector<http::Fields::node_type> spare;
    for (std::size_t n = 0; n < requests.size(); ++n) {
        BOOST_TEST_CONTEXT("request " << n) {
            const std::string* a_before = reused.contains("a") ? &reused.at("a") : nullptr;
            std::vector<http::detail::CookiePair> pairs;
            http::Fields expected;
            for (const std::string& field : requests[n]) {
                http::detail::collect_cookies(field, pairs);
                http::detail::parse_cookie_header(field, expected);
            }
            http::detail::replace_cookies(pairs, reused, spare);
            BOOST_TEST((reused == expected));
            if (a_before && reused.contains("a"))
                BOOST_TEST(&reused.at("a") == a_before);  // a name that stays keeps its node
            if (n % 3 == 0)
                spare.clear();  // new names in new nodes, as well as in spare ones
        }
    }
}

BOOST_AUTO_TEST_CASE(set_cookie_lines) {
    using C = http::Cookie;
    auto line = [](const C& c) { return c.to_set_cookie(); };
    BOOST_TEST(line(C{.name = "a", .value = "1"}) == "a=1");
    C full{.name = "sid", .value = "x9", .domain = "example.com", .path = "/app",
           .max_age = 3600s, .secure = true, .http_only = true, .same_site = "Lax"};
    full.expires_at = std::chrono::system_clock::from_time_t(1793000000);
    BOOST_TEST(line(full) ==
               "sid=x9; Domain=example.com; Path=/app; Expires=Mon, 26 Oct 2026 07:33:20 GMT; Max-Age=3600; Secure; "
               "HttpOnly; SameSite=Lax");
    // SameSite=None requires Secure; __Secure- and __Host- prefixes force what browsers demand.
    const std::string none = line(C{.name = "n", .value = "v", .same_site = "None"});
    BOOST_TEST(none == "n=v; Secure; SameSite=None");
    BOOST_TEST(line(C{.name = "__Secure-t", .value = "v"}) == "__Secure-t=v; Secure");
    BOOST_TEST(line(C{.name = "__Host-t", .value = "v"}) == "__Host-t=v; Path=/; Secure");
    BOOST_TEST(line(C{.name = "q", .value = "\"quoted\""}) == "q=\"quoted\"");
}

BOOST_AUTO_TEST_CASE(invalid_cookies) {
    using C = http::Cookie;
    const C bad[] = {
        C{.name = "bad name"},
        C{.name = ""},
        C{.name = "a", .value = "semi;colon"},
        C{.name = "a", .value = "sp ace"},
        C{.name = "a", .value = "1", .path = "/x;Domain=evil"},
        C{.name = "a", .value = "1", .domain = "x\r\nInjected: 1"},
        C{.name = "a", .value = "1", .same_site = "lax"},
        C{.name = "__Host-a", .value = "1", .domain = "example.com"},
        C{.name = "__Host-a", .value = "1", .path = "/sub"},
    };
    for (const C& cookie : bad) {
        BOOST_TEST_CONTEXT(cookie.name << "=" << cookie.value) {
            BOOST_CHECK_THROW(cookie.to_set_cookie(), std::invalid_argument);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
