// The Date field of responses (RFC 9110, Section 6.6.1), formatted once per second per thread.
#pragma once

#include <string>

namespace http::detail {

/// The current time as an HTTP-date.
const std::string& current_http_date();

}  // namespace http::detail
