#include "proto/url/percent.hpp"

#include <boost/test/unit_test.hpp>

using namespace http::detail;

BOOST_AUTO_TEST_SUITE(percent)

BOOST_AUTO_TEST_CASE(decode) {
    BOOST_TEST(percent_decode("a%20b%2Fc") == "a b/c");
    BOOST_TEST(percent_decode("a+b") == "a+b");
    BOOST_TEST(percent_decode("a+b", true) == "a b");
    BOOST_TEST(percent_decode("%e2%82%AC") == "\xe2\x82\xac");
    BOOST_TEST(percent_decode("100%") == "100%");  // malformed escapes stay
    BOOST_TEST(percent_decode("%G1%1") == "%G1%1");
    BOOST_TEST(percent_decode("%00") == std::string(1, '\0'));
}

BOOST_AUTO_TEST_CASE(encode) {
    BOOST_TEST(percent_encode("a b/c~d") == "a%20b%2Fc~d");
    BOOST_TEST(percent_encode("a b/c", "/") == "a%20b/c");
    BOOST_TEST(percent_encode("\xe2\x82\xac") == "%E2%82%AC");
    BOOST_TEST(percent_decode(percent_encode("any \x01 bytes\xff")) == "any \x01 bytes\xff");
}

BOOST_AUTO_TEST_CASE(urlencoded) {
    http::Fields f;
    parse_urlencoded("a=1&&b=&c&a=2&d=x%3Dy+z&=anon", f);
    BOOST_TEST(f.at("a") == "2");
    BOOST_TEST(f.at("b") == "");
    BOOST_TEST(f.at("c") == "");
    BOOST_TEST(f.at("d") == "x=y z");
    BOOST_TEST(f.at("") == "anon");
    BOOST_TEST(f.size() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
