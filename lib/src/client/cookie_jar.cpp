#include <http/cookie_jar.hpp>
#include <http/date.hpp>

#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"
#include "proto/url/url.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace http {

namespace {

using WallClock = std::chrono::system_clock;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool is_ip_address(std::string_view host) {
    return host.find(':') != std::string_view::npos ||
           (!host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos);
}

// Section 5.1.3.
bool domain_match(std::string_view host, std::string_view domain) {
    if (host == domain)
        return true;
    return !is_ip_address(host) && host.size() > domain.size() && host.ends_with(domain) &&
           host[host.size() - domain.size() - 1] == '.';
}

// Section 5.1.4.
bool path_match(std::string_view request_path, std::string_view cookie_path) {
    if (request_path == cookie_path)
        return true;
    return request_path.starts_with(cookie_path) &&
           (cookie_path.ends_with('/') || request_path[cookie_path.size()] == '/');
}

std::string request_path(const detail::Url& url) { return url.target.substr(0, url.target.find('?')); }

// The default-path of Section 5.1.4: the request path up to its last '/', or "/".
std::string default_path(const detail::Url& url) {
    const std::string path = request_path(url);
    const std::size_t last = path.rfind('/');
    if (path.empty() || path.front() != '/' || last == 0 || last == std::string::npos)
        return "/";
    return path.substr(0, last);
}

bool expired(const CookieJar::Entry& entry, WallClock::time_point now) { return entry.expires && *entry.expires <= now; }

// Parses one Set-Cookie value (Section 5.2) and decides whether to store it (Section 5.3).
std::optional<CookieJar::Entry> parse_set_cookie(std::string_view text, const detail::Url& url, WallClock::time_point now) {
    const std::size_t semicolon = text.find(';');
    const std::string_view pair = text.substr(0, semicolon);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos)
        return std::nullopt;
    CookieJar::Entry entry;
    entry.name = trim(pair.substr(0, equals));
    entry.value = trim(pair.substr(equals + 1));
    if (!detail::is_token(entry.name) || !detail::is_field_value(entry.value))
        return std::nullopt;
    std::optional<WallClock::time_point> expires, max_age;
    std::string domain;
    std::string path;
    std::string_view rest = semicolon == std::string_view::npos ? std::string_view() : text.substr(semicolon + 1);
    while (!rest.empty()) {
        const std::size_t end = rest.find(';');
        const std::string_view attribute = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        const std::size_t eq = attribute.find('=');
        const std::string name = detail::ascii_lower(trim(attribute.substr(0, eq)));
        const std::string_view value = eq == std::string_view::npos ? std::string_view() : trim(attribute.substr(eq + 1));
        if (name == "expires") {
            if (const auto when = parse_http_date(value))
                expires = *when;
        } else if (name == "max-age") {
            long long seconds = 0;
            const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
            if (!value.empty() && error == std::errc{} && ptr == value.data() + value.size())
                max_age = seconds <= 0 ? WallClock::time_point::min()
                                       : now + std::chrono::seconds(std::min<long long>(seconds, 400LL * 86400));
        } else if (name == "domain") {
            std::string_view d = value;
            if (d.starts_with('.'))
                d.remove_prefix(1);
            if (!d.empty())
                domain = detail::ascii_lower(d);
        } else if (name == "path") {
            if (value.starts_with('/'))
                path = value;
        } else if (name == "secure") {
            entry.secure = true;
        } else if (name == "httponly") {
            entry.http_only = true;
        }
    }
    entry.expires = max_age ? max_age : expires;  // Max-Age wins over Expires
    const std::string host = detail::ascii_lower(url.host);
    if (!domain.empty()) {
        // No public suffix list: a single label ("com", "localhost") counts as one.
        if (domain.find('.') == std::string::npos && !is_ip_address(domain)) {
            if (domain != host)
                return std::nullopt;
            domain.clear();
        } else if (!domain_match(host, domain)) {
            return std::nullopt;
        }
    }
    entry.host_only = domain.empty();
    entry.domain = domain.empty() ? host : domain;
    entry.path = path.empty() ? default_path(url) : path;
    if (entry.secure && url.scheme != "https")
        return std::nullopt;  // a secure cookie is taken from a secure origin only
    entry.created = now;
    return entry;
}

}  // namespace

void CookieJar::store(std::string_view url_text, const std::vector<std::string>& set_cookie_values) {
    std::string error;
    const auto url = detail::parse_url(url_text, error);
    if (!url)
        return;
    const auto now = WallClock::now();
    std::lock_guard lock(mutex_);
    for (const std::string& text : set_cookie_values) {
        std::optional<Entry> entry = parse_set_cookie(text, *url, now);
        if (!entry)
            continue;
        const auto same = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
            return e.name == entry->name && e.domain == entry->domain && e.path == entry->path;
        });
        if (same != entries_.end()) {
            entry->created = same->created;  // the original creation time is kept
            entries_.erase(same);
        }
        if (!expired(*entry, now))  // an expiry in the past only removes
            entries_.push_back(std::move(*entry));
    }
}

std::string CookieJar::cookie_header(std::string_view url_text) const {
    std::string error;
    const auto url = detail::parse_url(url_text, error);
    if (!url)
        return {};
    const std::string host = detail::ascii_lower(url->host);
    const std::string path = request_path(*url);
    const auto now = WallClock::now();
    std::vector<const Entry*> matching;
    std::lock_guard lock(mutex_);
    for (const Entry& e : entries_) {
        if (expired(e, now) || (e.secure && url->scheme != "https"))
            continue;
        if (e.host_only ? host != e.domain : !domain_match(host, e.domain))
            continue;
        if (path_match(path, e.path))
            matching.push_back(&e);
    }
    // Longer paths first, then the older (Section 5.4, step 2).
    std::stable_sort(matching.begin(), matching.end(), [](const Entry* a, const Entry* b) {
        return a->path.size() != b->path.size() ? a->path.size() > b->path.size() : a->created < b->created;
    });
    std::string header;
    for (const Entry* e : matching) {
        if (!header.empty())
            header += "; ";
        header += e->name;
        header += '=';
        header += e->value;
    }
    return header;
}

std::vector<CookieJar::Entry> CookieJar::entries() const {
    const auto now = WallClock::now();
    std::lock_guard lock(mutex_);
    std::vector<Entry> out;
    for (const Entry& e : entries_)
        if (!expired(e, now))
            out.push_back(e);
    return out;
}

void CookieJar::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

void CookieJar::load(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("http::CookieJar: cannot read " + path.string());
    const auto now = WallClock::now();
    std::vector<Entry> loaded;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        Entry entry;
        std::string_view view = line;
        if (view.starts_with("#HttpOnly_")) {
            entry.http_only = true;
            view.remove_prefix(10);
        } else if (view.empty() || view.front() == '#') {
            continue;
        }
        std::vector<std::string_view> fields;
        for (std::size_t start = 0;;) {
            const std::size_t tab = view.find('\t', start);
            fields.push_back(view.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
            if (tab == std::string_view::npos)
                break;
            start = tab + 1;
        }
        if (fields.size() != 7)
            continue;
        std::string_view domain = fields[0];
        if (domain.starts_with('.'))
            domain.remove_prefix(1);
        long long expiry = 0;
        if (std::from_chars(fields[4].data(), fields[4].data() + fields[4].size(), expiry).ec != std::errc{})
            continue;
        entry.domain = detail::ascii_lower(domain);
        entry.host_only = fields[1] != "TRUE";
        entry.path = fields[2].empty() ? "/" : std::string(fields[2]);
        entry.secure = fields[3] == "TRUE";
        if (expiry > 0)
            entry.expires = WallClock::time_point(std::chrono::seconds(expiry));
        entry.name = fields[5];
        entry.value = fields[6];
        entry.created = now;
        if (entry.domain.empty() || entry.name.empty() || expired(entry, now))
            continue;
        loaded.push_back(std::move(entry));
    }
    std::lock_guard lock(mutex_);
    for (Entry& entry : loaded) {
        std::erase_if(entries_, [&](const Entry& e) {
            return e.name == entry.name && e.domain == entry.domain && e.path == entry.path;
        });
        entries_.push_back(std::move(entry));
    }
}

void CookieJar::save(const std::filesystem::path& path) const {
    std::ostringstream out;
    out << "# Netscape HTTP Cookie File\n# Written by httpkit; the format curl reads with -b.\n\n";
    for (const Entry& e : entries()) {
        const long long expiry =
            e.expires ? std::chrono::duration_cast<std::chrono::seconds>(e.expires->time_since_epoch()).count() : 0;
        out << (e.http_only ? "#HttpOnly_" : "") << (e.host_only ? "" : ".") << e.domain << '\t'
            << (e.host_only ? "FALSE" : "TRUE") << '\t' << e.path << '\t' << (e.secure ? "TRUE" : "FALSE") << '\t' << expiry
            << '\t' << e.name << '\t' << e.value << '\n';
    }
    std::ofstream file(path, std::ios::trunc);
    file << out.str();
    if (!file.flush())
        throw std::runtime_error("http::CookieJar: cannot write " + path.string());
}

}  // namespace http
