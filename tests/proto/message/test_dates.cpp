// HTTP-dates (RFC 9110, Section 5.6.7): the preferred form written, all three forms read.
#include <http/date.hpp>

#include "proto/message/http_date.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>  // year_month_day and weekday, to check the header's own calendar against

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

// <http/date.hpp> computes the calendar from a count of days, without <chrono>'s calendar types:
// every day of two 400-year cycles around 1970 and of the years 9999-10000, against year_month_day.
BOOST_AUTO_TEST_CASE(the_calendar_is_chronos) {
    static constexpr const char* names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    std::size_t checked = 0;
    auto check = [&](long long day_count) {
        const year_month_day expected{sys_days{days{day_count}}};
        const http::detail::CivilDate got = http::detail::civil_from_days(day_count);
        const bool same = got.year == static_cast<int>(expected.year()) &&
                          got.month == static_cast<unsigned>(expected.month()) && got.day == static_cast<unsigned>(expected.day());
        if (!same)
            BOOST_TEST_REQUIRE(same, "day " << day_count << ": " << got.year << '-' << got.month << '-' << got.day);
        if (http::detail::days_from_civil(got.year, got.month, got.day) != day_count)
            BOOST_TEST_REQUIRE(false, "day " << day_count << " does not come back");
        ++checked;
    };
    for (long long day_count = -146097 * 2; day_count <= 146097 * 2; ++day_count)
        check(day_count);
    const long long year_9999 = sys_days{year{9999} / 1 / 1}.time_since_epoch().count();
    for (long long day_count = year_9999; day_count < year_9999 + 731; ++day_count)
        check(day_count);
    BOOST_TEST(checked == 146097u * 4 + 1 + 731);

    // The weekday and the time of day, before and after 1970, each hour of a few days.
    for (const sys_days day : {sys_days{year{1969} / 12 / 27}, sys_days{year{1969} / 12 / 31}, sys_days{year{1970} / 1 / 1},
                               sys_days{year{1900} / 3 / 1}, sys_days{year{2000} / 2 / 29}, sys_days{year{2038} / 1 / 19}}) {
        for (int hour = 0; hour < 24; ++hour) {
            const auto time = day + hours(hour) + minutes(hour * 2) + seconds(59 - hour);
            const std::string text = http::format_http_date(time);
            BOOST_TEST_CONTEXT(text) {
                BOOST_TEST(text.substr(0, 3) == names[weekday(day).c_encoding()]);
                const auto parsed = http::parse_http_date(text);
                BOOST_REQUIRE(parsed.has_value());
                BOOST_TEST((*parsed == time));
            }
        }
    }
    BOOST_TEST(http::format_http_date(system_clock::from_time_t(-1)) == "Wed, 31 Dec 1969 23:59:59 GMT");
}

// The clock holds 1677-09-21 to 2262-04-11 (nanoseconds in 64 bits): a date outside is its
// nearest end, not a signed overflow (under UBSan, an error) that lands somewhere in between.
BOOST_AUTO_TEST_CASE(a_date_past_the_clock_is_its_end) {
    const auto late = http::parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT");
    BOOST_REQUIRE(late.has_value());
    BOOST_TEST((*late == system_clock::time_point::max()));
    const auto early = http::parse_http_date("Sat, 01 Jan 1000 00:00:00 GMT");
    BOOST_REQUIRE(early.has_value());
    BOOST_TEST((*early == system_clock::time_point::min()));
    const auto last = http::parse_http_date("Fri, 11 Apr 2262 23:47:16 GMT");  // the last whole second
    BOOST_REQUIRE(last.has_value());
    BOOST_TEST((*last < system_clock::time_point::max()));
    BOOST_TEST((*last > system_clock::time_point::max() - seconds(1)));
    const auto past = http::parse_http_date("Fri, 11 Apr 2262 23:47:17 GMT");
    BOOST_REQUIRE(past.has_value());
    BOOST_TEST((*past == system_clock::time_point::max()));
}

BOOST_AUTO_TEST_CASE(leap_days_only_in_leap_years) {
    BOOST_TEST(http::parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT").has_value());
    BOOST_TEST(http::parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT").has_value());
    BOOST_TEST(!http::parse_http_date("Thu, 29 Feb 1900 00:00:00 GMT").has_value());
    BOOST_TEST(!http::parse_http_date("Mon, 29 Feb 2100 00:00:00 GMT").has_value());
    BOOST_TEST(!http::parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT").has_value());
    BOOST_TEST(!http::parse_http_date("Sat, 31 Apr 2023 00:00:00 GMT").has_value());
    BOOST_TEST(!http::parse_http_date("Sat, 00 Apr 2023 00:00:00 GMT").has_value());
    BOOST_TEST(http::parse_http_date("Sun, 30 Apr 2023 00:00:00 GMT").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
