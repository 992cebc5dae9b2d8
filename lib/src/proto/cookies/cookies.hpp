// Cookie header parsing (RFC 6265, Section 5.4); Set-Cookie is built by http::Cookie.
#pragma once

#include <http/request.hpp>

#include <string_view>
#include <vector>

namespace http::detail {

/// Adds the name=value pairs of a Cookie header to `cookies`. A name seen twice keeps its first
/// value (user agents list the most specific cookie first); quotes around a value are removed;
/// pairs without a name are skipped.
void parse_cookie_header(std::string_view header, Fields& cookies);

/// As above, taking the map's nodes from `spare` (and putting back those a repeated name does not
/// use), so that a connection's requests, which mostly carry the same cookies, reuse the nodes
/// and strings of the request before.
void parse_cookie_header(std::string_view header, Fields& cookies, std::vector<Fields::node_type>& spare);

}  // namespace http::detail
