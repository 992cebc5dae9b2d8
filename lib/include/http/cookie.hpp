// http::Cookie: a Set-Cookie line (RFC 6265), built from its attributes.
#pragma once

#include <http/detail/chrono.hpp>
#include <optional>
#include <string>

namespace http {

/// One cookie to send with Set-Cookie. Prefixes are honoured as browsers require (RFC 6265bis):
/// a `__Secure-` name forces `secure`; a `__Host-` name forces `secure` and `path = "/"` and
/// forbids `domain`.
///
///     res.set_cookie({.name = "sid", .value = token, .max_age = std::chrono::hours(1),
///                     .http_only = true, .same_site = "Lax"});
// Every member has a default initializer, so designated initializers may leave any out
// without -Wmissing-field-initializers.
struct Cookie {
    std::string name{};
    std::string value{};
    std::string domain{};
    std::string path{};
    /// An HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"); see also expires_at.
    std::string expires{};
    std::optional<std::chrono::system_clock::time_point> expires_at{};
    std::optional<std::chrono::seconds> max_age{};
    bool secure = false;
    bool http_only = false;
    /// "Strict", "Lax" or "None" (None needs `secure`); empty to leave it out.
    std::string same_site{};
    /// Further attributes, written as given after the others ("Partitioned").
    std::string extras{};

    /// The Set-Cookie field value. Throws std::invalid_argument when the name is not a token, the
    /// value has bytes a cookie cannot carry (RFC 6265, Section 4.1.1), an attribute holds ';'
    /// or a control character, SameSite is not one of the three, or a prefix rule is broken.
    std::string to_set_cookie() const;
};

}  // namespace http
