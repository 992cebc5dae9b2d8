// A rate limit as middleware: so many requests per client key in each window of time, then 429
// Too Many Requests, with the fields that tell a client where it stands.
//
//     router.use(http::rate_limit({.limit = 100, .window = std::chrono::seconds(60)}));
//
// Every answer carries RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers:
// `RateLimit-Policy: "default";q=100;w=60`, `RateLimit: "default";r=37;t=23`, the requests left
// and the seconds until the window ends); a refused request gets http::TooManyRequests with
// Retry-After, a problem body, and the same fields (failures keep what middleware set).
#pragma once

#include <http/request.hpp>
#include <http/router.hpp>

#include <http/detail/chrono.hpp>
#include <cstddef>
#include <http/detail/function.hpp>
#include <string>

namespace http {

struct RateLimitOptions {
    std::size_t limit = 100;             ///< requests per window and key
    std::chrono::seconds window{60};     ///< fixed windows, from the limiter's start
    /// The client's key: req.ip when empty (behind a proxy, the client's, with trusted_proxies).
    std::function<std::string(const Request&)> key{};
    /// How many keys are followed at once: the memory is fixed (16 bytes a key) whatever the
    /// number of clients. Past it, a new key takes the place of the key of its set with the
    /// fewest requests in the window (4 keys to a set), so that a client near its limit is not
    /// forgotten because many others came.
    std::size_t max_keys = 65536;
};

/// The middleware; copies share one count. Throws std::invalid_argument for a limit or a window
/// of 0.
Router::Middleware rate_limit(RateLimitOptions options);

}  // namespace http
