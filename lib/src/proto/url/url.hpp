// Absolute http and https URLs (RFC 3986, RFC 9110 Section 4.2), as the client needs them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace http::detail {

struct Url {
    std::string scheme;    ///< "http" or "https", lower-case
    std::string userinfo;  ///< percent-encoded, as written ("user:pass")
    std::string host;      ///< lower-case reg-name or IPv4 address, or an IPv6 address without brackets
    std::uint16_t port = 0;  ///< explicit or the scheme's default
    std::string target;    ///< path and query, percent-encoded, never empty: "/a%20b?x=1"

    bool is_ipv6() const noexcept { return host.find(':') != std::string::npos; }
    bool default_port() const noexcept { return port == (scheme == "https" ? 443 : 80); }
    /// "host" or "host:port" (IPv6 in brackets) as the Host field wants it.
    std::string authority() const;
    /// scheme://authority: the origin (RFC 6454) two URLs share when a redirect stays put.
    std::string origin() const;
    /// The whole URL without userinfo: "https://example.com:8443/p?q".
    std::string str() const;
};

/// Parses an absolute http(s) URL. Characters a URL may not hold as such (spaces, non-ASCII
/// bytes, '"', '<' ...) are percent-encoded; existing escapes are kept; the fragment is dropped.
/// Returns nullopt with `error` set when the URL cannot be used.
std::optional<Url> parse_url(std::string_view text, std::string& error);

/// Resolves `reference` (a Location value: absolute, scheme-relative, absolute-path or
/// relative) against `base` (RFC 3986, Section 5.2).
std::optional<Url> resolve_url(const Url& base, std::string_view reference, std::string& error);

}  // namespace http::detail
