#include "proto/url/url.hpp"

#include <boost/test/unit_test.hpp>

using namespace http::detail;

namespace {

Url parse(std::string_view text) {
    std::string error;
    auto url = parse_url(text, error);
    BOOST_REQUIRE_MESSAGE(url, "parse_url(" << text << "): " << error);
    return *url;
}

std::string error_of(std::string_view text) {
    std::string error;
    BOOST_TEST(!parse_url(text, error).has_value());
    return error;
}

std::string resolve(std::string_view base, std::string_view reference) {
    std::string error;
    auto url = resolve_url(parse(base), reference, error);
    return url ? url->str() : "error: " + error;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(url)

BOOST_AUTO_TEST_CASE(parts_and_defaults) {
    const Url u = parse("HTTPS://User:p%40ss@Example.COM:8443/a/b?x=1#frag");
    BOOST_TEST(u.scheme == "https");
    BOOST_TEST(u.userinfo == "User:p%40ss");
    BOOST_TEST(u.host == "example.com");
    BOOST_TEST(u.port == 8443);
    BOOST_TEST(u.target == "/a/b?x=1");
    BOOST_TEST(u.authority() == "example.com:8443");
    BOOST_TEST(u.str() == "https://example.com:8443/a/b?x=1");
    BOOST_TEST(parse("http://h").target == "/");
    BOOST_TEST(parse("http://h?q").target == "/?q");
    BOOST_TEST(parse("http://h:80/").authority() == "h");
    BOOST_TEST(parse("https://h/").port == 443);
    const Url v6 = parse("http://[::1]:8080/p");
    BOOST_TEST(v6.host == "::1");
    BOOST_TEST(v6.is_ipv6());
    BOOST_TEST(v6.authority() == "[::1]:8080");
}

BOOST_AUTO_TEST_CASE(encoding) {
    BOOST_TEST(parse("http://h/a b/\xc3\xbc?q=a b&r=<>\"").target == "/a%20b/%C3%BC?q=a%20b&r=%3C%3E%22");
    BOOST_TEST(parse("http://h/%41%zz%").target == "/%41%25zz%25");  // escapes kept, stray % encoded
    BOOST_TEST(parse("http://h/a'b(c)*!$,;=:@").target == "/a'b(c)*!$,;=:@");
}

BOOST_AUTO_TEST_CASE(refusals) {
    BOOST_TEST(error_of("ftp://h/") == "unsupported scheme 'ftp'");
    BOOST_TEST(error_of("h/path") == "not an absolute http or https URL");
    BOOST_TEST(error_of("http:///path") == "the URL has no host");
    BOOST_TEST(error_of("http://h:0/") == "invalid port '0'");
    BOOST_TEST(error_of("http://h:65536/") == "invalid port '65536'");
    BOOST_TEST(error_of("http://h:8x/") == "invalid port '8x'");
    BOOST_TEST(error_of("http://[::1/") == "an IPv6 address without its closing ']'");
    BOOST_TEST(error_of("http://h\r\nX: y/") == "the URL contains a control character");
    BOOST_TEST(error_of("http://b\xc3\xbc" "cher.de/") == "a non-ASCII host name needs its IDNA (punycode) form");
    BOOST_TEST(error_of("http://a b/") == "invalid character in host 'a b'");
}

BOOST_AUTO_TEST_CASE(resolving_references) {
    // RFC 3986, Section 5.4.1, the examples an HTTP Location can take.
    const char* base = "http://a/b/c/d;p?q";
    BOOST_TEST(resolve(base, "g") == "http://a/b/c/g");
    BOOST_TEST(resolve(base, "./g") == "http://a/b/c/g");
    BOOST_TEST(resolve(base, "g/") == "http://a/b/c/g/");
    BOOST_TEST(resolve(base, "/g") == "http://a/g");
    BOOST_TEST(resolve(base, "//g") == "http://g/");
    BOOST_TEST(resolve(base, "?y") == "http://a/b/c/d;p?y");
    BOOST_TEST(resolve(base, "g?y") == "http://a/b/c/g?y");
    BOOST_TEST(resolve(base, "#s") == "http://a/b/c/d;p?q");
    BOOST_TEST(resolve(base, "..") == "http://a/b/");
    BOOST_TEST(resolve(base, "../g") == "http://a/b/g");
    BOOST_TEST(resolve(base, "../../g") == "http://a/g");
    BOOST_TEST(resolve(base, "../../../g") == "http://a/g");
    BOOST_TEST(resolve(base, "/./g") == "http://a/g");
    BOOST_TEST(resolve(base, "g;x=1/../y") == "http://a/b/c/y");
    BOOST_TEST(resolve(base, "https://other:8443/x") == "https://other:8443/x");
    BOOST_TEST(resolve("https://a/b", "//c/d") == "https://c/d");
    BOOST_TEST(resolve(base, "/with space") == "http://a/with%20space");
}

BOOST_AUTO_TEST_SUITE_END()
