// Percent-encoding (RFC 3986, Section 2.1) and query strings (application/x-www-form-urlencoded),
// the same rules the server reads requests with.
//
//     std::string q = http::query_string({{"q", "café & co"}, {"page", "2"}});   // "page=2&q=caf%C3%A9+%26+co"
//     http::Fields f = http::parse_query("?page=2&q=caf%C3%A9+%26+co");           // f["q"] == "café & co"
#pragma once

#include <http/request.hpp>

#include <string>
#include <string_view>

namespace http {

/// Escapes every byte but the unreserved ones (letters, digits, - . _ ~) as %XX: a path
/// segment's or a query value's text, whatever it holds.
std::string url_encode(std::string_view text);
/// Decodes %XX escapes; a '%' not followed by two hex digits stays as it is (as browsers and
/// Python's unquote do). '+' stays a '+': in a query string it means a space, which
/// parse_query() knows.
std::string url_decode(std::string_view text);
/// `fields` as a query string, in their order (a Fields map's: by name): name=value pairs joined
/// by '&', spaces as '+', every other byte but the unreserved ones as %XX. No leading '?'.
std::string query_string(const Fields& fields);
/// The name=value pairs of a query string (a leading '?' is skipped), decoded ('+' is a space);
/// a repeated name keeps its last value, a name without '=' gets an empty one: as the server
/// fills req.queries.
Fields parse_query(std::string_view text);

}  // namespace http
