// RFC 4648 base64, as HTTP uses it: Basic credentials, WebSocket keys.
#pragma once

#include <string>
#include <string_view>

namespace http::detail {

/// `in` in base64, with padding.
std::string base64(std::string_view in);

}  // namespace http::detail
