// HTTP-date (RFC 9110, Section 5.6.7): Date, Last-Modified, Expires, Retry-After, cookies' Expires.
// Header-only: the generated failure classes read Retry-After with it. The calendar is the
// proleptic Gregorian one of std::chrono's year_month_day, computed here from a day count
// (tests/proto/message/test_dates.cpp checks it against year_month_day): C++20's <chrono> brings
// its calendar, time zones and formatting with <sstream>, and <http/detail/chrono.hpp> only the
// clocks and durations.
#pragma once

#include <http/detail/chrono.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace http {

namespace detail {

/// A date of the proleptic Gregorian calendar; month 1-12, day 1-31.
struct CivilDate {
    long long year;
    unsigned month;
    unsigned day;
};

/// Days since 1970-01-01 of a date (negative before it).
constexpr long long days_from_civil(long long year, unsigned month, unsigned day) noexcept {
    year -= month <= 2;  // the computed year starts in March: a leap day ends it
    const long long era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);                      // 0-399
    const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // 0-365
    const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<long long>(day_of_era) - 719468;
}

/// The date of a count of days since 1970-01-01.
constexpr CivilDate civil_from_days(long long days) noexcept {
    days += 719468;  // from 0000-03-01
    const long long era = (days >= 0 ? days : days - 146096) / 146097;
    const auto day_of_era = static_cast<unsigned>(days - era * 146097);  // 0-146096
    const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const unsigned month_from_march = (5 * day_of_year + 2) / 153;  // 0-11
    const unsigned day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    const unsigned month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    return {static_cast<long long>(year_of_era) + era * 400 + (month <= 2), month, day};
}

constexpr bool is_leap_year(long long year) noexcept {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr unsigned days_in_month(long long year, unsigned month) noexcept {
    constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/// Whole days since 1970-01-01 of a time, rounded down.
inline long long days_since_epoch(std::chrono::system_clock::time_point time) noexcept {
    return std::chrono::floor<std::chrono::duration<long long, std::ratio<86400>>>(time.time_since_epoch()).count();
}

}  // namespace detail

/// "Sun, 06 Nov 1994 08:49:37 GMT", the preferred IMF-fixdate form.
inline std::string format_http_date(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    static constexpr std::string_view days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const long long day_count = detail::days_since_epoch(time);
    const detail::CivilDate date = detail::civil_from_days(day_count);
    const auto second_of_day = static_cast<unsigned>(
        floor<seconds>(time.time_since_epoch()).count() - day_count * 86400);  // 0-86399
    const auto weekday = static_cast<unsigned>(day_count >= -4 ? (day_count + 4) % 7 : (day_count + 5) % 7 + 6);
    auto two = [](unsigned n) { return std::string{static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)}; };
    std::string out;
    out.reserve(29);
    out.append(days[weekday]).append(", ").append(two(date.day)).append(" ");
    out.append(months[date.month - 1]).append(" ");
    out.append(std::to_string(date.year)).append(" ");
    out.append(two(second_of_day / 3600)).append(":");
    out.append(two(second_of_day / 60 % 60)).append(":");
    out.append(two(second_of_day % 60)).append(" GMT");
    return out;
}

/// Parses an HTTP-date in any of its three forms, as recipients must (RFC 9110, Section 5.6.7):
/// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850 "Sunday, 06-Nov-94
/// 08:49:37 GMT" (a two-digit year 50 years or more ahead is taken as the past century) and
/// asctime "Sun Nov  6 08:49:37 1994". nullopt for anything else, or an impossible date.
inline std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
    using namespace std::chrono;
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::size_t i = 0;
    auto read_number = [&](std::size_t digits, int& out) {
        if (i + digits > text.size())
            return false;
        out = 0;
        for (std::size_t k = 0; k < digits; ++k, ++i) {
            if (text[i] < '0' || text[i] > '9')
                return false;
            out = out * 10 + (text[i] - '0');
        }
        return true;
    };
    auto read_literal = [&](std::string_view s) {
        if (text.substr(i, s.size()) != s)
            return false;
        i += s.size();
        return true;
    };
    auto read_month = [&](int& out) {
        for (std::size_t m = 0; m < 12; ++m)
            if (text.substr(i, 3) == months[m]) {
                out = static_cast<int>(m) + 1;
                i += 3;
                return true;
            }
        return false;
    };
    auto time_of_day = [&](int& h, int& m, int& s) {
        return read_number(2, h) && read_literal(":") && read_number(2, m) && read_literal(":") && read_number(2, s);
    };
    int y = 0, mon = 0, d = 0, h = 0, m = 0, s = 0;
    const std::size_t comma = text.find(',');
    bool ok;
    if (comma == 3) {  // IMF-fixdate
        i = 5;
        ok = text.size() == 29 && text[4] == ' ' && read_number(2, d) && read_literal(" ") && read_month(mon) &&
             read_literal(" ") && read_number(4, y) && read_literal(" ") && time_of_day(h, m, s) && read_literal(" GMT");
    } else if (comma != std::string_view::npos) {  // RFC 850
        i = comma + 1;
        ok = read_literal(" ") && read_number(2, d) && read_literal("-") && read_month(mon) && read_literal("-") && read_number(2, y) &&
             read_literal(" ") && time_of_day(h, m, s) && read_literal(" GMT") && i == text.size();
        if (ok) {
            // Two digits: the year within 50 years of now (RFC 9110, Section 5.6.7).
            const auto now = static_cast<int>(detail::civil_from_days(detail::days_since_epoch(system_clock::now())).year);
            y += now / 100 * 100;
            if (y > now + 50)
                y -= 100;
        }
    } else {  // asctime: "Sun Nov  6 08:49:37 1994"
        i = 4;
        ok = text.size() == 24 && text[3] == ' ' && read_month(mon) && read_literal(" ");
        if (ok && text[i] == ' ') {
            ++i;
            ok = read_number(1, d);
        } else if (ok) {
            ok = read_number(2, d);
        }
        ok = ok && read_literal(" ") && time_of_day(h, m, s) && read_literal(" ") && read_number(4, y);
    }
    if (!ok || h > 23 || m > 59 || s > 60)
        return std::nullopt;
    if (d < 1 || static_cast<unsigned>(d) > detail::days_in_month(y, static_cast<unsigned>(mon)))
        return std::nullopt;
    const long long day_count = detail::days_from_civil(y, static_cast<unsigned>(mon), static_cast<unsigned>(d));
    const long long second = day_count * 86400 + h * 3600 + m * 60 + s;
    // The clock counts nanoseconds in 64 bits: 1677-09-21 to 2262-04-11. A date outside that is
    // its nearest end (a cookie's "Expires=Fri, 31 Dec 9999 23:59:59 GMT" is as late as can be).
    constexpr long long latest = duration_cast<seconds>(system_clock::duration::max()).count();
    constexpr long long earliest = duration_cast<seconds>(system_clock::duration::min()).count();
    if (second > latest)
        return system_clock::time_point::max();
    if (second < earliest)
        return system_clock::time_point::min();
    return system_clock::time_point(seconds(second));
}

}  // namespace http
