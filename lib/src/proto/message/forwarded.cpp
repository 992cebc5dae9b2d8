#include "proto/message/forwarded.hpp"

#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/parser/request_parser.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace http::detail {

bool trusted_address(std::string_view text, const std::vector<Network>& trusted) {
    if (text == "unix:") {
        for (const Network& network : trusted)
            if (network.unix_peers)
                return true;
        return false;
    }
    const auto ip = parse_ip(text);
    if (!ip)
        return false;
    for (const Network& network : trusted)
        if (network.contains(*ip))
            return true;
    return false;
}

namespace {

// A Forwarded for= node: a quoted or bare IPv4 address (maybe with a port), a quoted bracketed
// IPv6 address (maybe with a port), "unknown" or an obfuscated identifier (RFC 7239, Section 6).
std::string_view node_address(std::string_view node) {
    if (node.size() >= 2 && node.front() == '"' && node.back() == '"')
        node = node.substr(1, node.size() - 2);
    if (node.starts_with('[')) {
        const std::size_t close = node.find(']');
        return close == std::string_view::npos ? std::string_view() : node.substr(1, close - 1);
    }
    return node.substr(0, node.find(':'));
}

std::string_view unquote(std::string_view value) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        return value.substr(1, value.size() - 2);
    return value;
}

bool valid_scheme(std::string_view scheme) { return iequals(scheme, "http") || iequals(scheme, "https"); }

struct Hop {
    std::string_view for_node, host, proto;
};

}  // namespace

bool Network::contains(const std::array<std::uint8_t, 16>& ip) const noexcept {
    if (unix_peers)
        return false;
    const unsigned whole = prefix / 8;
    for (unsigned i = 0; i < whole; ++i)
        if (ip[i] != address[i])
            return false;
    if (const unsigned bits = prefix % 8) {
        const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
        if ((ip[whole] & mask) != (address[whole] & mask))
            return false;
    }
    return true;
}

std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text) {
    char buffer[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buffer)
        return std::nullopt;
    text.copy(buffer, text.size());
    buffer[text.size()] = '\0';
    std::array<std::uint8_t, 16> ip{};
    in_addr v4{};
    if (::inet_pton(AF_INET, buffer, &v4) == 1) {
        ip[10] = ip[11] = 0xff;
        std::memcpy(ip.data() + 12, &v4, 4);
        return ip;
    }
    if (::inet_pton(AF_INET6, buffer, ip.data()) == 1)
        return ip;
    return std::nullopt;
}

std::optional<Network> parse_network(std::string_view text) {
    if (text == "unix:") {
        Network network;
        network.unix_peers = true;
        return network;
    }
    const std::size_t slash = text.find('/');
    const auto ip = parse_ip(text.substr(0, slash));
    if (!ip)
        return std::nullopt;
    const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    unsigned prefix = v4 ? 32 : 128;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() || prefix > (v4 ? 32u : 128u))
            return std::nullopt;
    }
    return Network{*ip, v4 ? prefix + 96 : prefix};
}

Origin resolve_origin(const Headers& headers, std::string_view peer, const std::vector<Network>& trusted) {
    Origin origin;
    origin.ip = std::string(peer);
    if (trusted.empty() || !trusted_address(peer, trusted))
        return origin;

    // Forwarded, when present, is the standard form and wins.
    std::vector<Hop> hops;
    for (const std::string_view field : headers.get_all("Forwarded"))
        for_each_list_element(field, [&](std::string_view element) {
            Hop hop;
            std::string_view rest = element;
            while (!rest.empty()) {
                const std::size_t semicolon = rest.find(';');
                const std::string_view pair = trim_ows(rest.substr(0, semicolon));
                const std::size_t equals = pair.find('=');
                if (equals != std::string_view::npos) {
                    const std::string_view name = trim_ows(pair.substr(0, equals));
                    const std::string_view value = trim_ows(pair.substr(equals + 1));
                    if (iequals(name, "for"))
                        hop.for_node = value;
                    else if (iequals(name, "host"))
                        hop.host = unquote(value);
                    else if (iequals(name, "proto"))
                        hop.proto = unquote(value);
                }
                if (semicolon == std::string_view::npos)
                    break;
                rest.remove_prefix(semicolon + 1);
            }
            hops.push_back(hop);
        });
    if (!hops.empty()) {
        // From the hop our peer added, back towards the client, past the trusted proxies.
        std::size_t i = hops.size();
        while (i > 0) {
            --i;
            const std::string_view address = node_address(hops[i].for_node);
            if (!parse_ip(address)) {
                break;  // "unknown" or obfuscated: the chain ends here, with the last proxy known
            }
            origin.ip = std::string(address);
            if (!trusted_address(address, trusted))
                break;
        }
        if (!hops[i].host.empty() && valid_authority(hops[i].host))
            origin.host = std::string(hops[i].host);
        if (valid_scheme(hops[i].proto))
            origin.scheme = ascii_lower(hops[i].proto);
        return origin;
    }

    // X-Forwarded-For: "client, proxy1, proxy2", each proxy appending the address it got it from.
    std::vector<std::string_view> chain;
    for (const std::string_view field : headers.get_all("X-Forwarded-For"))
        for_each_list_element(field, [&](std::string_view address) { chain.push_back(address); });
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (!parse_ip(*it))
            break;
        origin.ip = std::string(*it);
        if (!trusted_address(*it, trusted))
            break;
    }
    const std::string_view forwarded_host = trim_ows(headers.get("X-Forwarded-Host").substr(0, headers.get("X-Forwarded-Host").find(',')));
    if (!forwarded_host.empty() && valid_authority(forwarded_host))
        origin.host = std::string(forwarded_host);
    const std::string_view proto = trim_ows(headers.get("X-Forwarded-Proto").substr(0, headers.get("X-Forwarded-Proto").find(',')));
    if (valid_scheme(proto))
        origin.scheme = ascii_lower(proto);
    return origin;
}

}  // namespace http::detail
