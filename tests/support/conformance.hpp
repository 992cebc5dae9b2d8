// The parser conformance cases of tests/conformance/ (converted from llhttp's and
// picohttpparser's suites): loading, and decoding their fields back to bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace test {

inline std::string base64_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    unsigned bits = 0;
    int count = 0;
    for (const char c : text) {
        const int v = value(c);
        if (v < 0)
            continue;  // '=' padding
        bits = (bits << 6) | static_cast<unsigned>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xff);
        }
    }
    return out;
}

/// The suites store bytes as code points U+0000-U+00FF; JSON gives them back as UTF-8.
inline std::string latin1_bytes(const std::string& utf8) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size()) {
            out += static_cast<char>(((c & 0x1f) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3f));
            ++i;
        } else {
            throw std::runtime_error("conformance data: a code point above U+00FF");
        }
    }
    return out;
}

/// A case's expected fields as "name: value\n" lines. A field value excludes surrounding
/// whitespace (RFC 9110, Section 5.5); llhttp keeps trailing whitespace, which is dropped here.
inline std::string expected_fields(const nlohmann::json& headers) {
    std::string out;
    for (const auto& h : headers) {
        std::string value = latin1_bytes(h[1]);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
            value.pop_back();
        out += latin1_bytes(h[0].is_null() ? "" : h[0].get<std::string>()) + ": " + value + "\n";
    }
    return out;
}

inline nlohmann::json load_cases(const std::string& file) {
    std::ifstream in(std::string(HTTPKIT_CONFORMANCE_DIR) + "/" + file);
    if (!in)
        throw std::runtime_error("cannot open conformance file " + file);
    return nlohmann::json::parse(in).at("cases");
}

}  // namespace test
