#include "proto/websocket/handshake.hpp"

#include "proto/message/base64.hpp"
#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"

#include <http/headers.hpp>

#include <array>
#include <cstring>

namespace http::detail::websocket {

namespace {

// SHA-1 (FIPS 180-4), for the accept key only: the handshake's one use of it is fixed by the RFC.
std::array<unsigned char, 20> sha1(std::string_view message) {
    std::uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    const auto rotate = [](std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
    std::string data(message);
    const std::uint64_t bits = std::uint64_t{message.size()} * 8;
    data += '\x80';
    while (data.size() % 64 != 56)
        data += '\0';
    for (int i = 7; i >= 0; --i)
        data += static_cast<char>(bits >> (8 * i));
    for (std::size_t block = 0; block < data.size(); block += 64) {
        std::uint32_t w[80];
        for (int i = 0; i < 16; ++i)
            w[i] = std::uint32_t{static_cast<unsigned char>(data[block + 4 * i])} << 24 |
                   std::uint32_t{static_cast<unsigned char>(data[block + 4 * i + 1])} << 16 |
                   std::uint32_t{static_cast<unsigned char>(data[block + 4 * i + 2])} << 8 |
                   std::uint32_t{static_cast<unsigned char>(data[block + 4 * i + 3])};
        for (int i = 16; i < 80; ++i)
            w[i] = rotate(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; ++i) {
            std::uint32_t f, k;
            if (i < 20)
                f = (b & c) | (~b & d), k = 0x5a827999;
            else if (i < 40)
                f = b ^ c ^ d, k = 0x6ed9eba1;
            else if (i < 60)
                f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
            else
                f = b ^ c ^ d, k = 0xca62c1d6;
            const std::uint32_t t = rotate(a, 5) + f + e + k + w[i];
            e = d, d = c, c = rotate(b, 30), b = a, a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    std::array<unsigned char, 20> digest{};
    for (int i = 0; i < 20; ++i)
        digest[i] = static_cast<unsigned char>(h[i / 4] >> (24 - 8 * (i % 4)));
    return digest;
}

// A window size parameter's value: 8 to 15.
std::optional<std::uint8_t> window_bits(const std::string& value) {
    if (value.size() == 1 && value[0] >= '8' && value[0] <= '9')
        return static_cast<std::uint8_t>(value[0] - '0');
    if (value.size() == 2 && value[0] == '1' && value[1] >= '0' && value[1] <= '5')
        return static_cast<std::uint8_t>(10 + value[1] - '0');
    return std::nullopt;
}

}  // namespace

std::string accept_key(std::string_view key) {
    std::string input(key);
    input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const auto digest = sha1(input);
    return base64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

bool valid_key(std::string_view key) noexcept {
    if (key.size() != 24 || key[22] != '=' || key[23] != '=')
        return false;
    for (std::size_t i = 0; i < 22; ++i) {
        const char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return false;
    }
    // 16 bytes: the last character carries 4 bits of padding, which must be zero.
    return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

std::string choose_subprotocol(std::string_view offered, const std::vector<std::string>& supported) {
    for (const std::string& protocol : supported) {
        bool found = false;
        for_each_list_element(offered, [&](std::string_view element) { found = found || element == protocol; });
        if (found)
            return protocol;
    }
    return {};
}

std::optional<DeflateParameters> negotiate_deflate(std::string_view offered) {
    std::optional<DeflateParameters> chosen;
    for_each_list_element(offered, [&](std::string_view element) {
        if (chosen)
            return;
        const ParameterizedValue offer = parse_parameterized(element, true);
        if (!iequals(offer.value, "permessage-deflate"))
            return;
        DeflateParameters agreed;
        agreed.server_no_context_takeover = true;
        agreed.client_no_context_takeover = true;
        bool seen[4] = {};
        for (const auto& [name, value] : offer.parameters) {
            int index = -1;
            if (name == "server_no_context_takeover" && value.empty())
                index = 0;
            else if (name == "client_no_context_takeover" && value.empty())
                index = 1;
            else if (name == "server_max_window_bits") {
                const auto bits = window_bits(value);
                // zlib cannot compress with a window of 8 bits (it uses 9): such an offer is
                // declined rather than broken.
                if (!bits || *bits == 8)
                    return;
                agreed.server_max_window_bits = *bits;
                index = 2;
            } else if (name == "client_max_window_bits") {
                if (!value.empty() && !window_bits(value))
                    return;
                index = 3;  // the client may compress with any window: inflating takes 15
            }
            if (index < 0 || seen[index])
                return;  // an unknown or repeated parameter: this offer is declined
            seen[index] = true;
        }
        chosen = agreed;
    });
    return chosen;
}

std::string deflate_response(const DeflateParameters& parameters) {
    std::string answer = "permessage-deflate";
    if (parameters.server_no_context_takeover)
        answer += "; server_no_context_takeover";
    if (parameters.client_no_context_takeover)
        answer += "; client_no_context_takeover";
    if (parameters.server_max_window_bits != 15)
        answer += "; server_max_window_bits=" + std::to_string(parameters.server_max_window_bits);
    return answer;
}

std::string deflate_offer() { return "permessage-deflate; client_max_window_bits"; }

std::optional<DeflateParameters> accept_deflate_response(std::string_view answer, std::string& error) {
    error.clear();
    std::optional<DeflateParameters> agreed;
    int extensions = 0;
    for_each_list_element(answer, [&](std::string_view element) {
        ++extensions;
        const ParameterizedValue response = parse_parameterized(element, true);
        if (!iequals(response.value, "permessage-deflate")) {
            error = "the server answered with an extension that was not offered: " + std::string(response.value);
            return;
        }
        DeflateParameters parameters;
        for (const auto& [name, value] : response.parameters) {
            if (name == "server_no_context_takeover" && value.empty()) {
                parameters.server_no_context_takeover = true;
            } else if (name == "client_no_context_takeover" && value.empty()) {
                parameters.client_no_context_takeover = true;
            } else if (name == "server_max_window_bits" && window_bits(value)) {
                parameters.server_max_window_bits = *window_bits(value);
            } else if (name == "client_max_window_bits" && window_bits(value)) {
                parameters.client_max_window_bits = *window_bits(value);
            } else {
                error = "the server answered permessage-deflate with a parameter the offer does not allow: " + name;
                return;
            }
        }
        agreed = parameters;
    });
    if (extensions > 1 && error.empty())
        error = "the server answered with more than one extension";
    if (!error.empty())
        return std::nullopt;
    return agreed;
}

}  // namespace http::detail::websocket
