// Header field values of the form `type; name=value; name="quoted value"` (RFC 9110,
// Section 5.6.6): Content-Type, Content-Disposition, Accept elements.
#pragma once

#include <http/headers.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http::detail {

struct ParameterizedValue {
    std::string_view value;  ///< before the first ';', trimmed: "multipart/form-data"
    std::vector<std::pair<std::string, std::string>> parameters;  ///< names lower-cased, values unquoted

    /// The value of parameter `name` (lower-case), or nullptr.
    const std::string* find(std::string_view name) const noexcept;
};

/// Splits `value; p1=v1; p2="v 2"`. Malformed parameters are skipped.
/// `bare_names`: a parameter without a value (`; server_no_context_takeover`) is kept with an
/// empty one; otherwise it is left out.
ParameterizedValue parse_parameterized(std::string_view text, bool bare_names = false);

/// Every value of the field `name`, joined by commas: a list may come over several lines.
std::string joined_values(const Headers& headers, std::string_view name);

/// Adds `field` to the response's Vary (RFC 9110, Section 12.5.5), unless it (or "*") is there.
void add_vary(Headers& headers, std::string_view field);

}  // namespace http::detail
