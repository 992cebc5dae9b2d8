#include "proto/proxy/proxy_header.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace http::detail {

namespace {

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::string_view v2_signature("\r\n\r\n\0\r\nQUIT\n", 12);

constexpr std::uint8_t pp2_type_alpn = 0x01;
constexpr std::uint8_t pp2_type_authority = 0x02;
constexpr std::uint8_t pp2_type_crc32c = 0x03;
constexpr std::uint8_t pp2_type_ssl = 0x20;
constexpr std::uint8_t pp2_client_ssl = 0x01;

ProxyParse invalid(std::string_view& error, std::string_view why) {
    error = why;
    return ProxyParse::invalid;
}

// True if `data` is a beginning of `expected`, or starts with all of it.
bool may_start(std::string_view data, std::string_view expected) {
    const std::size_t n = std::min(data.size(), expected.size());
    return data.substr(0, n) == expected.substr(0, n);
}

std::uint16_t be16(const char* p) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]));
}

// `address` (4 or 16 bytes in network order, not necessarily aligned) as text.
std::string address_text(int family, const void* address) {
    char text[INET6_ADDRSTRLEN] = "";
    if (family == AF_INET6) {
        in6_addr v6{};
        std::memcpy(&v6, address, sizeof v6);
        if (IN6_IS_ADDR_V4MAPPED(&v6))
            ::inet_ntop(AF_INET, v6.s6_addr + 12, text, sizeof text);
        else
            ::inet_ntop(AF_INET6, &v6, text, sizeof text);
    } else {
        in_addr v4{};
        std::memcpy(&v4, address, sizeof v4);
        ::inet_ntop(AF_INET, &v4, text, sizeof text);
    }
    return text;
}

// --- Version 1 ----------------------------------------------------------------------------------

// A decimal number of 1 to `max_digits` digits without a leading zero (the specification forbids
// them, against octal readings), at most `max`.
bool parse_decimal(std::string_view text, std::size_t max_digits, unsigned max, unsigned& value) {
    if (text.empty() || text.size() > max_digits || (text.size() > 1 && text[0] == '0'))
        return false;
    value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value <= max;
}

bool parse_ipv4(std::string_view text, in_addr& address) {
    std::array<unsigned char, 4> bytes{};
    for (std::size_t i = 0; i < 4; ++i) {
        const std::size_t dot = i < 3 ? text.find('.') : text.size();
        unsigned value = 0;
        if (dot == std::string_view::npos || !parse_decimal(text.substr(0, dot), 3, 255, value))
            return false;
        bytes[i] = static_cast<unsigned char>(value);
        text = i < 3 ? text.substr(dot + 1) : std::string_view();
    }
    std::memcpy(&address, bytes.data(), 4);
    return true;
}

bool parse_ipv6(std::string_view text, in6_addr& address) {
    char buffer[INET6_ADDRSTRLEN];
    if (text.empty() || text.size() >= sizeof buffer ||
        text.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
        return false;
    text.copy(buffer, text.size());
    buffer[text.size()] = '\0';
    return ::inet_pton(AF_INET6, buffer, &address) == 1;
}

ProxyParse parse_v1(std::string_view data, ProxyHeaderFields& fields, std::string_view& error) {
    const std::string_view window = data.substr(0, proxy_v1_max_size);
    const std::size_t end = window.find("\r\n");
    if (end == std::string_view::npos) {
        if (window.find('\n') != std::string_view::npos)
            return invalid(error, "the PROXY protocol v1 line ends without CRLF");
        if (data.size() >= proxy_v1_max_size)
            return invalid(error, "the PROXY protocol v1 line is longer than 107 bytes");
        return ProxyParse::incomplete;
    }
    std::string_view line = window.substr(v1_prefix.size(), end - v1_prefix.size());
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
        return invalid(error, "the PROXY protocol v1 line holds a CR, LF or NUL");
    fields = {};
    fields.version = 1;
    fields.size = end + 2;
    if (line.starts_with("UNKNOWN") && (line.size() == 7 || line[7] == ' '))
        return ProxyParse::done;  // the sender could not say: the connection's own endpoints stand

    const bool v4 = line.starts_with("TCP4 ");
    if (!v4 && !line.starts_with("TCP6 "))
        return invalid(error, "the PROXY protocol v1 line names no protocol (TCP4, TCP6 or UNKNOWN)");
    line.remove_prefix(5);
    std::array<std::string_view, 4> parts;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::size_t space = i < 3 ? line.find(' ') : line.size();
        if (space == std::string_view::npos)
            return invalid(error, "the PROXY protocol v1 line has fewer than four addresses and ports");
        parts[i] = line.substr(0, space);
        line = i < 3 ? line.substr(space + 1) : std::string_view();
    }
    if (v4) {
        in_addr source{}, destination{};
        if (!parse_ipv4(parts[0], source) || !parse_ipv4(parts[1], destination))
            return invalid(error, "the PROXY protocol v1 line has a malformed IPv4 address");
        fields.source_ip = address_text(AF_INET, &source);
        fields.destination_ip = address_text(AF_INET, &destination);
    } else {
        in6_addr source{}, destination{};
        if (!parse_ipv6(parts[0], source) || !parse_ipv6(parts[1], destination))
            return invalid(error, "the PROXY protocol v1 line has a malformed IPv6 address");
        fields.source_ip = address_text(AF_INET6, &source);
        fields.destination_ip = address_text(AF_INET6, &destination);
    }
    unsigned source_port = 0, destination_port = 0;
    if (!parse_decimal(parts[2], 5, 65535, source_port) || !parse_decimal(parts[3], 5, 65535, destination_port))
        return invalid(error, "the PROXY protocol v1 line has a malformed port");
    fields.source_port = static_cast<std::uint16_t>(source_port);
    fields.destination_port = static_cast<std::uint16_t>(destination_port);
    fields.relayed = true;
    return ProxyParse::done;
}

// --- Version 2 ----------------------------------------------------------------------------------

// A TLV's text value kept for the application: printable, as it may be logged.
bool printable(std::string_view value) {
    return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    });
}

ProxyParse parse_tlvs(std::string_view header, std::size_t at, ProxyHeaderFields& fields, std::string_view& error) {
    std::size_t crc_at = 0;
    while (at < header.size()) {
        if (header.size() - at < 3)
            return invalid(error, "the PROXY protocol v2 header ends inside a TLV");
        const auto type = static_cast<std::uint8_t>(header[at]);
        const std::size_t length = be16(header.data() + at + 1);
        at += 3;
        if (header.size() - at < length)
            return invalid(error, "a PROXY protocol v2 TLV is longer than the header");
        const std::string_view value = header.substr(at, length);
        switch (type) {
        case pp2_type_alpn:
            if (!printable(value))
                return invalid(error, "the PROXY protocol v2 ALPN is empty or not printable");
            fields.alpn = value;
            break;
        case pp2_type_authority:
            if (!printable(value))
                return invalid(error, "the PROXY protocol v2 authority is empty or not printable");
            fields.authority = value;
            break;
        case pp2_type_crc32c:
            if (length != 4 || crc_at != 0)
                return invalid(error, "the PROXY protocol v2 CRC32C is not one 4-byte value");
            crc_at = at;
            break;
        case pp2_type_ssl:
            if (length < 5)  // client (1 byte), verify (4), then sub-TLVs we do not use
                return invalid(error, "the PROXY protocol v2 SSL TLV is shorter than 5 bytes");
            fields.tls = (static_cast<std::uint8_t>(value[0]) & pp2_client_ssl) != 0;
            break;
        default:
            break;  // NOOP, UNIQUE_ID, NETNS, custom ones: not ours to use
        }
        at += length;
    }
    if (crc_at != 0) {
        const std::uint32_t sent = (std::uint32_t{static_cast<unsigned char>(header[crc_at])} << 24) |
                                   (std::uint32_t{static_cast<unsigned char>(header[crc_at + 1])} << 16) |
                                   (std::uint32_t{static_cast<unsigned char>(header[crc_at + 2])} << 8) |
                                   std::uint32_t{static_cast<unsigned char>(header[crc_at + 3])};
        std::uint32_t crc = crc32c(header.substr(0, crc_at));
        crc = crc32c(std::string_view("\0\0\0\0", 4), crc);
        crc = crc32c(header.substr(crc_at + 4), crc);
        if (crc != sent)
            return invalid(error, "the PROXY protocol v2 CRC32C does not match the header");
    }
    return ProxyParse::done;
}

ProxyParse parse_v2(std::string_view data, ProxyHeaderFields& fields, std::string_view& error) {
    if (data.size() < proxy_v2_fixed_size)
        return ProxyParse::incomplete;
    const auto version_command = static_cast<std::uint8_t>(data[12]);
    const auto family_protocol = static_cast<std::uint8_t>(data[13]);
    const std::size_t length = be16(data.data() + 14);
    if (version_command >> 4 != 2)
        return invalid(error, "the PROXY protocol v2 header has a version other than 2");
    const unsigned command = version_command & 0x0f;
    if (command > 1)
        return invalid(error, "the PROXY protocol v2 header has a command other than LOCAL and PROXY");
    const unsigned family = family_protocol >> 4;
    const unsigned protocol = family_protocol & 0x0f;
    if (family > 3 || protocol > 2)
        return invalid(error, "the PROXY protocol v2 header has an unknown address family or protocol");
    if (length > proxy_v2_max_length)
        return invalid(error, "the PROXY protocol v2 header is longer than 16 + 2048 bytes");
    if (data.size() < proxy_v2_fixed_size + length)
        return ProxyParse::incomplete;

    fields = {};
    fields.version = 2;
    fields.size = proxy_v2_fixed_size + length;
    if (command == 0 || family == 0 || protocol == 0)
        return ProxyParse::done;  // LOCAL (a health check) or unspecified: the block is skipped

    const std::string_view header = data.substr(0, fields.size);
    const char* const block = header.data() + proxy_v2_fixed_size;
    std::size_t used = 0;
    switch (family) {
    case 1:  // AF_INET: two addresses of 4 bytes, two ports
        used = 12;
        if (length < used)
            return invalid(error, "the PROXY protocol v2 IPv4 address block is shorter than 12 bytes");
        fields.source_ip = address_text(AF_INET, block);
        fields.destination_ip = address_text(AF_INET, block + 4);
        fields.source_port = be16(block + 8);
        fields.destination_port = be16(block + 10);
        break;
    case 2:  // AF_INET6: two addresses of 16 bytes, two ports
        used = 36;
        if (length < used)
            return invalid(error, "the PROXY protocol v2 IPv6 address block is shorter than 36 bytes");
        fields.source_ip = address_text(AF_INET6, block);
        fields.destination_ip = address_text(AF_INET6, block + 16);
        fields.source_port = be16(block + 32);
        fields.destination_port = be16(block + 34);
        break;
    default:  // AF_UNIX: two paths of 108 bytes, no ports
        used = 216;
        if (length < used)
            return invalid(error, "the PROXY protocol v2 Unix address block is shorter than 216 bytes");
        fields.source_ip = "unix:";
        fields.destination_ip = "unix:";
        break;
    }
    fields.relayed = true;
    return parse_tlvs(header, proxy_v2_fixed_size + used, fields, error);
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view data, ProxyHeaderFields& fields, std::string_view& error) {
    if (data.empty())
        return ProxyParse::incomplete;
    if (data[0] == 'P') {
        if (!may_start(data, v1_prefix))
            return invalid(error, "the connection does not start with a PROXY protocol header");
        return data.size() < v1_prefix.size() ? ProxyParse::incomplete : parse_v1(data, fields, error);
    }
    if (!may_start(data, v2_signature))
        return invalid(error, "the connection does not start with a PROXY protocol header");
    if (data.size() > v2_signature.size() && static_cast<std::uint8_t>(data[12]) >> 4 != 2)
        return invalid(error, "the PROXY protocol v2 header has a version other than 2");
    return parse_v2(data, fields, error);
}

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) noexcept {
    // Bit by bit: a header is checked once per connection, and a table would cost 1 KiB.
    crc = ~crc;
    for (const char c : data) {
        crc ^= static_cast<unsigned char>(c);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

}  // namespace http::detail
