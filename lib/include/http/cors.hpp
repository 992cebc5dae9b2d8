// Cross-origin requests from browsers (the Fetch standard's CORS protocol) as middleware:
//
//     router.use(http::cors({.origins = {"https://app.example"}, .methods = {"PUT", "DELETE"},
//                            .headers = {"Content-Type", "Authorization"}, .expose = {"ETag"}}));
//
// A request whose Origin is allowed gets Access-Control-Allow-Origin (and -Credentials,
// -Expose-Headers) before the handler runs, so that its failures carry them too: the page can
// read a problem body. A preflight (OPTIONS with Access-Control-Request-Method) is answered for
// a route that exists only (the router's own OPTIONS, or the application's), with the method and
// headers asked for when they are allowed; a path with no route stays a 404, and the browser
// sends nothing. Every answer says Vary: Origin. An origin not allowed gets no CORS field: the
// browser keeps the response from the page.
#pragma once

#include <http/router.hpp>

#include <http/detail/chrono.hpp>
#include <string>
#include <vector>

namespace http {

struct CorsOptions {
    /// Origins allowed, as a browser sends them ("https://app.example", scheme, host and any
    /// port); "*" for any (not with credentials).
    std::vector<std::string> origins{};
    /// Methods a preflight may ask for; empty: those of the route (its Allow field).
    std::vector<std::string> methods{};
    /// Request header fields a preflight may ask for (any case); "*" for any (not with
    /// credentials). The CORS-safelisted ones need not be named.
    std::vector<std::string> headers{};
    /// Response header fields the page may read beyond the safelisted ones.
    std::vector<std::string> expose{};
    /// Cookies and HTTP authentication with the requests: Access-Control-Allow-Credentials.
    bool credentials = false;
    /// How long a browser may keep a preflight's answer.
    std::chrono::seconds max_age{600};
};

/// The middleware. Throws std::invalid_argument for "*" with credentials (the Fetch standard
/// does not allow it) or an origin that is not scheme://host[:port].
Router::Middleware cors(CorsOptions options);

}  // namespace http
