// http::url_encode, url_decode, query_string and parse_query: RFC 3986's percent-encoding and
// form-urlencoded query strings, round trips, and the same reading of a query as req.queries.
#include <http/testing.hpp>
#include <http/url.hpp>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(url)

BOOST_AUTO_TEST_CASE(percent_encoding_keeps_only_the_unreserved_bytes) {
    BOOST_TEST(http::url_encode("AZaz09-._~") == "AZaz09-._~");
    BOOST_TEST(http::url_encode("a b/c?d=e&f+g%") == "a%20b%2Fc%3Fd%3De%26f%2Bg%25");
    BOOST_TEST(http::url_encode("café") == "caf%C3%A9");
    BOOST_TEST(http::url_encode(std::string("\0\xff", 2)) == "%00%FF");
    BOOST_TEST(http::url_decode("caf%C3%A9%2f%2F") == "café//");
    BOOST_TEST(http::url_decode("a+b") == "a+b");          // '+' is a space only in a query
    BOOST_TEST(http::url_decode("100%") == "100%");        // not an escape: kept
    BOOST_TEST(http::url_decode("%zz%4") == "%zz%4");
    const std::string every_byte = [] {
        std::string s;
        for (int i = 0; i < 256; ++i)
            s += static_cast<char>(i);
        return s;
    }();
    BOOST_TEST(http::url_decode(http::url_encode(every_byte)) == every_byte);
}

BOOST_AUTO_TEST_CASE(query_strings_round_trip_and_read_as_the_server_reads_them) {
    const http::Fields fields = {{"q", "café & co"}, {"page", "2"}, {"a+b", "1+1=2"}, {"empty", ""}};
    const std::string query = http::query_string(fields);
    BOOST_TEST(query == "a%2Bb=1%2B1%3D2&empty=&page=2&q=caf%C3%A9+%26+co");
    BOOST_TEST((http::parse_query(query) == fields));
    BOOST_TEST((http::parse_query("?" + query) == fields));
    BOOST_TEST(http::query_string({}).empty());
    const http::Fields read = http::parse_query("x=1&x=2&flag&&=v&y=%E2%82%AC+sign");
    BOOST_TEST(read.at("x") == "2");  // a repeated name keeps its last value
    BOOST_TEST(read.at("flag").empty());
    BOOST_TEST(read.at("") == "v");
    BOOST_TEST(read.at("y") == "€ sign");
    // The server fills req.queries the same way.
    http::Fields seen;
    http::TestClient test([&seen](http::Request& req, http::Response&) { seen = req.queries; });
    test.get("/search?" + query);
    BOOST_TEST((seen == fields));
}

BOOST_AUTO_TEST_SUITE_END()
