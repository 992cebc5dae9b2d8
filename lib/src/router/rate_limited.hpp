// The 429 that http::rate_limit() refuses a request with: a TooManyRequests of its own type, so
// that the server running the middleware counts it (httpkit_rate_limited_total) where a failure
// becomes a response, with no handle on the server in the middleware.
#pragma once

#include <http/failure.hpp>

namespace http::detail {

class RateLimited final : public TooManyRequests {
public:
    using TooManyRequests::TooManyRequests;
};

}  // namespace http::detail
