#include "proto/cookies/cookies.hpp"

#include <http/cookie.hpp>

#include <boost/test/unit_test.hpp>

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

BOOST_AUTO_TEST_CASE(cookie_header_reusing_nodes) {
    // A connection's next request takes the nodes of the one before: the same map comes out,
    // whatever the nodes held, and the nodes a repeated name does not use go back.
    const std::string_view header = " a=1;b=2 ;  c=\"three\" ; broken ; =nameless; a=4; e=";
    http::Fields expected;
    http::detail::parse_cookie_header(header, expected);
    for (std::size_t spares = 0; spares < 8; ++spares) {
        http::Fields before;
        for (std::size_t i = 0; i < spares; ++i)
            before.emplace("old-cookie-with-a-long-name-" + std::to_string(i), std::string(40, 'v'));
        std::vector<http::Fields::node_type> spare;
        while (!before.empty())
            spare.push_back(before.extract(before.begin()));
        http::Fields c;
        http::detail::parse_cookie_header(header, c, spare);
        BOOST_TEST((c == expected));
        // Four distinct names take four nodes; the node the repeated "a" took goes back.
        BOOST_TEST(spare.size() == (spares >= 4 ? spares - 4 : 0));
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
