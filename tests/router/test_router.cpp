// http::Router on its own: every matching rule, conflicts, automatic answers, middleware, groups.
#include <http/router.hpp>

#include "router/router_access.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace {

struct Outcome {
    int status = 0;
    std::string body;
    std::string detail;  // a failure's message
    http::Headers headers;
    http::Fields params;
};

// Sends `method path` through the router as the server would, failures included.
Outcome dispatch(const http::Router& router, std::string_view method, std::string_view target) {
    http::Request req;
    req.method = std::string(method);
    req.request_uri = std::string(target);
    req.path = std::string(target.substr(0, target.find('?')));
    http::Response res;
    Outcome out;
    try {
        router(req, res);
        out.status = static_cast<int>(res.status);
        out.body = res.body;
        out.headers = res.headers;
    } catch (const http::Failure& failure) {
        out.status = static_cast<int>(failure.status());
        out.headers = failure.headers();
        out.detail = failure.what();
    }
    out.params = req.params;
    return out;
}

http::Router::Handler says(std::string text) {
    return [text = std::move(text)](http::Request& req, http::Response& res) {
        res.body = text;
        for (const auto& [name, value] : req.params)
            res.body += " " + name + "=" + value;
    };
}

// The message of the std::invalid_argument that registering `pattern` throws, or "" if none.
std::string refusal(std::string_view pattern) {
    try {
        http::Router r;
        r.get(pattern, [](http::Request&, http::Response&) {});
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

template <class T>
http::Router::Handler typed(std::string name) {
    return [name = std::move(name)](http::Request& req, http::Response& res) {
        if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>)
            res.body = std::string(req.param<T>(name));
        else
            res.body = std::to_string(req.param<T>(name));
    };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(literal_beats_parameter_beats_rest_whatever_the_order) {
    // Registered least specific first, and most specific first: the same answers.
    for (const bool reversed : {false, true}) {
        http::Router r;
        std::vector<std::pair<std::string, std::string>> routes = {
            {"/files/{path...}", "rest"}, {"/files/{name}", "param"}, {"/files/readme", "literal"},
            {"/files/{name}/raw", "param-raw"}};
        if (reversed)
            std::reverse(routes.begin(), routes.end());
        for (const auto& [pattern, text] : routes)
            r.get(pattern, says(text));
        BOOST_TEST_CONTEXT("reversed " << reversed) {
            BOOST_TEST(dispatch(r, "GET", "/files/readme").body == "literal");
            BOOST_TEST(dispatch(r, "GET", "/files/other").body == "param name=other");
            BOOST_TEST(dispatch(r, "GET", "/files/a/raw").body == "param-raw name=a");
            BOOST_TEST(dispatch(r, "GET", "/files/a/b/c").body == "rest path=a/b/c");
            BOOST_TEST(dispatch(r, "GET", "/files/readme/raw").body == "param-raw name=readme");  // backtracks
        }
    }
}

BOOST_AUTO_TEST_CASE(parameters_are_decoded_after_matching) {
    http::Router r;
    r.get("/users/{id}", says("user"));
    r.get("/users/{id}/posts/{post}", says("post"));
    r.get("/static/{path...}", says("static"));
    BOOST_TEST(dispatch(r, "GET", "/users/a%2Fb").body == "user id=a/b");  // %2F stays inside one parameter
    BOOST_TEST(dispatch(r, "GET", "/users/caf%C3%A9/posts/7").body == "post id=caf\xc3\xa9 post=7");
    BOOST_TEST(dispatch(r, "GET", "/static/css/a%20b.css").body == "static path=css/a b.css");
    BOOST_TEST(dispatch(r, "GET", "/users/").status == 404);  // a parameter is never empty
    BOOST_TEST(dispatch(r, "GET", "/static/").status == 404);  // nor is a rest parameter
    BOOST_TEST(dispatch(r, "GET", "/users/x?sort=1").body == "user id=x");
}

BOOST_AUTO_TEST_CASE(method_not_allowed_options_and_head) {
    http::Router r;
    r.get("/items", says("list"));
    r.post("/items", says("create"));
    r.del("/items/{id}", says("delete"));
    const Outcome put = dispatch(r, "PUT", "/items");
    BOOST_TEST(put.status == 405);
    BOOST_TEST(put.headers.get("Allow") == "GET, HEAD, OPTIONS, POST");
    const Outcome options = dispatch(r, "OPTIONS", "/items/7");
    BOOST_TEST(options.status == 204);
    BOOST_TEST(options.headers.get("Allow") == "DELETE, OPTIONS");
    BOOST_TEST(dispatch(r, "HEAD", "/items").body == "list");  // the GET handler; the server sends no content
    BOOST_TEST(dispatch(r, "GET", "/nothing").status == 404);
    BOOST_TEST(dispatch(r, "OPTIONS", "/nothing").status == 404);
    r.route("OPTIONS", "/items", says("own options"));
    BOOST_TEST(dispatch(r, "OPTIONS", "/items").body == "own options");
    r.route("PURGE", "/items", says("purged"));  // any token is a method
    BOOST_TEST(dispatch(r, "PURGE", "/items").body == "purged");
    r.any("/items", says("any"));  // every other method
    BOOST_TEST(dispatch(r, "PUT", "/items").body == "any");
    BOOST_TEST(dispatch(r, "GET", "/items").body == "list");
}

BOOST_AUTO_TEST_CASE(the_other_form_of_a_trailing_slash_redirects) {
    http::Router r;
    r.get("/docs/", says("docs"));
    r.get("/about", says("about"));
    const Outcome to_slash = dispatch(r, "GET", "/docs?page=2");
    BOOST_TEST(to_slash.status == 308);
    BOOST_TEST(to_slash.headers.get("Location") == "/docs/?page=2");
    const Outcome from_slash = dispatch(r, "GET", "/about/");
    BOOST_TEST(from_slash.status == 308);
    BOOST_TEST(from_slash.headers.get("Location") == "/about");
    BOOST_TEST(dispatch(r, "GET", "/docs/").body == "docs");
}

BOOST_AUTO_TEST_CASE(conflicts_are_refused_naming_both) {
    http::Router r;
    r.get("/users/{id}", says("a"));
    try {
        r.get("/users/{id}", says("b"));
        BOOST_FAIL("the same method and pattern twice must throw");
    } catch (const std::invalid_argument& e) {
        BOOST_TEST(std::string(e.what()) ==
                   "http::Router: GET /users/{id} conflicts with GET /users/{id}, registered before: they match the same paths");
    }
    try {
        r.get("/users/{name}", says("c"));
        BOOST_FAIL("two patterns matching the same paths must throw");
    } catch (const std::invalid_argument& e) {
        BOOST_TEST(std::string(e.what()) ==
                   "http::Router: GET /users/{name} conflicts with GET /users/{id}, registered before: they match the same paths");
    }
    // Another method, with its own parameter names; and patterns that share a prefix only.
    r.post("/users/{name}", says("d"));
    r.get("/users/{user}/repos", says("e"));
    BOOST_TEST(dispatch(r, "POST", "/users/ada").body == "d name=ada");
    BOOST_TEST(dispatch(r, "GET", "/users/ada").body == "a id=ada");
    BOOST_TEST(dispatch(r, "GET", "/users/ada/repos").body == "e user=ada");
    BOOST_CHECK_THROW(r.get("users", says("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.get("/a/{x...}/b", says("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.get("/a/x{y}", says("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.get("/a/{}", says("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.get("/a/{x}/{x}", says("x")), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(middleware_in_order_and_per_group) {
    http::Router r;
    std::vector<std::string> trace;
    auto mark = [&trace](std::string name) {
        return [&trace, name](http::Request&, http::Response&, const std::function<void()>& next) {
            trace.push_back(name + ">");
            next();
            trace.push_back("<" + name);
        };
    };
    r.use(mark("a"));
    r.use(mark("b"));
    http::Router& api = r.group("/api");
    api.use(mark("api"));
    http::Router& v1 = api.group("/v1");
    v1.use(mark("v1"));
    v1.get("/ping", says("pong"));
    r.get("/", says("home"));
    BOOST_TEST(dispatch(r, "GET", "/api/v1/ping").body == "pong");
    BOOST_TEST((trace == std::vector<std::string>{"a>", "b>", "api>", "v1>", "<v1", "<api", "<b", "<a"}));
    trace.clear();
    BOOST_TEST(dispatch(r, "GET", "/").body == "home");
    BOOST_TEST((trace == std::vector<std::string>{"a>", "b>", "<b", "<a"}));
    trace.clear();
    BOOST_TEST(dispatch(r, "GET", "/missing").status == 404);  // the root's middleware sees it
    BOOST_TEST((trace == std::vector<std::string>{"a>", "b>"}));
    // A middleware that answers by itself.
    http::Router guarded;
    guarded.use([](http::Request& req, http::Response&, const std::function<void()>& next) {
        if (!req.headers.contains("Authorization"))
            throw http::Unauthorized(R"(Bearer realm="api")");
        next();
    });
    guarded.get("/secret", says("secret"));
    const Outcome refused = dispatch(guarded, "GET", "/secret");
    BOOST_TEST(refused.status == 401);
    BOOST_TEST(refused.headers.get("WWW-Authenticate") == R"(Bearer realm="api")");
}

BOOST_AUTO_TEST_CASE(copies_share_their_routes) {
    http::Router r;
    const http::Router copy = r;  // as server.on_receive(router) keeps one
    r.get("/late", says("late"));
    http::Router& group = r.group("/g");
    group.get("/x", says("gx"));
    BOOST_TEST(dispatch(copy, "GET", "/late").body == "late");
    BOOST_TEST(dispatch(copy, "GET", "/g/x").body == "gx");
    // A copy of a group outlives the router it came from.
    http::Router group_copy = group;
    r = http::Router();
    BOOST_TEST(dispatch(group_copy, "GET", "/g/x").body == "gx");
}

BOOST_AUTO_TEST_CASE(a_method_outside_the_registry_is_501_unless_a_route_takes_it) {
    http::Router router;
    router.get("/a", says("a"));
    router.route("PURGE", "/cache", says("purged"));  // not registered, but routed: it is implemented
    BOOST_TEST(dispatch(router, "BREW", "/a").status == 501);
    BOOST_TEST(dispatch(router, "BREW", "/nowhere").status == 501);
    BOOST_TEST(dispatch(router, "get", "/a").status == 501);  // methods are case-sensitive
    const Outcome registered = dispatch(router, "PROPFIND", "/a");  // registered (WebDAV): 405
    BOOST_TEST(registered.status == 405);
    BOOST_TEST(registered.headers.get("Allow") == "GET, HEAD, OPTIONS");
    BOOST_TEST(dispatch(router, "QUERY", "/nowhere").status == 404);
    const Outcome purged = dispatch(router, "PURGE", "/cache");
    BOOST_TEST(purged.status == 200);
    BOOST_TEST(purged.body == "purged");
}

BOOST_AUTO_TEST_CASE(a_literal_path_is_matched_as_the_search_matches_it) {
    // The quick match of a path of literal segments against the general search, on routes where
    // a literal, a parameter, a rest parameter, another method or a trailing slash compete.
    http::Router r;
    for (const char* pattern : {"/", "/plaintext", "/a", "/a/", "/a/b", "/a/{x}", "/a/{x}/c", "/a/b/{rest...}",
                                "/files/{path...}", "/files/readme", "/users/{id}", "/users/me/settings", "/ab",
                                "/ba", "/x/y/z"})
        r.get(pattern, says(pattern));
    r.post("/a/b/c", says("post"));
    r.post("/posted", says("posted"));
    r.any("/any/thing", says("any"));
    r.route("HEAD", "/head-only", says("head"));
    http::Router& group = r.group("/g");
    group.get("/", says("group root"));
    group.get("/{id}", says("group id"));
    group.del("/item", says("group delete"));
    const char* paths[] = {"/", "", "//", "/plaintext", "/plaintext/", "/a", "/a/", "/a//", "/a/b", "/a/b/", "/a/b/c",
                           "/a/b/c/d", "/a/z", "/a/z/c", "/files", "/files/", "/files/readme", "/files/readme/x",
                           "/files/other", "/users/me", "/users/me/settings", "/users/me/other", "/ab", "/ba", "/b",
                           "/x/y", "/x/y/z", "/x/y/z/", "/posted", "/any/thing", "/any", "/head-only", "/g", "/g/",
                           "/g/item", "/g/other", "*", "plaintext"};
    for (const char* method : {"GET", "HEAD", "POST", "DELETE", "PUT", "PATCH"})
        for (const char* path : paths) {
            BOOST_TEST_CONTEXT(method << " " << path) {
                http::Request quick;
                quick.method = method;
                quick.path = path;
                quick.params["stale"] = "x";  // the request before's: matching replaces them
                http::Request searched = quick;
                const http::Route* matched = http::detail::RouterAccess::match(r, quick, false);
                BOOST_TEST(matched == http::detail::RouterAccess::match(r, searched, true));
                BOOST_TEST(quick.route == searched.route);
                BOOST_TEST((quick.params == searched.params));
                if (matched)
                    BOOST_TEST(quick.route == matched);
            }
        }
    // Each literal pattern is found as itself, among literals of its length and of others.
    for (const char* pattern : {"/", "/plaintext", "/a", "/a/", "/a/b", "/files/readme", "/users/me/settings", "/ab",
                                "/ba", "/x/y/z"}) {
        http::Request req;
        req.method = "GET";
        req.path = pattern;
        BOOST_TEST_CONTEXT(pattern) {
            BOOST_REQUIRE(http::detail::RouterAccess::match(r, req, false));
            BOOST_TEST(req.route->pattern() == pattern);
            BOOST_TEST(req.params.empty());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(router_api)

BOOST_AUTO_TEST_CASE(typed_parameters) {
    http::Router r;
    r.get("/int/{id}", typed<int>("id"));
    r.get("/u64/{id}", typed<std::uint64_t>("id"));
    r.get("/u8/{id}", typed<std::uint8_t>("id"));
    r.get("/i16/{id}", typed<std::int16_t>("id"));
    r.get("/double/{x}", typed<double>("x"));
    r.get("/float/{x}", typed<float>("x"));
    r.get("/string/{s}", typed<std::string>("s"));
    r.get("/view/{s}", typed<std::string_view>("s"));
    r.get("/rest/{path...}", typed<std::string>("path"));
    r.get("/wrong-name/{id}", typed<int>("ID"));  // names are case-sensitive

    BOOST_TEST(dispatch(r, "GET", "/int/42").body == "42");
    BOOST_TEST(dispatch(r, "GET", "/int/-42").body == "-42");
    BOOST_TEST(dispatch(r, "GET", "/int/007").body == "7");
    BOOST_TEST(dispatch(r, "GET", "/int/2147483647").body == "2147483647");
    BOOST_TEST(dispatch(r, "GET", "/u64/18446744073709551615").body == "18446744073709551615");
    BOOST_TEST(dispatch(r, "GET", "/u8/255").body == "255");
    BOOST_TEST(dispatch(r, "GET", "/i16/-32768").body == "-32768");
    BOOST_TEST(dispatch(r, "GET", "/double/2.5").body == std::to_string(2.5));
    BOOST_TEST(dispatch(r, "GET", "/double/-1e3").body == std::to_string(-1000.0));
    BOOST_TEST(dispatch(r, "GET", "/float/0.25").body == std::to_string(0.25f));
    BOOST_TEST(dispatch(r, "GET", "/string/caf%C3%A9").body == "caf\xc3\xa9");  // decoded first
    BOOST_TEST(dispatch(r, "GET", "/view/a%2Fb").body == "a/b");
    BOOST_TEST(dispatch(r, "GET", "/rest/a/b").body == "a/b");
    BOOST_TEST(dispatch(r, "GET", "/int/%34%32").body == "42");  // percent-decoded, then read

    // Each refusal is a 404 whose detail names the parameter.
    const std::pair<std::string, std::string> refused[] = {
        {"/int/abc", "the path parameter 'id' is not an integer"},
        {"/int/4x", "the path parameter 'id' is not an integer"},
        {"/int/+4", "the path parameter 'id' is not an integer"},
        {"/int/%204", "the path parameter 'id' is not an integer"},        // " 4": no space
        {"/int/4.0", "the path parameter 'id' is not an integer"},
        {"/int/2147483648", "the path parameter 'id' is out of range"},
        {"/int/-99999999999999999999", "the path parameter 'id' is out of range"},
        {"/u64/18446744073709551616", "the path parameter 'id' is out of range"},
        {"/u64/-1", "the path parameter 'id' is not a non-negative integer"},
        {"/u8/256", "the path parameter 'id' is out of range"},
        {"/i16/32768", "the path parameter 'id' is out of range"},
        {"/double/x", "the path parameter 'x' is not a number"},
        {"/double/1e999", "the path parameter 'x' is out of range"},
        {"/double/inf", "the path parameter 'x' is not a number"},
        {"/double/nan", "the path parameter 'x' is not a number"},
        {"/double/0x10", "the path parameter 'x' is not a number"},
        {"/double/1.5.2", "the path parameter 'x' is not a number"},
        {"/float/1e39", "the path parameter 'x' is out of range"},
        {"/wrong-name/1", "the path parameter 'ID' is missing"},
    };
    for (const auto& [target, detail] : refused) {
        BOOST_TEST_CONTEXT(target) {
            const Outcome out = dispatch(r, "GET", target);
            BOOST_TEST(out.status == 404);
            BOOST_TEST(out.detail == detail);
        }
    }
    http::Request outside;  // no route matched: no parameters at all
    BOOST_CHECK_THROW(outside.param<int>("id"), http::NotFound);
}

BOOST_AUTO_TEST_CASE(one_route_for_several_methods) {
    http::Router r;
    r.route({"GET", "POST"}, "/search", says("search"));
    r.route({"PUT"}, "/search", says("put"));
    BOOST_TEST(dispatch(r, "GET", "/search").body == "search");
    BOOST_TEST(dispatch(r, "POST", "/search").body == "search");
    BOOST_TEST(dispatch(r, "HEAD", "/search").body == "search");
    BOOST_TEST(dispatch(r, "PUT", "/search").body == "put");
    const Outcome other = dispatch(r, "DELETE", "/search");
    BOOST_TEST(other.status == 405);
    BOOST_TEST(other.headers.get("Allow") == "GET, HEAD, OPTIONS, POST, PUT");

    // A conflict for one method adds none of them.
    try {
        r.route({"DELETE", "POST"}, "/search", says("x"));
        BOOST_FAIL("POST /search was registered already");
    } catch (const std::invalid_argument& e) {
        BOOST_TEST(std::string(e.what()).find("POST /search conflicts with POST /search") != std::string::npos);
    }
    BOOST_TEST(dispatch(r, "DELETE", "/search").status == 405);

    // A method list in one string, or any other non-token, names the method and the pattern.
    for (const char* wrong : {"GET,POST", "GET POST", "GET, POST", "", "GET\r\n"}) {
        BOOST_TEST_CONTEXT(wrong) {
            try {
                r.route(wrong, "/list", says("x"));
                BOOST_FAIL("not a method");
            } catch (const std::invalid_argument& e) {
                const std::string what = e.what();
                BOOST_TEST(what.find("'" + std::string(wrong) + "' is not a method (for /list)") != std::string::npos);
            }
        }
    }
    BOOST_CHECK_THROW(r.route({"GET", "GET,POST"}, "/list", says("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.route({"GET", "GET"}, "/list", says("x")), std::invalid_argument);
    BOOST_CHECK_THROW(r.route(std::initializer_list<std::string_view>{}, "/list", says("x")), std::invalid_argument);
    BOOST_TEST(dispatch(r, "GET", "/list").status == 404);  // nothing was added
    // A group's prefix is part of the pattern named.
    http::Router& api = r.group("/api");
    api.route({"GET", "PATCH"}, "/items/{id}", says("item"));
    BOOST_TEST(dispatch(r, "PATCH", "/api/items/3").body == "item id=3");
}

BOOST_AUTO_TEST_CASE(malformed_patterns_are_refused_naming_them) {
    const std::pair<std::string, std::string> cases[] = {
        {"/users/{id", "a parameter must be a whole segment"},
        {"/users/id}", "a parameter must be a whole segment"},
        {"/users/{{id}}", "a parameter needs a name"},
        {"/users/{id}}", "a parameter needs a name"},
        {"/users/{}", "a parameter needs a name"},
        {"/users/{...}", "a parameter needs a name"},
        {"/users/{user id}", "a parameter needs a name"},
        {"/users/{id-x}", "a parameter needs a name"},
        {"/users/{id}/{id}", "the same parameter name twice"},
        {"/users/{id}/{id...}", "the same parameter name twice"},
        {"/users/{id:int}", "no type or rule after ':'"},
        {"/users/{id:[0-9]+}", "no type or rule after ':'"},
        {"/files/{path...}/raw", "a rest parameter {name...} must be the last segment"},
        {"/files/{path...}/", "a rest parameter {name...} must be the last segment"},
        {"/users/x{id}", "a parameter must be a whole segment"},
        {"users/{id}", "does not start with '/'"},
    };
    for (const auto& [pattern, why] : cases) {
        BOOST_TEST_CONTEXT(pattern) {
            const std::string what = refusal(pattern);
            BOOST_TEST(what.find("'" + pattern + "'") != std::string::npos);  // names the pattern
            BOOST_TEST(what.find(why) != std::string::npos);
        }
    }
    for (const char* fine : {"/users/{id}", "/users/{user_id2}/posts/{Post}", "/files/{path...}", "/", "/a/"})
        BOOST_TEST(refusal(fine).empty(), fine);
}

BOOST_AUTO_TEST_SUITE_END()
