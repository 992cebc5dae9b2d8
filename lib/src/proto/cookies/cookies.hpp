// Cookie header parsing (RFC 6265, Section 5.4); Set-Cookie is built by http::Cookie.
#pragma once

#include <http/request.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace http::detail {

/// Adds the name=value pairs of a Cookie header to `cookies`. A name seen twice keeps its first
/// value (user agents list the most specific cookie first); quotes around a value are removed;
/// pairs without a name are skipped.
void parse_cookie_header(std::string_view header, Fields& cookies);

/// A name=value pair of a Cookie header, viewing it; `order` counts the pairs collected.
struct CookiePair {
    std::string_view name;
    std::string_view value;
    std::uint32_t order;
};

/// Appends the name=value pairs of a Cookie header to `pairs`, as parse_cookie_header() reads them.
void collect_cookies(std::string_view header, std::vector<CookiePair>& pairs);

/// Makes `cookies`, which may hold the cookies of a request before, what parse_cookie_header()
/// makes of an empty map from each of the headers `pairs` were collected from, in order. The
/// nodes of the names that stay are kept where they are, their values assigned (a connection's
/// requests mostly carry the same cookies); those of the names gone go to `spare`, and new names
/// take nodes from it. Reorders `pairs`.
void replace_cookies(std::vector<CookiePair>& pairs, Fields& cookies, std::vector<Fields::node_type>& spare);

}  // namespace http::detail
