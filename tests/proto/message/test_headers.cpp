#include <http/headers.hpp>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(headers)

BOOST_AUTO_TEST_CASE(case_insensitive_and_ordered) {
    http::Headers h{{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}};
    h.add("set-cookie", "b=2");
    h["X-New"] = "x";
    h["content-type"] = "application/json";  // the existing field, whatever its case
    BOOST_TEST(h.size() == 4u);
    BOOST_TEST(h.get("CONTENT-TYPE") == "application/json");
    BOOST_TEST(h.find("content-type")->first == "Content-Type");  // the name keeps its spelling
    BOOST_TEST(h.count("Set-Cookie") == 2u);
    const auto all = h.get_all("SET-COOKIE");
    BOOST_TEST((all == std::vector<std::string_view>{"a=1", "b=2"}));
    BOOST_TEST(h.get("Missing", "fallback") == "fallback");
    BOOST_TEST(!h.contains("Missing"));

    h.set("Set-Cookie", "only");
    BOOST_TEST(h.count("set-cookie") == 1u);
    BOOST_TEST(h.get("set-cookie") == "only");
    BOOST_TEST(h.erase("x-new") == 1u);
    std::string order;
    for (const auto& [name, value] : h)
        order += name + ";";
    BOOST_TEST(order == "Content-Type;Set-Cookie;");
}

BOOST_AUTO_TEST_CASE(iequals) {
    BOOST_TEST(http::iequals("Content-Length", "content-LENGTH"));
    BOOST_TEST(!http::iequals("Content-Length", "Content-Lengt"));
    BOOST_TEST(!http::iequals("a", "\xc1"));  // no case folding beyond ASCII
    // Every pair of bytes: equal ignoring case exactly when equal, or the two cases of a letter.
    for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
            auto lower = [](int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
            const char a[] = {'k', static_cast<char>(x), '-'};
            const char b[] = {'K', static_cast<char>(y), '-'};
            const bool expected = lower(x) == lower(y);
            if (http::iequals(std::string_view(a, 3), std::string_view(b, 3)) != expected)
                BOOST_ERROR("iequals is wrong for bytes " << x << " and " << y);
        }
    }
    static_assert(http::iequals("Host", "hOST") && !http::iequals("@", "`") && !http::iequals("[", "{"));
}

BOOST_AUTO_TEST_SUITE_END()
