// HTTP-dates (RFC 9110, Section 5.6.7): the preferred form written, all three forms read.
#include <http/date.hpp>

#include "proto/message/http_date.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::chrono;

namespace {

const system_clock::time_point sunday = system_clock::from_time_t(784111777);  // 1994-11-06 08:49:37

}  // namespace

BOOST_AUTO_TEST_SUITE(http_dates)

BOOST_AUTO_TEST_CASE(formatted_as_imf_fixdate) {
    BOOST_TEST(http::format_http_date(sunday) == "Sun, 06 Nov 1994 08:49:37 GMT");
    BOOST_TEST(http::format_http_date(system_clock::from_time_t(0)) == "Thu, 01 Jan 1970 00:00:00 GMT");
    BOOST_TEST(http::format_http_date(sunday + milliseconds(999)) == "Sun, 06 Nov 1994 08:49:37 GMT");
    BOOST_TEST(http::detail::current_http_date().size() == 29u);
}

BOOST_AUTO_TEST_CASE(the_three_forms_read) {
    for (const char* text : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"}) {
        BOOST_TEST_CONTEXT(text) {
            const auto parsed = http::parse_http_date(text);
            BOOST_REQUIRE(parsed.has_value());
            BOOST_TEST((*parsed == sunday));
        }
    }
    const auto two_digit_day = http::parse_http_date("Sun Nov 16 08:49:37 1994");
    BOOST_REQUIRE(two_digit_day.has_value());
    BOOST_TEST((*two_digit_day == sunday + days(10)));
}

BOOST_AUTO_TEST_CASE(round_trip) {
    const auto now = floor<seconds>(system_clock::now());
    const auto parsed = http::parse_http_date(http::format_http_date(now));
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST((*parsed == now));
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused) {
    for (const char* text : {"", "30", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
                             "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                             "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ", "Sunday, 06-Nov-1994 08:49:37 GMT",
                             "Sun Nov 6 08:49:37 1994", "2026-11-23T10:00:00Z"}) {
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(!http::parse_http_date(text).has_value());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
