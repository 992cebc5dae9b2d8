#include "proto/message/http_date.hpp"

#include <cstdio>

namespace http::detail {

std::string format_http_date(std::time_t time) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&time, &tm);
    char buffer[32];
    const int n = std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                                tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

const std::string& current_http_date() {
    thread_local std::time_t formatted_at = -1;
    thread_local std::string date;
    const std::time_t now = std::time(nullptr);
    if (now != formatted_at) {
        date = format_http_date(now);
        formatted_at = now;
    }
    return date;
}

}  // namespace http::detail
