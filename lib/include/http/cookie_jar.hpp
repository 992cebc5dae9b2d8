// http::CookieJar: cookies a client keeps between requests (RFC 6265, Section 5).
#pragma once

#include <http/detail/chrono.hpp>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace http {

/// The cookies a client was given, sent back where they belong:
///
///     auto jar = std::make_shared<http::CookieJar>();
///     client.cookie_jar = jar;          // every request of the client stores and sends
///     jar->load("cookies.txt");         // curl's cookie file (-b / -c)
///
/// Storage and sending follow RFC 6265 Section 5: Domain (a cookie for a parent domain is sent to
/// its subdomains; without Domain, to the same host only), Path, Secure (sent over https only,
/// and only taken from https), Max-Age and Expires (Max-Age wins), a cookie replaced by one with
/// the same name, domain and path, the most specific path first. Without a public suffix list, a
/// Domain of a single label ("com", "localhost") is taken as a public suffix: accepted only from
/// that very host, as a host-only cookie. Thread-safe.
class CookieJar {
public:
    struct Entry {
        std::string name;
        std::string value;
        std::string domain;  ///< lower-case, without a leading dot
        std::string path;
        bool host_only = true;  ///< sent to `domain` only, not its subdomains
        bool secure = false;
        bool http_only = false;
        /// None: a session cookie, kept until the jar goes.
        std::optional<std::chrono::system_clock::time_point> expires;
        std::chrono::system_clock::time_point created;
    };

    /// Takes the Set-Cookie field values of a response to `url`; a value that cannot be stored
    /// (malformed, a Domain the host does not belong to, Secure over http) is ignored, as the RFC
    /// says.
    void store(std::string_view url, const std::vector<std::string>& set_cookie_values);
    /// The Cookie field value for a request to `url` ("a=1; b=2"); empty if no cookie applies.
    std::string cookie_header(std::string_view url) const;

    /// The cookies that have not expired.
    std::vector<Entry> entries() const;
    void clear();

    /// Adds the cookies of a file in curl's format ("Netscape HTTP Cookie File": domain,
    /// subdomains TRUE/FALSE, path, secure TRUE/FALSE, expiry in Unix seconds or 0, name, value;
    /// "#HttpOnly_" before the domain). Lines it cannot read are skipped. Throws
    /// std::runtime_error if the file cannot be read.
    void load(const std::filesystem::path& path);
    /// Writes the unexpired cookies in that format (session cookies with expiry 0, as curl).
    /// Throws std::runtime_error if the file cannot be written.
    void save(const std::filesystem::path& path) const;

private:
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
};

}  // namespace http
