// WWW-Authenticate challenges (RFC 9110, Section 11.6.1): `Digest realm="a", nonce="b", Basic
// realm="c"` is two challenges, each a scheme and its auth-params.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http::detail {

struct Challenge {
    std::string scheme;  ///< lower-cased: "basic", "digest" ...
    std::vector<std::pair<std::string, std::string>> params;  ///< names lower-cased, values unquoted

    /// The value of `name` (lower-case), or empty.
    std::string_view param(std::string_view name) const noexcept {
        for (const auto& [key, value] : params)
            if (key == name)
                return value;
        return {};
    }
};

/// Every challenge in `value` (one WWW-Authenticate field value), in order; what cannot be read
/// ends the list.
std::vector<Challenge> parse_challenges(std::string_view value);

}  // namespace http::detail
