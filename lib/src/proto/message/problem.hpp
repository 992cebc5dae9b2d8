// A failure as a response: RFC 9457 problem details, or HTML or plain text when the client's
// Accept asks only for those.
#pragma once

#include <http/failure.hpp>
#include <http/response.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace http::detail {

/// The response for a failure: its status and headers, and an RFC 9457 problem+json body, or
/// HTML or plain text when `accept` prefers those.
Response failure_response(Status status, std::string_view detail, const std::vector<Failure::Header>& headers,
                          std::string_view accept);
inline Response failure_response(const Failure& failure, std::string_view accept) {
    return failure_response(failure.status(), failure.what(), failure.headers(), accept);
}

/// JSON string contents: quotes, backslashes and control characters escaped.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace http::detail
