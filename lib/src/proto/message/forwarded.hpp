// Who the client is behind proxies: Forwarded (RFC 7239) and X-Forwarded-For / -Host / -Proto,
// believed only from peers the server trusts.
#pragma once

#include <http/headers.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace http::detail {

/// An IPv4 or IPv6 network ("10.0.0.0/8", "::1/128", "192.0.2.7" for one address), or "unix:":
/// every peer of a Unix domain socket (only local processes allowed by the file's permissions).
struct Network {
    std::array<std::uint8_t, 16> address{};  // IPv4 as ::ffff:a.b.c.d
    unsigned prefix = 128;
    bool unix_peers = false;

    bool contains(const std::array<std::uint8_t, 16>& ip) const noexcept;
};

/// Parses a CIDR string; nullopt if malformed.
std::optional<Network> parse_network(std::string_view text);
/// An IPv4 or IPv6 address (IPv4 mapped into IPv6); nullopt if it is not one.
std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text);

/// True if the address `text` ("192.0.2.1", "::1", or "unix:" for a Unix socket's peer) is in
/// one of the `trusted` networks.
bool trusted_address(std::string_view text, const std::vector<Network>& trusted);

/// What the request says of its client, once proxies are accounted for.
struct Origin {
    std::string ip;      ///< the first address of the chain that is not a trusted proxy
    std::string host;    ///< the forwarded host, or empty: use the request's own
    std::string scheme;  ///< "http" or "https" from the proxy, or empty: the connection's
};

/// When `peer` (the connection's address) is in `trusted`: the client address from Forwarded's
/// `for=` chain, else X-Forwarded-For's, walked from the right past trusted proxies; the host
/// and protocol the first proxy received (Forwarded's host= and proto= of that hop, else the first
/// X-Forwarded-Host and X-Forwarded-Proto). A forwarded host that is not a valid
/// uri-host[:port] (RFC 9110, Section 7.2), or a protocol other than http or https, is ignored.
/// When `peer` is not trusted, the headers are ignored: `ip` is the peer, host and scheme empty.
Origin resolve_origin(const Headers& headers, std::string_view peer, const std::vector<Network>& trusted);

}  // namespace http::detail
