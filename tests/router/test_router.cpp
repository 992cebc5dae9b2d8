// http::Router on its own: every matching rule, conflicts, automatic answers, middleware, groups.
#include <http/router.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace {

struct Outcome {
    int status = 0;
    std::string body;
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

BOOST_AUTO_TEST_SUITE_END()
