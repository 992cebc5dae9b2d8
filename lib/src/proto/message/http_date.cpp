#include "proto/message/http_date.hpp"

#include <http/date.hpp>

#include <ctime>

namespace http::detail {

const std::string& current_http_date() {
    thread_local std::time_t formatted_at = -1;
    thread_local std::string date;
    const std::time_t now = std::time(nullptr);
    if (now != formatted_at) {
        date = format_http_date(std::chrono::system_clock::from_time_t(now));
        formatted_at = now;
    }
    return date;
}

}  // namespace http::detail
