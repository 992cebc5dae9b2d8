#include "proto/cookies/cookies.hpp"

#include <http/date.hpp>
#include "proto/parser/char_class.hpp"

#include <http/cookie.hpp>

#include <stdexcept>

namespace http {

namespace detail {

namespace {

/// Calls add(name, value) for each name=value pair of a Cookie header, quotes removed, pairs
/// without a name skipped.
template <class Add>
void for_each_cookie(std::string_view header, Add&& add) {
    while (!header.empty()) {
        const std::size_t semicolon = header.find(';');
        const std::string_view pair = trim_ows(header.substr(0, semicolon));
        const std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && eq > 0) {
            const std::string_view name = trim_ows(pair.substr(0, eq));
            std::string_view value = trim_ows(pair.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            if (!name.empty())
                add(name, value);
        }
        if (semicolon == std::string_view::npos)
            break;
        header.remove_prefix(semicolon + 1);
    }
}

}  // namespace

void parse_cookie_header(std::string_view header, Fields& cookies) {
    for_each_cookie(header, [&](std::string_view name, std::string_view value) {
        cookies.try_emplace(std::string(name), value);
    });
}

void parse_cookie_header(std::string_view header, Fields& cookies, std::vector<Fields::node_type>& spare) {
    for_each_cookie(header, [&](std::string_view name, std::string_view value) {
        if (spare.empty()) {
            cookies.try_emplace(std::string(name), value);
            return;
        }
        Fields::node_type node = std::move(spare.back());
        spare.pop_back();
        node.key().assign(name);
        node.mapped().assign(value);
        if (auto result = cookies.insert(std::move(node)); !result.inserted)
            spare.push_back(std::move(result.node));  // the name came before: the first value stays
    });
}

namespace {

void check_attribute(std::string_view what, std::string_view value) {
    for (const char c : value)
        if (c == ';' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            throw std::invalid_argument("http::Cookie: " + std::string(what) + " contains ';' or a control character");
}

}  // namespace

}  // namespace detail

std::string Cookie::to_set_cookie() const {
    using namespace detail;
    if (!is_token(name))
        throw std::invalid_argument("http::Cookie: name '" + name + "' is not a token");
    std::string_view raw = value;
    if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"')
        raw = raw.substr(1, raw.size() - 2);
    for (const char c : raw)
        if (!is(c, cookie_octet))
            throw std::invalid_argument("http::Cookie: value of '" + name + "' has a byte a cookie cannot carry");
    check_attribute("Domain", domain);
    check_attribute("Path", path);
    check_attribute("Expires", expires);
    check_attribute("extras", extras);

    const bool host_prefix = name.starts_with("__Host-");
    const bool must_be_secure = host_prefix || name.starts_with("__Secure-");
    if (host_prefix && !domain.empty())
        throw std::invalid_argument("http::Cookie: a __Host- cookie cannot have a Domain");
    if (host_prefix && !path.empty() && path != "/")
        throw std::invalid_argument("http::Cookie: a __Host- cookie must have Path=/");

    std::string line = name + "=" + value;
    if (!domain.empty())
        line += "; Domain=" + domain;
    if (!path.empty() || host_prefix)
        line += "; Path=" + (path.empty() ? std::string("/") : path);
    if (expires_at)
        line += "; Expires=" + format_http_date(*expires_at);
    else if (!expires.empty())
        line += "; Expires=" + expires;
    if (max_age)
        line += "; Max-Age=" + std::to_string(max_age->count());
    if (secure || must_be_secure || same_site == "None")
        line += "; Secure";
    if (http_only)
        line += "; HttpOnly";
    if (!same_site.empty()) {
        if (same_site != "Strict" && same_site != "Lax" && same_site != "None")
            throw std::invalid_argument("http::Cookie: SameSite must be Strict, Lax or None, not '" + same_site + "'");
        line += "; SameSite=" + same_site;
    }
    if (!extras.empty())
        line += "; " + extras;
    return line;
}

}  // namespace http
