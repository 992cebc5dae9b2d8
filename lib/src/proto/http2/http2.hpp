// What HTTP/2's server and client share beyond nghttp2's framing and HPACK: the preface, the
// stream bound and which header fields HTTP/2 forbids.
#pragma once

#include <http/headers.hpp>

#include <cstdint>
#include <string_view>

namespace http::detail {

/// The client connection preface (RFC 9113, Section 3.4), which starts h2c by prior knowledge.
inline constexpr std::string_view http2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The most streams a peer may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS), which the
/// server announces and the client keeps to of its own accord.
inline constexpr std::uint32_t http2_max_streams = 100;

/// The connection-specific fields HTTP/2 forbids (RFC 9113, Section 8.2.2): an HTTP/1.1 message's
/// fields that must not go out in HTTP/2. TE is allowed with "trailers" only (the caller's check).
/// Any case.
inline bool is_http2_connection_specific(std::string_view name) noexcept {
    return iequals(name, "connection") || iequals(name, "keep-alive") || iequals(name, "proxy-connection") ||
           iequals(name, "transfer-encoding") || iequals(name, "upgrade");
}

}  // namespace http::detail
