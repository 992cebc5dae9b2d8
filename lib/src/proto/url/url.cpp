#include "proto/url/url.hpp"

#include "proto/parser/char_class.hpp"
#include "proto/url/percent.hpp"

#include <charconv>

namespace http::detail {

namespace {

bool is_scheme_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The length of a leading "scheme:", or 0.
std::size_t scheme_length(std::string_view s) {
    if (s.empty() || !is_scheme_start(s[0]))
        return 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (c == ':')
            return i;
        if (!is_scheme_start(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
            return 0;
    }
    return 0;
}

// Keeps what a path and query may hold (RFC 3986: pchar, '/', '?') and valid escapes; encodes
// everything else, '%' without two hex digits included.
std::string encode_target(std::string_view s) { return percent_encode(s, "!$&'()*+,;=:@/?", true); }

// RFC 3986, Section 5.2.4.
std::string remove_dot_segments(std::string_view path) {
    std::string out;
    while (!path.empty()) {
        if (path.starts_with("../")) {
            path.remove_prefix(3);
        } else if (path.starts_with("./")) {
            path.remove_prefix(2);
        } else if (path.starts_with("/./")) {
            path.remove_prefix(2);
        } else if (path == "/.") {
            path = "/";
        } else if (path.starts_with("/../") || path == "/..") {
            path = path.size() == 3 ? std::string_view("/") : path.substr(3);
            const std::size_t slash = out.rfind('/');
            out.erase(slash == std::string::npos ? 0 : slash);
        } else if (path == "." || path == "..") {
            path = {};
        } else {
            const std::size_t next = path.find('/', path.front() == '/' ? 1 : 0);
            out.append(path.substr(0, next));
            path = next == std::string_view::npos ? std::string_view() : path.substr(next);
        }
    }
    return out;
}

std::string_view without_fragment(std::string_view s) { return s.substr(0, s.find('#')); }

}  // namespace

namespace {

// Appends "host" or "host:port" (IPv6 in brackets) to `out`.
void append_authority(std::string& out, const Url& url) {
    if (url.is_ipv6())
        out.append("[").append(url.host).append("]");
    else
        out.append(url.host);
    if (!url.default_port()) {
        char digits[8];
        const auto end = std::to_chars(digits, digits + sizeof digits, url.port).ptr;
        out.append(":").append(digits, static_cast<std::size_t>(end - digits));
    }
}

}  // namespace

// Each built in one allocation: they are asked for every request.
std::string Url::authority() const {
    std::string out;
    out.reserve(host.size() + 8);
    append_authority(out, *this);
    return out;
}

std::string Url::origin() const {
    std::string out;
    out.reserve(scheme.size() + host.size() + 11);
    out.append(scheme).append("://");
    append_authority(out, *this);
    return out;
}

std::string Url::str() const {
    std::string out;
    out.reserve(scheme.size() + host.size() + target.size() + 11);
    out.append(scheme).append("://");
    append_authority(out, *this);
    out.append(target);
    return out;
}

std::optional<Url> parse_url(std::string_view text, std::string& error) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
        text.remove_suffix(1);
    for (const char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            error = "the URL contains a control character";
            return std::nullopt;
        }
    }
    const std::size_t scheme_end = scheme_length(text);
    if (scheme_end == 0 || text.substr(scheme_end, 3) != "://") {
        error = "not an absolute http or https URL";
        return std::nullopt;
    }
    Url url;
    for (const char c : text.substr(0, scheme_end))
        url.scheme += ascii_lower(c);
    if (url.scheme != "http" && url.scheme != "https") {
        error = "unsupported scheme '" + url.scheme + "'";
        return std::nullopt;
    }
    std::string_view rest = without_fragment(text.substr(scheme_end + 3));
    const std::size_t authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    const std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        url.userinfo = encode_target(authority.substr(0, at));
        authority.remove_prefix(at + 1);
    }
    std::string_view host;
    std::string_view port;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "an IPv6 address without its closing ']'";
            return std::nullopt;
        }
        host = authority.substr(1, close - 1);
        for (const char c : host) {
            if (hex_value(c) < 0 && c != ':' && c != '.') {
                error = "invalid IPv6 address '" + std::string(host) + "'";
                return std::nullopt;
            }
        }
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            error = "unexpected characters after the IPv6 address";
            return std::nullopt;
        }
        port = after.empty() ? after : after.substr(1);
    } else {
        const std::size_t colon = authority.rfind(':');
        host = authority.substr(0, colon);
        port = colon == std::string_view::npos ? std::string_view() : authority.substr(colon + 1);
        for (const char c : host) {
            if (static_cast<unsigned char>(c) >= 0x80) {
                error = "a non-ASCII host name needs its IDNA (punycode) form";
                return std::nullopt;
            }
            if (!is(c, reg_name_char)) {
                error = "invalid character in host '" + std::string(host) + "'";
                return std::nullopt;
            }
        }
    }
    if (host.empty()) {
        error = "the URL has no host";
        return std::nullopt;
    }
    for (const char c : host)
        url.host += ascii_lower(c);
    url.port = url.scheme == "https" ? 443 : 80;
    if (!port.empty()) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
            error = "invalid port '" + std::string(port) + "'";
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(value);
    }
    url.target.clear();
    if (target.empty() || target.front() == '?')
        url.target.push_back('/');
    url.target.append(encode_target(target));
    return url;
}

std::optional<Url> resolve_url(const Url& base, std::string_view reference, std::string& error) {
    reference = without_fragment(reference);
    while (!reference.empty() && (reference.front() == ' ' || reference.front() == '\t'))
        reference.remove_prefix(1);
    if (scheme_length(reference) > 0)
        return parse_url(reference, error);
    if (reference.starts_with("//"))
        return parse_url(base.scheme + ":" + std::string(reference), error);
    Url url = base;
    if (reference.empty())
        return url;
    const std::string_view base_path = std::string_view(base.target).substr(0, base.target.find('?'));
    std::string merged;
    if (reference.front() == '/') {
        merged = std::string(reference);
    } else if (reference.front() == '?') {
        merged = std::string(base_path) + std::string(reference);
    } else {
        merged = std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(reference);
    }
    const std::size_t query = merged.find('?');
    const std::string dotless = remove_dot_segments(std::string_view(merged).substr(0, query));
    std::string path;
    if (dotless.empty() || dotless.front() != '/')
        path.push_back('/');
    path.append(dotless);
    if (query != std::string::npos)
        path.append(merged, query);
    url.target = encode_target(path);
    (void)error;
    return url;
}

}  // namespace http::detail
