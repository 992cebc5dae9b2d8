// The PROXY protocol header (HAProxy's doc/proxy-protocol.txt, versions 1 and 2): what a load
// balancer sends first on a connection it relays, to say whose it is. Bytes in, the header out;
// the server reads it before TLS and before HTTP (Server::proxy_protocol).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace http::detail {

/// Version 1 is one line of at most 107 bytes, CRLF included.
inline constexpr std::size_t proxy_v1_max_size = 107;
/// Version 2 is 16 bytes and a length; we take at most this length (addresses and TLVs: a
/// balancer's are a few hundred bytes at most), so a header is at most 16 + 2048 bytes.
inline constexpr std::size_t proxy_v2_max_length = 2048;
inline constexpr std::size_t proxy_v2_fixed_size = 16;

/// What a PROXY protocol header said.
struct ProxyHeaderFields {
    std::size_t size = 0;  ///< the header's bytes; what follows is the relayed connection's
    int version = 0;       ///< 1 or 2
    /// False for v2's LOCAL command (a balancer's health check), v1's UNKNOWN and v2's
    /// unspecified family or protocol: the connection's own endpoints stand.
    bool relayed = false;
    std::string source_ip;  ///< canonical text ("192.0.2.1", "2001:db8::1"; IPv4-mapped as IPv4), "unix:" for AF_UNIX
    std::uint16_t source_port = 0;
    std::string destination_ip;
    std::uint16_t destination_port = 0;
    // v2's TLVs.
    std::string alpn;       ///< PP2_TYPE_ALPN: the protocol the client chose with the balancer ("h2")
    std::string authority;  ///< PP2_TYPE_AUTHORITY: the host name the client asked for (TLS SNI)
    bool tls = false;       ///< PP2_TYPE_SSL with PP2_CLIENT_SSL: the client connected with TLS
};

enum class ProxyParse {
    incomplete,  ///< a beginning of a header: more bytes are needed
    done,        ///< `fields` holds it, `fields.size` bytes long
    invalid,     ///< not a PROXY protocol header, or a malformed one: `error` says why
};

/// Reads a PROXY protocol header (v1 or v2) at the start of `data`. Bytes that cannot begin a
/// header are invalid at once (the connection is aborted early, as the specification asks);
/// a header longer than its version allows is invalid. v2's CRC32C, when present, is checked.
ProxyParse parse_proxy_header(std::string_view data, ProxyHeaderFields& fields, std::string_view& error);

/// CRC32C (Castagnoli, RFC 4960 Appendix B) of `data`, continuing `crc` (0 to begin).
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) noexcept;

}  // namespace http::detail
