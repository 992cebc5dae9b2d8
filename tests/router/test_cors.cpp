// http::cors through the server's own exchange (TestClient): simple and preflighted requests,
// preflights only for routes that exist, the method and header rules, Vary: Origin, credentials,
// and the fields on failures. The same in a real browser: tests/examples/test_cors.py.
#include <http/cors.hpp>
#include <http/failure.hpp>
#include <http/router.hpp>
#include <http/testing.hpp>

#include <boost/test/unit_test.hpp>

namespace {

const std::string app = "http://app.example:8080";

http::Router api(http::CorsOptions options) {
    http::Router router;
    router.use(http::cors(std::move(options)));
    router.get("/items", [](http::Request&, http::Response& res) {
        res.headers.set("ETag", "\"v1\"");
        res.body = "[]";
    });
    router.put("/items/{id}", [](http::Request&, http::Response& res) { res.body = "stored"; });
    router.get("/conflict", [](http::Request&, http::Response&) { throw http::Conflict("the item changed meanwhile"); });
    return router;
}

http::CorsOptions app_options() {
    return {.origins = {app}, .methods = {"GET", "PUT"}, .headers = {"X-Token"}, .expose = {"ETag"}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cors)

BOOST_AUTO_TEST_CASE(an_allowed_origin_gets_the_fields_and_others_do_not) {
    http::TestClient test(api(app_options()));
    const http::Response allowed = test.get("/items", {{"Origin", app}});
    BOOST_TEST(allowed.status == http::OK);
    BOOST_TEST(allowed.headers.get("Access-Control-Allow-Origin") == app);
    BOOST_TEST(allowed.headers.get("Access-Control-Expose-Headers") == "ETag");
    BOOST_TEST(!allowed.headers.contains("Access-Control-Allow-Credentials"));
    BOOST_TEST(allowed.headers.get("Vary") == "Origin");
    const http::Response other = test.get("/items", {{"Origin", "http://evil.example"}});
    BOOST_TEST(other.status == http::OK);  // answered; the browser keeps it from the page
    BOOST_TEST(!other.headers.contains("Access-Control-Allow-Origin"));
    BOOST_TEST(other.headers.get("Vary") == "Origin");
    const http::Response same_origin = test.get("/items");
    BOOST_TEST(!same_origin.headers.contains("Access-Control-Allow-Origin"));
    BOOST_TEST(same_origin.headers.get("Vary") == "Origin");  // a cache must still tell them apart
}

BOOST_AUTO_TEST_CASE(a_failure_carries_the_fields_so_the_page_can_read_its_problem) {
    http::TestClient test(api(app_options()));
    const http::Response r = test.get("/conflict", {{"Origin", app}, {"Accept", "application/problem+json"}});
    BOOST_TEST(r.status == http::CONFLICT);
    BOOST_TEST(r.headers.get("Access-Control-Allow-Origin") == app);
    BOOST_TEST(r.body.find("the item changed meanwhile") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_preflight_is_answered_for_a_route_that_exists_only) {
    http::TestClient test(api(app_options()));
    const http::Headers preflight = {{"Origin", app}, {"Access-Control-Request-Method", "PUT"},
                                     {"Access-Control-Request-Headers", "content-type, x-token"}};
    const http::Response ok = test.send_request("OPTIONS", "/items/7", {}, preflight);
    BOOST_TEST(ok.status == http::NO_CONTENT);
    BOOST_TEST(ok.headers.get("Access-Control-Allow-Origin") == app);
    BOOST_TEST(ok.headers.get("Access-Control-Allow-Methods") == "PUT");
    BOOST_TEST(ok.headers.get("Access-Control-Allow-Headers") == "content-type, x-token");
    BOOST_TEST(ok.headers.get("Access-Control-Max-Age") == "600");
    BOOST_TEST(ok.headers.get("Vary") == "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    // No route: the 404 stands, with no CORS field.
    const http::Response missing = test.send_request("OPTIONS", "/nowhere", {}, preflight);
    BOOST_TEST(missing.status == http::NOT_FOUND);
    BOOST_TEST(!missing.headers.contains("Access-Control-Allow-Origin"));
    // A method or a header not allowed: answered, without the fields.
    const http::Response method = test.send_request("OPTIONS", "/items/7", {},
                                                    {{"Origin", app}, {"Access-Control-Request-Method", "DELETE"}});
    BOOST_TEST(!method.headers.contains("Access-Control-Allow-Origin"));
    const http::Response header = test.send_request(
        "OPTIONS", "/items/7", {},
        {{"Origin", app}, {"Access-Control-Request-Method", "PUT"}, {"Access-Control-Request-Headers", "x-other"}});
    BOOST_TEST(!header.headers.contains("Access-Control-Allow-Origin"));
    // Without a methods list, the route's own (its Allow field) decide.
    http::CorsOptions by_route = app_options();
    by_route.methods.clear();
    http::TestClient routed(api(by_route));
    const http::Response put = routed.send_request("OPTIONS", "/items/7", {}, {{"Origin", app}, {"Access-Control-Request-Method", "PUT"}});
    BOOST_TEST(put.headers.get("Access-Control-Allow-Methods") == "PUT");
    const http::Response post = routed.send_request("OPTIONS", "/items/7", {}, {{"Origin", app}, {"Access-Control-Request-Method", "POST"}});
    BOOST_TEST(!post.headers.contains("Access-Control-Allow-Origin"));
}

BOOST_AUTO_TEST_CASE(credentials_and_any_origin) {
    http::CorsOptions credentialed = app_options();
    credentialed.credentials = true;
    http::TestClient test(api(credentialed));
    const http::Response r = test.get("/items", {{"Origin", app}});
    BOOST_TEST(r.headers.get("Access-Control-Allow-Origin") == app);
    BOOST_TEST(r.headers.get("Access-Control-Allow-Credentials") == "true");

    http::TestClient any(api({.origins = {"*"}}));
    BOOST_TEST(any.get("/items", {{"Origin", "http://anyone.example"}}).headers.get("Access-Control-Allow-Origin") == "*");

    BOOST_CHECK_THROW(http::cors({.origins = {"*"}, .credentials = true}), std::invalid_argument);
    BOOST_CHECK_THROW(http::cors({.origins = {app}, .headers = {"*"}, .credentials = true}), std::invalid_argument);
    BOOST_CHECK_THROW(http::cors({.origins = {"http://app.example/path"}}), std::invalid_argument);
    BOOST_CHECK_THROW(http::cors({.origins = {"app.example"}}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
