// Character classes of RFC 9110 / RFC 9112, as 256-entry tables.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace http::detail {

enum CharClass : std::uint8_t {
    tchar = 1,           // token characters (RFC 9110, Section 5.6.2)
    field_vchar = 2,     // field-value content: VCHAR, obs-text, SP, HTAB (RFC 9110, Section 5.5)
    target_char = 4,     // request-target: VCHAR without obs-text (0x21-0x7E)
    hex_digit = 8,
    cookie_octet = 16,   // RFC 6265, Section 4.1.1
    uri_host_char = 32,  // unreserved / sub-delims / pct-encoded / ":" and IP literal brackets
    reg_name_char = 64,  // uri_host_char without ":" and the brackets: a reg-name or IPv4address
    digit = 128,
};

inline constexpr std::array<std::uint8_t, 256> char_classes = [] {
    std::array<std::uint8_t, 256> table{};
    constexpr std::string_view token_symbols = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; ++c) {
        std::uint8_t bits = 0;
        const bool decimal = c >= '0' && c <= '9';
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (decimal || alpha || token_symbols.find(static_cast<char>(c)) != std::string_view::npos)
            bits |= tchar;
        if (c == '\t' || (c >= 0x20 && c != 0x7f))
            bits |= field_vchar;
        if (c > 0x20 && c < 0x7f)
            bits |= target_char;
        if (decimal || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
            bits |= hex_digit;
        if (c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
            (c >= 0x5d && c <= 0x7e))
            bits |= cookie_octet;
        if (decimal || alpha || std::string_view("-._~!$&'()*+,;=%:[]").find(static_cast<char>(c)) != std::string_view::npos)
            bits |= uri_host_char;
        if ((bits & uri_host_char) && c != ':' && c != '[' && c != ']')
            bits |= reg_name_char;
        if (decimal)
            bits |= digit;
        table[static_cast<std::size_t>(c)] = bits;
    }
    return table;
}();

constexpr bool is(char c, CharClass cls) noexcept { return char_classes[static_cast<unsigned char>(c)] & cls; }

/// The first byte in [p, end) that is not of class `cls`, or end. Four bytes a step while all
/// are: methods, field names and tokens are mostly letters.
constexpr const char* scan_class(const char* p, const char* end, CharClass cls) noexcept {
    auto bits = [](char c) { return char_classes[static_cast<unsigned char>(c)]; };
    while (end - p >= 4 && (bits(p[0]) & bits(p[1]) & bits(p[2]) & bits(p[3]) & cls))
        p += 4;
    while (p < end && is(*p, cls))
        ++p;
    return p;
}

constexpr bool is_token(std::string_view s) noexcept {
    return !s.empty() && scan_class(s.data(), s.data() + s.size(), tchar) == s.data() + s.size();
}

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

/// `text` with ASCII letters lower-cased (names, schemes, hosts: never locale-dependent).
inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

/// `s` equals `lower`, ignoring ASCII case in `s`. `lower` must hold only characters whose 0x20
/// bit is set (lower-case letters, digits, '-'): then OR-ing 0x20 folds only letters, and eight
/// bytes can be compared at once.
inline bool equals_lower(std::string_view s, std::string_view lower) noexcept {
    const std::size_t n = s.size();
    if (n != lower.size())
        return false;
    auto same8 = [&](std::size_t at) {
        std::uint64_t a, b;
        std::memcpy(&a, s.data() + at, 8);
        std::memcpy(&b, lower.data() + at, 8);
        return (a | 0x2020202020202020u) == b;
    };
    auto same4 = [&](std::size_t at) {
        std::uint32_t a, b;
        std::memcpy(&a, s.data() + at, 4);
        std::memcpy(&b, lower.data() + at, 4);
        return (a | 0x20202020u) == b;
    };
    // Whole words, the last one overlapping the one before it when the length is not a multiple.
    if (n >= 8) {
        std::size_t i = 0;
        for (; i + 8 < n; i += 8)
            if (!same8(i))
                return false;
        return same8(n - 8);
    }
    if (n >= 4)
        return same4(0) && same4(n - 4);
    for (std::size_t i = 0; i < n; ++i)
        if (static_cast<char>(s[i] | 0x20) != lower[i])
            return false;
    return true;
}

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// Calls fn(element) for each element of a comma-separated list (RFC 9110, Section 5.6.1),
/// trimmed, skipping empty ones.
template <class Fn>
constexpr void for_each_list_element(std::string_view list, Fn&& fn) {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view element = trim_ows(list.substr(0, comma));
        if (!element.empty())
            fn(element);
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }
}

/// Whether the comma-separated `list` has the element `lower` (lower-case), in any case:
/// "Upgrade" in a Connection field, "websocket" in an Upgrade field.
inline bool list_has(std::string_view list, std::string_view lower) noexcept {
    bool found = false;
    for_each_list_element(list, [&](std::string_view element) { found = found || equals_lower(element, lower); });
    return found;
}

}  // namespace http::detail
