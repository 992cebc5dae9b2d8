// Access log lines: the combined log format (Apache's and nginx's default) or JSON lines.
#pragma once

#include <http/request.hpp>
#include <http/server.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace http::detail {

/// What one line says of one exchange; `request` is null for a request refused before it was
/// whole (a malformed head, say), which is logged as "-".
struct AccessRecord {
    const Request* request = nullptr;
    std::string_view ip;
    Status status{};
    std::uint64_t bytes = 0;  ///< content bytes sent
    std::chrono::system_clock::time_point time;
    std::chrono::nanoseconds duration{0};  ///< from the request's head to its response queued
};

/// One line, with its newline. Quotes, backslashes and control bytes in fields that come from the
/// client are escaped (\x22 ...), so that a line can be neither split nor forged.
std::string format_access_line(LogFormat format, const AccessRecord& record);

}  // namespace http::detail
