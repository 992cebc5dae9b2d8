// HTTP-date in the preferred IMF-fixdate form (RFC 9110, Section 5.6.7).
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace http::detail {

/// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string format_http_date(std::time_t time);
inline std::string format_http_date(std::chrono::system_clock::time_point time) {
    return format_http_date(std::chrono::system_clock::to_time_t(time));
}

/// The current time as an HTTP-date, formatted once per second per thread.
const std::string& current_http_date();

}  // namespace http::detail
