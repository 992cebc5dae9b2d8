// HTTP-date (RFC 9110, Section 5.6.7): Date, Last-Modified, Expires, Retry-After, cookies' Expires.
// Header-only: the generated failure classes read Retry-After with it.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace http {

/// "Sun, 06 Nov 1994 08:49:37 GMT", the preferred IMF-fixdate form.
inline std::string format_http_date(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    static constexpr std::string_view days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const sys_days midnight = floor<std::chrono::days>(time);
    const year_month_day date(midnight);
    const hh_mm_ss clock(floor<seconds>(time - midnight));
    auto two = [](unsigned n) { return std::string{static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)}; };
    const int y = static_cast<int>(date.year());
    std::string out;
    out.reserve(29);
    out.append(days[weekday(midnight).c_encoding()]).append(", ").append(two(static_cast<unsigned>(date.day()))).append(" ");
    out.append(months[static_cast<unsigned>(date.month()) - 1]).append(" ");
    out.append(std::to_string(y)).append(" ");
    out.append(two(static_cast<unsigned>(clock.hours().count()))).append(":");
    out.append(two(static_cast<unsigned>(clock.minutes().count()))).append(":");
    out.append(two(static_cast<unsigned>(clock.seconds().count()))).append(" GMT");
    return out;
}

/// Parses an HTTP-date in any of its three forms, as recipients must (RFC 9110, Section 5.6.7):
/// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850 "Sunday, 06-Nov-94
/// 08:49:37 GMT" (a two-digit year 50 years or more ahead is taken as the past century) and
/// asctime "Sun Nov  6 08:49:37 1994". nullopt for anything else, or an impossible date.
inline std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
    using namespace std::chrono;
    static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
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
        for (std::size_t m = 0; m < months.size(); ++m)
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
            const int now = static_cast<int>(year_month_day(floor<days>(system_clock::now())).year());
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
    const year_month_day date{year(y), month(static_cast<unsigned>(mon)), day(static_cast<unsigned>(d))};
    if (!date.ok())
        return std::nullopt;
    return sys_days(date) + hours(h) + minutes(m) + seconds(s);
}

}  // namespace http
