// http::Router: routes by method and path pattern, as a tree of segments.
#pragma once

#include <http/failure.hpp>
#include <http/files.hpp>
#include <http/status.hpp>
#include <http/request.hpp>
#include <http/response.hpp>
#include <http/task.hpp>
#include <http/websocket.hpp>

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <http/detail/function.hpp>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace http {

namespace detail {
class LoopMetrics;
struct RouterAccess;
}

/// What router.websocket() agrees to in a handshake.
struct WebSocketOptions {
    /// The subprotocols the route speaks, in its order of preference: the first the client
    /// offers (Sec-WebSocket-Protocol) is agreed (ws.subprotocol()); none offered, none agreed.
    std::vector<std::string> subprotocols;
};

/// A registered route, as Router::route() and its kin return it, with what the OpenAPI document
/// says of it (<http/openapi.hpp>): what it does, the failures it may answer with, the media types
/// of the content it takes and gives.
///
///     router.put("/notes/{id}", update)
///         .summary("Replace a note")
///         .fails({http::NOT_FOUND, http::PRECONDITION_FAILED})
///         .accepts("application/json")
///         .produces("application/json");
class Route {
public:
    /// One line on what the route does.
    Route& summary(std::string text);
    /// Failures its handler (or its middleware) may throw, each documented with the problem body
    /// and the header fields the dataset ties to the status. Throws std::invalid_argument for a
    /// status that is not an error (4xx or 5xx). Statuses add up across calls.
    Route& fails(std::initializer_list<Status> statuses);
    /// A media type of the content it takes ("application/json"); several calls, several types.
    /// Throws std::invalid_argument for text that is not type/subtype.
    Route& accepts(std::string_view media_type);
    /// A media type of the content it answers with; as accepts().
    Route& produces(std::string_view media_type);

    /// The pattern, with its group's prefix: "/api/v1/notes/{id}".
    const std::string& pattern() const noexcept { return pattern_; }
    /// The methods it was registered for, in order ("*" for any()).
    const std::vector<std::string>& methods() const noexcept { return methods_; }
    const std::string& summary() const noexcept { return summary_; }
    const std::vector<Status>& fails() const noexcept { return fails_; }
    const std::vector<std::string>& accepts() const noexcept { return accepts_; }
    const std::vector<std::string>& produces() const noexcept { return produces_; }
    /// True for a router.websocket() route (GET, and CONNECT for HTTP/2).
    bool websocket() const noexcept { return websocket_; }

private:
    friend class Router;
    friend class detail::LoopMetrics;
    std::uint32_t label_ = 0;  // its pattern's number among the metrics' route labels
    std::string pattern_;
    std::vector<std::string> methods_;
    std::string summary_;
    std::vector<Status> fails_;
    std::vector<std::string> accepts_;
    std::vector<std::string> produces_;
    bool websocket_ = false;
};

struct OpenApiInfo;  // <http/openapi.hpp>

class Router {
public:
    using Handler = std::function<void(Request&, Response&)>;
    using Middleware = std::function<void(Request&, Response&, const std::function<void()>& next)>;
    /// A coroutine handler: while it waits (co_await) it holds no thread.
    using AsyncHandler = std::function<Task<>(Request&, Response&)>;
    /// A coroutine middleware: co_await next() runs the rest of the chain.
    using AsyncMiddleware = std::function<Task<>(Request&, Response&, std::function<Task<>()> next)>;

    Router();
    /// Copies share the routes.
    Router(const Router& other);
    Router& operator=(const Router& other);
    Router(Router&&) noexcept = default;
    Router& operator=(Router&&) noexcept = default;

    /// Adds a route. Throws std::invalid_argument for a malformed pattern, or one that
    /// conflicts with a route already there (the same method and pattern, or a pattern that
    /// matches the same paths: "/users/{id}" and "/users/{name}"), naming both.
    Route& route(std::string_view method, std::string_view pattern, Handler handler);
    /// The same route for several methods: route({"GET", "POST"}, "/search", fn). Each method is
    /// one token: "GET,POST" as one string throws std::invalid_argument, as does a method twice;
    /// a conflict for any of them adds none.
    Route& route(std::initializer_list<std::string_view> methods, std::string_view pattern, Handler handler);
    Route& get(std::string_view pattern, Handler handler) { return route("GET", pattern, std::move(handler)); }
    Route& post(std::string_view pattern, Handler handler) { return route("POST", pattern, std::move(handler)); }
    Route& put(std::string_view pattern, Handler handler) { return route("PUT", pattern, std::move(handler)); }
    Route& patch(std::string_view pattern, Handler handler) { return route("PATCH", pattern, std::move(handler)); }
    Route& del(std::string_view pattern, Handler handler) { return route("DELETE", pattern, std::move(handler)); }
    /// A route for every method (one registered for a method of its own goes first).
    Route& any(std::string_view pattern, Handler handler) { return route("*", pattern, std::move(handler)); }

    /// The same for coroutine handlers (returning http::Task<>), which run on the server's loop
    /// and hold no thread while they wait.
    template <TaskHandler F>
    Route& route(std::string_view method, std::string_view pattern, F handler) {
        return add({method}, pattern, nullptr, AsyncHandler(std::move(handler)));
    }
    template <TaskHandler F>
    Route& route(std::initializer_list<std::string_view> methods, std::string_view pattern, F handler) {
        return add(methods, pattern, nullptr, AsyncHandler(std::move(handler)));
    }
    template <TaskHandler F>
    Route& get(std::string_view pattern, F handler) { return route("GET", pattern, std::move(handler)); }
    template <TaskHandler F>
    Route& post(std::string_view pattern, F handler) { return route("POST", pattern, std::move(handler)); }
    template <TaskHandler F>
    Route& put(std::string_view pattern, F handler) { return route("PUT", pattern, std::move(handler)); }
    template <TaskHandler F>
    Route& patch(std::string_view pattern, F handler) { return route("PATCH", pattern, std::move(handler)); }
    template <TaskHandler F>
    Route& del(std::string_view pattern, F handler) { return route("DELETE", pattern, std::move(handler)); }
    template <TaskHandler F>
    Route& any(std::string_view pattern, F handler) { return route("*", pattern, std::move(handler)); }

    /// Middleware for every request this router (or group) handles, in the order added; a
    /// group's runs after its parent's. It calls next() to go on, or answers by itself.
    /// A route whose content is not buffered: when a request's head is in, `start` runs (with
    /// req.params set) and returns the sink that gets the content a piece at a time as it
    /// arrives (on the I/O thread; it may block as a handler may); the route's `handler` runs
    /// when it has all come, with req.body empty. An upload of any size takes constant memory:
    /// max_body_size does not apply (the body rate and timeouts do). State the two share goes
    /// in req.locals. A Failure thrown by either is the response. Needs server.on_receive(router)
    /// with the Router itself (not wrapped in another function), which also installs on_body.
    ///
    ///     router.stream_body("PUT", "/files/{name}",
    ///         [](http::Request& req) -> http::BodySink {
    ///             auto out = std::make_shared<std::ofstream>(dir / req.params.at("name"));
    ///             return [out](std::string_view piece) { out->write(piece.data(), piece.size()); };
    ///         },
    ///         [](http::Request&, http::Response& res) { res.status = http::CREATED; });
    Route& stream_body(std::string_view method, std::string_view pattern, std::function<BodySink(Request&)> start,
                        Handler handler);

    /// The sink of the stream_body() route matching `req`, or none (the body is buffered).
    BodySink start_body(Request& req) const;

    Router& use(Middleware middleware);
    /// A coroutine middleware: `co_await next()` runs the rest of the chain. A plain middleware
    /// in a chain with a coroutine (a coroutine handler or middleware after it) sees its next()
    /// return when the rest has ended or first waits; what the rest throws after it has waited
    /// reaches the middleware outside (or the server), not this one.
    template <TaskMiddleware F>
    Router& use(F middleware) {
        return use_async(AsyncMiddleware(std::move(middleware)));
    }

    /// A group of routes under `prefix` ("/api/v1"), with middleware of its own. The reference
    /// stays valid as long as the router does.
    Router& group(std::string_view prefix);

    /// A WebSocket at `pattern` (RFC 6455): the route's middleware runs first (a Failure there
    /// refuses the handshake with its status), then the handshake is checked (426 with
    /// Sec-WebSocket-Version: 13 for another version or a request that asks for no upgrade, 400
    /// for a bad key), a subprotocol and permessage-deflate (server.websocket_compression) are
    /// agreed, and `handler` runs with the new WebSocket before the 101 goes out: what it sends
    /// follows the 101. A Failure it throws refuses the handshake. See <http/websocket.hpp>.
    ///
    ///     router.websocket("/echo", [](http::Request&, http::WebSocket ws) {
    ///         ws.on_message([](http::WebSocket& ws, const http::Message& m) { ws.send(m.data, m.binary); });
    ///     });
    Route& websocket(std::string_view pattern, std::function<void(Request&, WebSocket)> handler,
                      WebSocketOptions options = {});

    /// Serves the files under `directory` at `prefix` (GET and HEAD), as send_file() does:
    /// conditional and range requests, no way out of the directory. See FileOptions
    /// (<http/files.hpp>).
    Router& files(std::string_view prefix, std::filesystem::path directory, FileOptions options = {});

    /// Every route registered, the groups' too, in the order registered.
    std::vector<const Route*> routes() const;

    /// The OpenAPI 3.1 document of the routes, as an nlohmann::json: include <http/openapi.hpp>
    /// (which needs nlohmann-json) to call it. router.openapi({.title = "Notes", .version = "1.0"})
    template <class Info = OpenApiInfo>
    auto openapi(const Info& info) const;

    /// Dispatches a request: the server calls it. A coroutine handler is driven to its end on
    /// this thread (http::run()).
    void operator()(Request& req, Response& res) const;
    /// Dispatches a request as a Task, which is done already (it has no coroutine) unless the
    /// route's handler or a middleware of its chain is a coroutine.
    Task<> serve(Request& req, Response& res) const;

    struct State;
    struct Scope;

private:
    friend struct detail::RouterAccess;
    Router(State* state, Scope* scope) noexcept : state_(state), scope_(scope) {}
    void no_route(Request& req, Response& res) const;  // 404, 405, OPTIONS, trailing slash
    Route& add(std::initializer_list<std::string_view> methods, std::string_view pattern, Handler handler,
               AsyncHandler async);
    Router& use_async(AsyncMiddleware middleware);

    std::shared_ptr<State> owner_;  // null in the groups the state holds (no cycle)
    State* state_;
    Scope* scope_;  // this router's or group's prefix and middleware, owned by the state
};

}  // namespace http
