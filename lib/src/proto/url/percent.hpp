// Percent-encoding (RFC 3986, Section 2.1) and application/x-www-form-urlencoded data.
#pragma once

#include <http/request.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace http::detail {

/// Decodes %XX escapes, and '+' as a space when `plus_is_space` (query strings and forms). A '%'
/// not followed by two hex digits is kept as it is, as browsers and Python's unquote do.
std::string percent_decode(std::string_view text, bool plus_is_space = false);

/// Escapes every byte that is not unreserved (ALPHA DIGIT - . _ ~) and not in `keep`;
/// `keep_escapes`: a '%' followed by two hex digits is an escape already, and stays.
std::string percent_encode(std::string_view text, std::string_view keep = {}, bool keep_escapes = false);

/// Adds the name=value pairs of a query string or urlencoded body to `fields`; a repeated name
/// keeps its last value, a name without '=' gets an empty value. Returns false, having added the
/// first `max_pairs`, when there are more pairs than that.
bool parse_urlencoded(std::string_view text, Fields& fields, std::size_t max_pairs = SIZE_MAX);

}  // namespace http::detail
