// The router's matching, for the library's tests.
#pragma once

#include <http/router.hpp>

namespace http::detail {

struct RouterAccess {
    /// The route `router` matches for the request's method and path (req.params and req.route
    /// set), or null: as Router::serve() matches, or by the general search alone
    /// (`search_only`), which the quick match of a literal path must agree with.
    static const Route* match(const Router& router, Request& req, bool search_only);
};

}  // namespace http::detail
