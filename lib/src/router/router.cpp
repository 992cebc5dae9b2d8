// The router: a tree of path segments. Each node has literal children (sorted, for binary
// search), at most one parameter child and at most one rest-parameter child; precedence is the
// order the matcher tries them in (literal, parameter, rest), with backtracking, so the order
// of registration never matters.
#include <http/failure.hpp>
#include <http/methods.hpp>
#include <http/router.hpp>

#include "files/send_file.hpp"
#include "server/websocket.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/url/percent.hpp"
#include "router/router_access.hpp"
#include "server/reuse.hpp"
#include "server/metrics.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

namespace http {

struct Router::Scope {
    struct Entry {  // one middleware: plain or a coroutine
        Middleware plain;
        AsyncMiddleware async;
    };
    std::string prefix;  // "/api/v1", or empty for the root
    std::vector<Entry> middleware;
    const Scope* parent = nullptr;
};

namespace {

// What a node keeps for one method of a route.
struct Endpoint {
    Router::Handler handler;               // a plain one, or
    Router::AsyncHandler async;            // a coroutine
    std::function<BodySink(Request&)> start_body;  // a stream_body() route's
    const Router::Scope* scope;            // whose middleware runs before it
    const Route* route;                    // as routes() lists it: req.route
    std::string pattern;                   // as registered, with its group's prefix, for messages
    std::vector<std::string> param_names;  // of its parameters, in path order
};

// Literal segments are ordered by length first: most comparisons then stop at the length.
bool shorter_or_before(std::string_view a, std::string_view b) noexcept {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
}

struct Node {
    std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;  // by shorter_or_before
    // For each length up to the longest literal's + 1, the index of the first literal at least
    // that long: the literals of a segment's length, without a search.
    std::vector<std::uint32_t> first_of_length;
    std::unique_ptr<Node> param;  // its name is each route's own: /a/{x} and /a/{y}/b may share it
    std::unique_ptr<Node> rest;   // a leaf: the rest of the path
    std::vector<std::pair<std::string, Endpoint>> methods;  // a few per node: searched in turn

    /// The child for the literal `segment`, added if there is none.
    Node& add_literal(const std::string& segment) {
        auto it = std::lower_bound(literals.begin(), literals.end(), segment,
                                   [](const auto& entry, std::string_view s) { return shorter_or_before(entry.first, s); });
        if (it != literals.end() && it->first == segment)
            return *it->second;
        Node& child = *literals.emplace(it, segment, std::make_unique<Node>())->second;
        const std::size_t longest = literals.back().first.size();
        first_of_length.assign(longest + 2, 0);
        std::uint32_t first = 0;
        for (std::size_t length = 0; length < first_of_length.size(); ++length) {
            while (first < literals.size() && literals[first].first.size() < length)
                ++first;
            first_of_length[length] = first;
        }
        return child;
    }
    Node* literal(std::string_view segment) const noexcept {
        const std::size_t n = segment.size();
        if (n + 1 >= first_of_length.size())
            return nullptr;  // longer than any (or there are none)
        for (std::uint32_t i = first_of_length[n]; i < first_of_length[n + 1]; ++i)
            if (detail::same_bytes(literals[i].first.data(), segment.data(), n))
                return literals[i].second.get();
        return nullptr;
    }
    const Endpoint* method(std::string_view name) const noexcept {
        for (const auto& [method_name, route] : methods)
            if (method_name == name)
                return &route;
        return nullptr;
    }
};

// The path's segments as the matcher walks them: "/a/b/" -> "a", "b", "" (a trailing slash is
// an empty last segment, so "/docs" and "/docs/" are different paths).
void split(std::string_view path, std::vector<std::string_view>& segments) {
    segments.clear();
    if (path.starts_with('/'))
        path.remove_prefix(1);
    while (true) {
        const std::size_t slash = path.find('/');
        segments.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos)
            return;
        path.remove_prefix(slash + 1);
    }
}

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> segments;
    split(path, segments);
    return segments;
}

struct Match {
    const Node* node = nullptr;
    std::vector<std::string_view> params;  // raw values, in path order
};

// Finds the first node, in precedence order, that the segments lead to and that `accept`
// takes; backtracks through parameters and rest parameters.
template <class Accept>
bool find(const Node& node, const std::vector<std::string_view>& segments, std::size_t at, Match& match,
          const Accept& accept) {
    if (at == segments.size()) {
        if (!node.methods.empty() && accept(node)) {
            match.node = &node;
            return true;
        }
        return false;
    }
    const std::string_view segment = segments[at];
    if (const Node* child = node.literal(segment); child && find(*child, segments, at + 1, match, accept))
        return true;
    if (node.param && !segment.empty()) {
        match.params.push_back(segment);
        if (find(*node.param, segments, at + 1, match, accept))
            return true;
        match.params.pop_back();
    }
    if (node.rest && !node.rest->methods.empty() && !segment.empty() && accept(*node.rest)) {
        // The rest of the path, raw, from this segment on.
        const char* begin = segment.data();
        const char* end = segments.back().data() + segments.back().size();
        match.params.emplace_back(begin, static_cast<std::size_t>(end - begin));
        match.node = node.rest.get();
        return true;
    }
    return false;
}

// Fills `params` with the decoded values, reusing its map nodes (and their strings' storage): a
// connection's Request is reused request after request, so routing allocates nothing in the
// steady state.
void set_params(Fields& params, const std::vector<std::string>& names, const std::vector<std::string_view>& raw) {
    thread_local std::vector<Fields::node_type> spare;
    while (!params.empty())
        spare.push_back(params.extract(params.begin()));
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (spare.empty()) {
            params.insert_or_assign(names[i], detail::percent_decode(raw[i]));
            continue;
        }
        Fields::node_type node = std::move(spare.back());
        spare.pop_back();
        node.key() = names[i];
        if (raw[i].find('%') == std::string_view::npos)
            node.mapped().assign(raw[i]);
        else
            node.mapped() = detail::percent_decode(raw[i]);
        params.insert(std::move(node));
    }
    if (spare.size() > 16)
        spare.resize(16);
}

const Endpoint* route_for(const Node& node, std::string_view method) {
    if (const Endpoint* route = node.method(method))
        return route;
    if (method == "HEAD")
        if (const Endpoint* route = node.method("GET"))
            return route;
    return node.method("*");
}

// Allow for a path: every method any matching node takes, with HEAD where GET is and OPTIONS.
std::string allowed_methods(const Node& root, const std::vector<std::string_view>& segments) {
    std::set<std::string> methods{"OPTIONS"};
    Match match;
    find(root, segments, 0, match, [&](const Node& node) {
        for (const auto& [method, route] : node.methods) {
            methods.insert(method);
            if (method == "GET")
                methods.insert("HEAD");
        }
        return false;  // keep looking: every matching node counts
    });
    std::string allow;
    for (const std::string& method : methods)
        allow += (allow.empty() ? "" : ", ") + method;
    return allow;
}

// The segments of a pattern, checked: "{name}" parameters, a final "{name...}".
struct PatternSegment {
    enum Kind { literal, param, rest } kind;
    std::string text;  // the literal, or the parameter's name
};

std::vector<PatternSegment> parse_pattern(std::string_view pattern) {
    if (!pattern.starts_with('/'))
        throw std::invalid_argument("http::Router: pattern '" + std::string(pattern) + "' does not start with '/'");
    std::vector<PatternSegment> out;
    const std::vector<std::string_view> segments = split(pattern);
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string_view s = segments[i];
        auto bad = [&](const char* why) {
            return std::invalid_argument("http::Router: pattern '" + std::string(pattern) + "': " + why);
        };
        if (!s.starts_with('{')) {
            if (s.find_first_of("{}") != std::string_view::npos)
                throw bad("a parameter must be a whole segment, {name}");
            out.push_back({PatternSegment::literal, std::string(s)});
            continue;
        }
        if (!s.ends_with('}'))
            throw bad("a parameter must be a whole segment, {name}");
        std::string_view name = s.substr(1, s.size() - 2);
        const bool rest = name.ends_with("...");
        if (rest)
            name.remove_suffix(3);
        if (name.find(':') != std::string_view::npos)
            throw bad("a parameter is {name}, with no type or rule after ':' (read it typed with req.param<T>(name))");
        if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            }))
            throw bad("a parameter needs a name of letters, digits and '_'");
        if (rest && i + 1 != segments.size())
            throw bad("a rest parameter {name...} must be the last segment");
        for (const PatternSegment& earlier : out)
            if (earlier.kind != PatternSegment::literal && earlier.text == name)
                throw bad("the same parameter name twice");
        out.push_back({rest ? PatternSegment::rest : PatternSegment::param, std::string(name)});
    }
    return out;
}

std::string join_prefix(std::string_view prefix, std::string_view pattern) {
    if (prefix.empty())
        return std::string(pattern);
    std::string joined(prefix);
    if (joined.ends_with('/'))
        joined.pop_back();
    return joined + std::string(pattern == "/" ? "" : pattern);
}

}  // namespace

struct Router::State {
    Node root;
    std::deque<Scope> scopes;    // stable addresses: routes and groups point at them
    std::deque<Router> groups;   // they do not own the state (that would be a cycle)
    std::weak_ptr<State> self;   // for a copy of a group, which must own it
    std::deque<Route> routes;    // as registered, for routes() and the OpenAPI document
    Endpoint* last_added = nullptr; // for stream_body(), right after route()
};

Router::Router() : owner_(std::make_shared<State>()), state_(owner_.get()) {
    state_->self = owner_;
    scope_ = &state_->scopes.emplace_back();
}

Router::Router(const Router& other)
    : owner_(other.owner_ ? other.owner_ : other.state_->self.lock()), state_(other.state_), scope_(other.scope_) {}

Router& Router::operator=(const Router& other) {
    if (this != &other)
        *this = Router(other);
    return *this;
}

Router& Router::use(Middleware middleware) {
    if (!middleware)
        throw std::invalid_argument("http::Router: an empty middleware");
    scope_->middleware.push_back({std::move(middleware), {}});
    return *this;
}

Router& Router::use_async(AsyncMiddleware middleware) {
    if (!middleware)
        throw std::invalid_argument("http::Router: an empty middleware");
    scope_->middleware.push_back({{}, std::move(middleware)});
    return *this;
}

Router& Router::group(std::string_view prefix) {
    if (!prefix.starts_with('/') || prefix.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("http::Router: group prefix '" + std::string(prefix) +
                                    "' must start with '/' and hold no parameter");
    Scope& scope = state_->scopes.emplace_back();
    scope.prefix = join_prefix(scope_->prefix, prefix);
    scope.parent = scope_;
    return state_->groups.emplace_back(Router(state_, &scope));  // not owning: see State
}

Route& Route::summary(std::string text) {
    summary_ = std::move(text);
    return *this;
}

Route& Route::fails(std::initializer_list<Status> statuses) {
    for (const Status status : statuses) {
        if (!is_error(status))
            throw std::invalid_argument("http::Route: " + pattern_ + " fails with " + std::string(code_text(status)) +
                                        ", which is not an error status (4xx or 5xx)");
        if (std::find(fails_.begin(), fails_.end(), status) == fails_.end())
            fails_.push_back(status);
    }
    return *this;
}

namespace {

// "type/subtype", each a token, parameters after ';' allowed.
std::string checked_media_type(std::string_view media_type, const std::string& pattern) {
    const std::string_view essence = detail::trim_ows(media_type.substr(0, media_type.find(';')));
    const std::size_t slash = essence.find('/');
    if (slash == std::string_view::npos || !detail::is_token(essence.substr(0, slash)) ||
        !detail::is_token(essence.substr(slash + 1)))
        throw std::invalid_argument("http::Route: " + pattern + ": '" + std::string(media_type) +
                                    "' is not a media type (type/subtype)");
    return std::string(detail::trim_ows(media_type));
}

}  // namespace

Route& Route::accepts(std::string_view media_type) {
    accepts_.push_back(checked_media_type(media_type, pattern_));
    return *this;
}

Route& Route::produces(std::string_view media_type) {
    produces_.push_back(checked_media_type(media_type, pattern_));
    return *this;
}

Route& Router::route(std::string_view method, std::string_view pattern, Handler handler) {
    return add({method}, pattern, std::move(handler), nullptr);
}

Route& Router::route(std::initializer_list<std::string_view> methods, std::string_view pattern, Handler handler) {
    return add(methods, pattern, std::move(handler), nullptr);
}

Route& Router::add(std::initializer_list<std::string_view> methods, std::string_view pattern, Handler handler,
                   AsyncHandler async) {
    const std::string full = join_prefix(scope_->prefix, pattern);
    if (methods.size() == 0)
        throw std::invalid_argument("http::Router: " + full + " has no method");
    for (auto method = methods.begin(); method != methods.end(); ++method) {
        // A token ("*": any()); "GET,POST" or "GET POST" is not one.
        if (!detail::is_token(*method))
            throw std::invalid_argument("http::Router: '" + std::string(*method) + "' is not a method (for " + full +
                                        "): one a string; several as route({\"GET\", \"POST\"}, pattern, handler)");
        if (std::find(methods.begin(), method, *method) != method)
            throw std::invalid_argument("http::Router: " + std::string(*method) + " twice for " + full);
    }
    if (!handler && !async)
        throw std::invalid_argument("http::Router: an empty handler for " + full);
    Node* node = &state_->root;
    std::vector<std::string> param_names;
    for (const PatternSegment& segment : parse_pattern(full)) {
        switch (segment.kind) {
        case PatternSegment::literal:
            node = &node->add_literal(segment.text);
            break;
        case PatternSegment::param:
        case PatternSegment::rest: {
            std::unique_ptr<Node>& child = segment.kind == PatternSegment::rest ? node->rest : node->param;
            if (!child)
                child = std::make_unique<Node>();
            node = child.get();
            param_names.push_back(segment.text);
            break;
        }
        }
    }
    // The same node is the same paths, whatever the parameters are called. All are checked before
    // any is added: a refused registration adds nothing.
    for (const std::string_view method : methods)
        if (const Endpoint* existing = node->method(method))
            throw std::invalid_argument("http::Router: " + std::string(method) + " " + full + " conflicts with " +
                                        std::string(method) + " " + existing->pattern +
                                        ", registered before: they match the same paths");
    Route& added = state_->routes.emplace_back();
    added.pattern_ = full;
    added.methods_.assign(methods.begin(), methods.end());
    added.label_ = detail::LoopMetrics::route_label(full);
    for (const std::string_view method : methods)
        node->methods.emplace_back(std::string(method), Endpoint{handler, async, {}, scope_, &added, full, param_names});
    state_->last_added = &node->methods.back().second;
    return added;
}

std::vector<const Route*> Router::routes() const {
    std::vector<const Route*> all;
    for (const Route& route : state_->routes)
        all.push_back(&route);
    return all;
}

Route& Router::stream_body(std::string_view method, std::string_view pattern, std::function<BodySink(Request&)> start,
                           Handler handler) {
    if (!start)
        throw std::invalid_argument("http::Router: an empty body sink for " + std::string(pattern));
    Route& added = route(method, pattern, std::move(handler));
    state_->last_added->start_body = std::move(start);
    return added;
}

namespace {

// The node the path's segments lead to through literal children alone (split() and find()'s
// way), or null: the first node find() reaches.
const Node* literal_node(const Node& root, std::string_view path) noexcept {
    if (path.starts_with('/'))
        path.remove_prefix(1);
    const Node* node = &root;
    while (true) {
        const std::size_t slash = path.find('/');
        node = node->literal(path.substr(0, slash));
        if (!node || slash == std::string_view::npos)
            return node;
        path.remove_prefix(slash + 1);
    }
}

// The route for the request's method and path, with req.params set; null if none. Unless
// `search_only`, a path of literal segments whose node takes the method is answered first, with
// no split and no search: find() tries that node before any other, so it would answer the same.
const Endpoint* match_route(const Node& root, Request& req, bool search_only = false) {
    if (!search_only)
        if (const Node* node = literal_node(root, req.path))
            if (const Endpoint* route = route_for(*node, req.method)) {
                if (!req.params.empty())
                    req.params.clear();
                req.route = route->route;
                return route;
            }
    // Reused per thread: matching allocates nothing once they have grown.
    thread_local std::vector<std::string_view> segments;
    thread_local Match match;
    split(req.path, segments);
    match.node = nullptr;
    match.params.clear();
    find(root, segments, 0, match, [&](const Node& node) { return route_for(node, req.method) != nullptr; });
    if (!match.node)
        return nullptr;
    const Endpoint* route = route_for(*match.node, req.method);
    set_params(req.params, route->param_names, match.params);
    req.route = route->route;
    return route;
}

}  // namespace

const Route* detail::RouterAccess::match(const Router& router, Request& req, bool search_only) {
    const Endpoint* route = match_route(router.state_->root, req, search_only);
    return route ? route->route : nullptr;
}

BodySink Router::start_body(Request& req) const {
    const Endpoint* route = match_route(state_->root, req);
    return route && route->start_body ? route->start_body(req) : BodySink();
}

Route& Router::websocket(std::string_view pattern, std::function<void(Request&, WebSocket)> handler,
                         WebSocketOptions options) {
    // GET for HTTP/1.1's upgrade, CONNECT for HTTP/2's extended CONNECT (RFC 8441): one handler.
    auto accept = [handler = std::move(handler), options = std::move(options)](Request& req, Response& res) {
        detail::accept_websocket(req, res, options.subprotocols, handler);
    };
    Route& added = route({"GET", "CONNECT"}, pattern, std::move(accept));
    added.websocket_ = true;
    return added;
}

Router& Router::files(std::string_view prefix, std::filesystem::path directory, FileOptions options) {
    std::error_code error;
    std::filesystem::path root = std::filesystem::canonical(directory, error);
    if (error || !std::filesystem::is_directory(root, error))
        throw std::invalid_argument("http::Router: cannot serve '" + directory.string() + "': not a directory");
    std::string base(prefix);
    if (base.ends_with('/'))
        base.pop_back();
    Handler serve = [served = std::make_shared<const detail::ServedDirectory>(std::move(root)), options = std::move(options),
                     skip = join_prefix(scope_->prefix, base).size()](Request& req, Response& res) {
        detail::serve_directory(req, res, *served, std::string_view(req.path).substr(skip), options);
    };
    get(base + "/{path...}", serve);
    get(base + "/", std::move(serve));
    return *this;
}

namespace {

// A request's way through middleware that include a coroutine, to its handler.
struct Chain {
    std::vector<const Router::Scope::Entry*> middleware;  // outermost first
    const Endpoint* route;                                // null: no route matched
    std::function<void()> no_route;
};

Task<> run_chain(std::shared_ptr<const Chain> chain, std::size_t index, Request& req, Response& res) {
    if (index == chain->middleware.size()) {
        if (!chain->route)
            chain->no_route();
        else if (chain->route->async) {
            Task<> handler = chain->route->async(req, res);
            co_await std::move(handler);
        } else
            chain->route->handler(req, res);
        co_return;
    }
    const Router::Scope::Entry& entry = *chain->middleware[index];
    if (entry.async) {
        // (Named, not temporaries of the co_await expression: GCC 12 destroys some of those twice.)
        std::function<Task<>()> next = [chain, index, &req, &res] { return run_chain(chain, index + 1, req, res); };
        Task<> middleware = entry.async(req, res, std::move(next));
        co_await std::move(middleware);
        co_return;
    }
    // A plain middleware: its next() runs the rest until it ends (what it threw comes out of
    // next(), as without coroutines) or first waits; then this coroutine waits for it.
    Task<> rest;
    bool called = false;
    std::exception_ptr thrown;
    try {
        entry.plain(req, res, [&] {
            if (called)
                return;  // called twice: the rest runs once
            called = true;
            rest = run_chain(chain, index + 1, req, res);
            detail::TaskAccess::start(rest);
            if (detail::TaskAccess::done(rest)) {
                Task<> ended = std::move(rest);
                detail::TaskAccess::take(ended);
            }
        });
    } catch (...) {
        thrown = std::current_exception();  // (no co_await in a handler)
    }
    if (thrown && !detail::TaskAccess::done(rest)) {
        // It threw after next() while the rest waits: the rest ends first (its frame holds the
        // wait), and what it throws is dropped for what the middleware threw.
        try {
            co_await std::move(rest);
        } catch (...) {
        }
    }
    if (thrown)
        std::rethrow_exception(thrown);
    co_await std::move(rest);
}

}  // namespace

Task<> Router::serve(Request& req, Response& res) const {
    const Endpoint* route = match_route(state_->root, req);
    const Scope* scope = route ? route->scope : scope_;
    if (route && !scope->parent && scope->middleware.empty()) {
        // The common case, with nothing in between.
        if (route->async)
            return route->async(req, res);
        route->handler(req, res);
        return {};
    }
    // The middleware of the scope and its parents, outermost first.
    std::vector<const Scope::Entry*> chain;
    bool async = route && route->async;
    for (const Scope* s = scope; s; s = s->parent)
        for (auto it = s->middleware.rbegin(); it != s->middleware.rend(); ++it) {
            chain.push_back(&*it);
            async = async || it->async;
        }
    std::reverse(chain.begin(), chain.end());
    if (async)
        return run_chain(std::make_shared<const Chain>(Chain{std::move(chain), route, [this, &req, &res] { no_route(req, res); }}),
                         0, req, res);

    std::function<void()> finish = route ? std::function<void()>([&] { route->handler(req, res); })
                                         : std::function<void()>([&] { no_route(req, res); });
    std::size_t next_index = 0;
    std::function<void()> next = [&] {
        if (next_index == chain.size()) {
            finish();
            return;
        }
        chain[next_index++]->plain(req, res, next);
    };
    next();
    return {};
}

void Router::operator()(Request& req, Response& res) const {
    Task<> task = serve(req, res);
    if (!detail::TaskAccess::done(task))
        run(std::move(task));
}

void Router::no_route(Request& req, Response& res) const {
    // A method outside the HTTP Method Registry that no route takes is one this server does not
    // implement at all (RFC 9110, Section 9.1): 501, whatever the path. A registered one is 405
    // where the path exists.
    if (!method_from_name(req.method))
        throw NotImplemented("the method " + req.method + " is not implemented");
    const State& state = *state_;
    const std::vector<std::string_view> segments = split(req.path);
    const std::string allow = allowed_methods(state.root, segments);
    if (allow != "OPTIONS") {  // the path exists, for other methods
        if (req.method == "OPTIONS") {
            res.status = Status::NO_CONTENT;
            res.headers.set("Allow", allow);
            return;
        }
        throw MethodNotAllowed(detail::split_list({allow}));
    }
    // The other form of a path registered with (or without) a trailing slash.
    std::vector<std::string_view> other = segments;
    if (other.size() > 1 && other.back().empty())
        other.pop_back();
    else
        other.push_back({});
    Match alternative;
    if (find(state.root, other, 0, alternative, [](const Node&) { return true; })) {
        std::string location = req.path.ends_with('/') ? req.path.substr(0, req.path.size() - 1) : req.path + "/";
        if (location.empty())
            location = "/";
        if (const std::size_t query = req.request_uri.find('?'); query != std::string::npos)
            location += req.request_uri.substr(query);
        res.redirect(std::move(location), Status::PERMANENT_REDIRECT);
        return;
    }
    throw NotFound();
}

}  // namespace http
