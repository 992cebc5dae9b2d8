#include "proto/url/percent.hpp"

#include "proto/parser/char_class.hpp"

namespace http::detail {

std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 2;
                continue;
            }
        }
        out += plus_is_space && c == '+' ? ' ' : c;
    }
    return out;
}

std::string percent_encode(std::string_view text, std::string_view keep, bool keep_escapes) {
    constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        const bool escape = keep_escapes && c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                            hex_value(text[i + 2]) >= 0;
        if (unreserved || escape || keep.find(c) != std::string_view::npos) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 15];
        }
    }
    return out;
}

bool parse_urlencoded(std::string_view text, Fields& fields, std::size_t max_pairs) {
    std::size_t pairs = 0;
    while (!text.empty()) {
        const std::size_t amp = text.find('&');
        const std::string_view pair = text.substr(0, amp);
        if (!pair.empty()) {
            if (pairs++ == max_pairs)
                return false;
            const std::size_t eq = pair.find('=');
            std::string name = percent_decode(pair.substr(0, eq), true);
            std::string value = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
            fields.insert_or_assign(std::move(name), std::move(value));
        }
        if (amp == std::string_view::npos)
            break;
        text.remove_prefix(amp + 1);
    }
    return true;
}

}  // namespace http::detail
