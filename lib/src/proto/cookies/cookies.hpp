// Cookie header parsing (RFC 6265, Section 5.4); Set-Cookie is built by http::Cookie.
#pragma once

#include <http/request.hpp>

#include <string_view>

namespace http::detail {

/// Adds the name=value pairs of a Cookie header to `cookies`. A name seen twice keeps its first
/// value (user agents list the most specific cookie first); quotes around a value are removed;
/// pairs without a name are skipped.
void parse_cookie_header(std::string_view header, Fields& cookies);

}  // namespace http::detail
