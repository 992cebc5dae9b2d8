// http::Headers takes an http::Field wherever it takes a name.
#include <http/headers.hpp>

#include <http/fields.hpp>
#include <http/http.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

BOOST_AUTO_TEST_SUITE(headers_by_field)

BOOST_AUTO_TEST_CASE(every_member_takes_a_field) {
    http::Headers h;
    h[http::Field::CONTENT_TYPE] = "text/plain";
    BOOST_TEST(h.get("content-type") == "text/plain");
    BOOST_TEST(h.begin()->first == "Content-Type");  // the registry's spelling
    h.add(http::Field::SET_COOKIE, "a=1");
    h.add(http::Field::SET_COOKIE, "b=2");
    BOOST_TEST(h.count(http::Field::SET_COOKIE) == 2u);
    BOOST_TEST((h.get_all(http::Field::SET_COOKIE) == std::vector<std::string_view>{"a=1", "b=2"}));
    BOOST_TEST(h.contains(http::Field::SET_COOKIE));
    BOOST_TEST(!h.contains(http::Field::ETAG));
    BOOST_TEST(h.get(http::Field::ETAG, "none") == "none");
    h.set(http::Field::SET_COOKIE, "c=3");
    BOOST_TEST(h.count("set-cookie") == 1u);
    BOOST_TEST(h.find(http::Field::SET_COOKIE)->second == "c=3");
    const http::Headers& view = h;
    BOOST_TEST(view.find(http::Field::CONTENT_TYPE)->second == "text/plain");
    BOOST_TEST(h.erase(http::Field::SET_COOKIE) == 1u);
    BOOST_TEST(h.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_field_and_its_name_are_the_same_field) {
    http::Headers h{{"www-authenticate", "Basic realm=\"x\""}};
    BOOST_TEST(h.get(http::Field::WWW_AUTHENTICATE) == "Basic realm=\"x\"");
    h[http::Field::WWW_AUTHENTICATE] = "Bearer";
    BOOST_TEST(h.size() == 1u);
    BOOST_TEST(h.get("WWW-Authenticate") == "Bearer");
}

BOOST_AUTO_TEST_CASE(a_response_by_field) {
    http::Response res;
    res.headers[http::Field::CONTENT_TYPE] = "application/json";
    BOOST_TEST(res.headers.get("Content-Type") == "application/json");
}

BOOST_AUTO_TEST_SUITE_END()
