#include "proto/cookies/cookies.hpp"

#include <http/date.hpp>
#include "proto/parser/char_class.hpp"

#include <http/cookie.hpp>

#include <algorithm>
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

void collect_cookies(std::string_view header, std::vector<CookiePair>& pairs) {
    for_each_cookie(header, [&](std::string_view name, std::string_view value) {
        pairs.push_back({name, value, static_cast<std::uint32_t>(pairs.size())});
    });
}

void replace_cookies(std::vector<CookiePair>& pairs, Fields& cookies, std::vector<Fields::node_type>& spare) {
    // By name, and a name's first pair first: the one whose value stays.
    std::sort(pairs.begin(), pairs.end(), [](const CookiePair& a, const CookiePair& b) {
        const int order = a.name.compare(b.name);
        return order != 0 ? order < 0 : a.order < b.order;
    });
    // The map and the pairs, both by name, walked together.
    auto it = cookies.begin();
    auto drop = [&] {  // the name at `it` has gone
        const auto next = std::next(it);
        spare.push_back(cookies.extract(it));
        it = next;
    };
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const CookiePair& pair = pairs[i];
        if (i > 0 && pair.name == pairs[i - 1].name)
            continue;  // a repeated name: the first value stays
        int order = 1;
        while (it != cookies.end() && (order = std::string_view(it->first).compare(pair.name)) < 0)
            drop();
        if (it != cookies.end() && order == 0) {
            it->second.assign(pair.value);
            ++it;
        } else if (spare.empty()) {
            cookies.emplace_hint(it, pair.name, pair.value);
        } else {
            Fields::node_type node = std::move(spare.back());
            spare.pop_back();
            node.key().assign(pair.name);
            node.mapped().assign(pair.value);
            cookies.insert(it, std::move(node));
        }
    }
    while (it != cookies.end())
        drop();
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
