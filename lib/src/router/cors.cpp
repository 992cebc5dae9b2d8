#include <http/cors.hpp>

#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace http {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view value, bool any_case) {
    return std::any_of(list.begin(), list.end(), [&](const std::string& item) {
        return any_case ? iequals(item, value) : item == value;
    });
}

std::string joined(const std::vector<std::string>& list) {
    std::string out;
    for (const std::string& item : list)
        out.append(out.empty() ? "" : ", ").append(item);
    return out;
}

// An origin as a browser serializes it: scheme "://" host [":" port], nothing after.
bool valid_origin(std::string_view origin) {
    const std::size_t scheme_end = origin.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0)
        return false;
    const std::string_view rest = origin.substr(scheme_end + 3);
    return !rest.empty() && rest.find_first_of("/?#") == std::string_view::npos &&
           std::all_of(origin.begin(), origin.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// Request header fields a page may send without asking (the Fetch standard's CORS-safelisted
// request headers, by name).
bool safelisted_request_header(std::string_view name) {
    return iequals(name, "accept") || iequals(name, "accept-language") || iequals(name, "content-language") ||
           iequals(name, "content-type") || iequals(name, "range");
}

struct Policy {
    CorsOptions options;
    bool any_origin = false;
    bool any_header = false;
    std::string expose;
    std::string max_age;
};

}  // namespace

Router::Middleware cors(CorsOptions given) {
    auto policy = std::make_shared<Policy>();
    policy->any_origin = contains(given.origins, "*", false);
    policy->any_header = contains(given.headers, "*", false);
    if (given.credentials && (policy->any_origin || policy->any_header))
        throw std::invalid_argument("http::cors: \"*\" cannot be used with credentials (the Fetch standard: a "
                                    "credentialed response names its origin and headers)");
    for (const std::string& origin : given.origins)
        if (origin != "*" && !valid_origin(origin))
            throw std::invalid_argument("http::cors: '" + origin + "' is not an origin (scheme://host[:port])");
    policy->expose = joined(given.expose);
    policy->max_age = std::to_string(given.max_age.count());
    policy->options = std::move(given);

    return [policy](Request& req, Response& res, const std::function<void()>& next) {
        const CorsOptions& options = policy->options;
        detail::add_vary(res.headers, "Origin");
        const std::string origin(req.headers.get("Origin"));
        if (origin.empty() || !(policy->any_origin || contains(options.origins, origin, false))) {
            next();  // not a cross-origin request, or not one allowed: no CORS field
            return;
        }
        // "*" only where no credentials go; otherwise the origin itself (then Vary: Origin).
        const std::string allowed_origin = policy->any_origin && !options.credentials ? "*" : origin;
        const std::string_view asked_method = req.headers.get("Access-Control-Request-Method");
        if (req.method != "OPTIONS" || asked_method.empty()) {
            // An actual request: the fields go on before the handler, so a failure keeps them.
            res.headers.set("Access-Control-Allow-Origin", allowed_origin);
            if (options.credentials)
                res.headers.set("Access-Control-Allow-Credentials", "true");
            if (!policy->expose.empty())
                res.headers.set("Access-Control-Expose-Headers", policy->expose);
            next();
            return;
        }
        // A preflight: the route answers OPTIONS (a 404 for a path with no route ends here).
        detail::add_vary(res.headers, "Access-Control-Request-Method");
        detail::add_vary(res.headers, "Access-Control-Request-Headers");
        next();
        if (static_cast<unsigned>(res.status) / 100 != 2)
            return;
        // Methods are case-sensitive (RFC 9110, Section 9.1).
        bool method_allowed = false;
        if (!options.methods.empty()) {
            method_allowed = contains(options.methods, asked_method, false);
        } else if (const std::string_view allow = res.headers.get("Allow"); allow.empty()) {
            method_allowed = true;  // the application's own OPTIONS, which names none
        } else {
            detail::for_each_list_element(allow, [&](std::string_view m) { method_allowed = method_allowed || m == asked_method; });
        }
        bool headers_allowed = true;
        const std::string asked_headers = detail::joined_values(req.headers, "Access-Control-Request-Headers");
        detail::for_each_list_element(asked_headers, [&](std::string_view name) {
            headers_allowed = headers_allowed && (policy->any_header || safelisted_request_header(name) ||
                                                  contains(options.headers, name, true));
        });
        if (!method_allowed || !headers_allowed)
            return;  // answered, but without the fields: the browser does not send the request
        res.headers.set("Access-Control-Allow-Origin", allowed_origin);
        if (options.credentials)
            res.headers.set("Access-Control-Allow-Credentials", "true");
        res.headers.set("Access-Control-Allow-Methods", std::string(asked_method));
        if (!asked_headers.empty())
            res.headers.set("Access-Control-Allow-Headers", asked_headers);
        res.headers.set("Access-Control-Max-Age", policy->max_age);
    };
}

}  // namespace http
