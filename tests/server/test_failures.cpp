// Failures thrown by handlers become responses; other exceptions become 500 and reach on_error.
#include <http/router.hpp>
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

namespace {

void handler(http::Request& req, http::Response& res) {
    const std::string& p = req.path;
    if (p == "/not-found")
        throw http::NotFound("No user <b>42</b>");
    if (p == "/method")
        throw http::MethodNotAllowed({"GET", "HEAD"});
    if (p == "/login")
        throw http::Found("/login/form");
    if (p == "/slow-down")
        throw http::TooManyRequests(std::chrono::seconds(30), "Easy");
    if (p == "/with-headers")
        http::throw_failure(http::TOO_MANY_REQUESTS, "later", {{"Retry-After", "7"}, {"X-Quota", "0"}});
    if (p == "/problem") {
        auto e = http::Forbidden("no credit");
        e.problem().type = "https://example.com/probs/out-of-credit";
        e.problem().instance = "/account/12345";
        e.problem().extensions["balance"] = "30";
        throw e;
    }
    if (p == "/not-modified") {
        res.headers["ETag"] = "\"v1\"";
        throw http::NotModified();  // a failure's problem+json never reaches a 304
    }
    if (p == "/no-content") {
        res.status = http::NO_CONTENT;
        res.content_type("application/json");
        return;
    }
    if (p == "/405-without-allow")
        throw http::Failure("no Allow", http::METHOD_NOT_ALLOWED);
    if (p == "/401-without-challenge")
        http::throw_failure(http::UNAUTHORIZED);
    if (p == "/302-without-location") {
        res.status = http::FOUND;
        return;
    }
    if (p == "/unavailable")
        throw http::ServiceUnavailable();
    if (p == "/teapot")
        throw http::Failure("short and stout", http::IM_A_TEAPOT);
    if (p == "/runtime")
        throw std::runtime_error("database unreachable");
    if (p == "/int")
        throw 42;
    if (p == "/bad-header") {
        res.headers["X-Injected"] = "a\r\nSet-Cookie: evil=1";
        return;
    }
    if (p == "/bad-redirect") {
        res.redirect("/x", http::OK);
        return;
    }
    if (p == "/redirect") {
        res.redirect("/elsewhere");
        return;
    }
    if (p == "/unknown-status") {
        res.status = static_cast<http::Status>(477);
        res.body = "odd";
        return;
    }
    if (p == "/cookies") {
        res.set_cookie("plain", "1");
        res.set_cookie("sid", "abc", "example.com", "/app", "Wed, 21 Oct 2026 07:28:00 GMT", true, "Partitioned");
        res.set_cookie({.name = "pref", .value = "dark", .path = "/", .max_age = std::chrono::hours(1),
                        .http_only = true, .same_site = "Strict"});
        res.set_cookie({.name = "__Host-id", .value = "x"});
        return;
    }
    res.body = "fine";
}

struct Fixture {
    test::TestServer server{[](http::Server& s) { s.on_receive(handler); }};

    test::RawResponse get(const std::string& path, const std::string& extra = {}) {
        return test::exchange(server.port(), test::get(path, extra));
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(failures, Fixture)

BOOST_AUTO_TEST_CASE(failure_becomes_problem_details) {
    const auto r = get("/not-found");
    BOOST_TEST(r.status == 404);
    BOOST_TEST(r.reason == "Not Found");
    BOOST_TEST(r.header("Content-Type") == "application/problem+json");
    BOOST_TEST(r.body == R"({"type":"about:blank","title":"Not Found","status":404,"detail":"No user <b>42</b>"})");
    BOOST_TEST(get("/next").body == "fine");  // a failure does not end the connection's usefulness
}

BOOST_AUTO_TEST_CASE(accept_chooses_the_format) {
    const auto html = get("/not-found", "Accept: text/html\r\n");
    BOOST_TEST(html.header("Content-Type") == "text/html; charset=utf-8");
    BOOST_TEST(html.body.find("<h1>404 Not Found</h1>") != std::string::npos);
    BOOST_TEST(html.body.find("No user &lt;b&gt;42&lt;/b&gt;") != std::string::npos);  // escaped
    const auto text = get("/not-found", "Accept: text/plain\r\n");
    BOOST_TEST(text.header("Content-Type") == "text/plain; charset=utf-8");
    BOOST_TEST(text.body == "404 Not Found\n\nNo user <b>42</b>\n");
    BOOST_TEST(get("/not-found", "Accept: text/html, application/json\r\n").header("Content-Type") ==
               "application/problem+json");
    BOOST_TEST(get("/not-found", "Accept: text/html;q=0.5, application/problem+json\r\n").header("Content-Type") ==
               "application/problem+json");
    BOOST_TEST(get("/not-found", "Accept: text/html, */*;q=0.1\r\n").header("Content-Type") == "text/html; charset=utf-8");
    BOOST_TEST(get("/not-found", "Accept: */*\r\n").header("Content-Type") == "application/problem+json");
}

BOOST_AUTO_TEST_CASE(throw_failure_carries_its_headers) {
    const auto r = get("/with-headers");
    BOOST_TEST(r.status == 429);
    BOOST_TEST(r.header("Retry-After") == "7");
    BOOST_TEST(r.header("X-Quota") == "0");
    BOOST_TEST(r.body == R"({"type":"about:blank","title":"Too Many Requests","status":429,"detail":"later"})");
}

BOOST_AUTO_TEST_CASE(problem_members_set_by_the_handler) {
    BOOST_TEST(get("/problem").body == R"({"type":"https://example.com/probs/out-of-credit","title":"Forbidden",)"
                                       R"("status":403,"detail":"no credit","instance":"/account/12345","balance":30})");
}

BOOST_AUTO_TEST_CASE(no_content_means_no_content_headers) {
    // RFC 9110, Sections 8.6 and 15.4.5: a 304 or 204 has no content, so no Content-Type or
    // Content-Length made up for one.
    test::RawConnection c(server.port());
    c.send(test::get("/not-modified") + test::get("/no-content") + test::get("/next"));
    const auto not_modified = c.read_response();
    BOOST_TEST(not_modified.status == 304);
    BOOST_TEST(not_modified.header("ETag") == "\"v1\"");  // set before the failure: a 304 keeps it
    BOOST_TEST(not_modified.header("Content-Type") == "<absent>");
    BOOST_TEST(not_modified.header("Content-Length") == "<absent>");
    const auto no_content = c.read_response();
    BOOST_TEST(no_content.status == 204);
    BOOST_TEST(no_content.header("Content-Type") == "<absent>");
    BOOST_TEST(no_content.header("Content-Length") == "<absent>");
    BOOST_TEST(c.read_response().body == "fine");  // nothing was sent in between
    // HEAD: the fields a GET would have, no content.
    test::RawConnection head(server.port());
    head.send("HEAD /not-found HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    const auto r = head.read_response(true);
    BOOST_TEST(r.status == 404);
    BOOST_TEST(r.header("Content-Type") == "application/problem+json");
    BOOST_TEST(r.header("Content-Length") == std::to_string(get("/not-found").body.size()));
    BOOST_TEST(r.body.empty());
    BOOST_TEST(head.read_response().body == "fine");
}

BOOST_AUTO_TEST_CASE(a_missing_required_field_is_reported_once_per_status) {
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(get("/405-without-allow").status == 405);  // still sent
        BOOST_TEST(get("/401-without-challenge").status == 401);
        BOOST_TEST(get("/302-without-location").status == 302);
    }
    BOOST_TEST(get("/method").header("Allow") == "GET, HEAD");  // with its field: no report
    const auto errors = server.take_errors();
    BOOST_REQUIRE(errors.size() == 3u);
    BOOST_TEST(errors[0] == "httpkit: 405 Method Not Allowed was sent without Allow, which RFC 9110, Section 15.5.6 requires");
    BOOST_TEST(errors[1].find("401 Unauthorized was sent without WWW-Authenticate") != std::string::npos);
    BOOST_TEST(errors[2].find("302 Found was sent without Location") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failure_without_a_message_says_its_phrase_once) {
    const auto text = get("/unavailable", "Accept: text/plain\r\n");
    BOOST_TEST(text.status == 503);
    BOOST_TEST(text.body == "503 Service Unavailable\n");
    const auto html = get("/unavailable", "Accept: text/html\r\n");
    BOOST_TEST(html.body.find("Service Unavailable</h1>\n</body>") != std::string::npos);
    BOOST_TEST(html.body.find("<p>") == std::string::npos);
    // With a message of its own, the message follows the heading.
    BOOST_TEST(get("/not-found", "Accept: text/plain\r\n").body == "404 Not Found\n\nNo user <b>42</b>\n");
}

BOOST_AUTO_TEST_CASE(failure_headers) {
    const auto method = get("/method");
    BOOST_TEST(method.status == 405);
    BOOST_TEST(method.header("Allow") == "GET, HEAD");
    const auto found = get("/login");
    BOOST_TEST(found.status == 302);
    BOOST_TEST(found.header("Location") == "/login/form");
    const auto slow = get("/slow-down");
    BOOST_TEST(slow.status == 429);
    BOOST_TEST(slow.header("Retry-After") == "30");
    BOOST_TEST(slow.body.find("\"detail\":\"Easy\"") != std::string::npos);
    BOOST_TEST(get("/teapot").status == 418);
}

BOOST_AUTO_TEST_CASE(other_exceptions_are_500_and_reported) {
    const auto r = get("/runtime");
    BOOST_TEST(r.status == 500);
    BOOST_TEST(r.body.find("database") == std::string::npos);  // internals stay private
    BOOST_TEST(get("/int").status == 500);
    BOOST_TEST(get("/next").body == "fine");
    const auto errors = server.take_errors();
    BOOST_REQUIRE(errors.size() == 2u);
    BOOST_TEST(errors[0] == "database unreachable");
    BOOST_TEST(errors[1].find("non-std exception") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unsendable_response_becomes_500) {
    const auto r = get("/bad-header");
    BOOST_TEST(r.status == 500);
    BOOST_TEST(r.header("Set-Cookie") == "<absent>");
    BOOST_TEST(get("/bad-redirect").status == 500);
    BOOST_TEST(server.take_errors().size() == 2u);
}

BOOST_AUTO_TEST_CASE(redirect_and_unknown_status) {
    const auto r = get("/redirect");
    BOOST_TEST(r.status == 302);
    BOOST_TEST(r.header("Location") == "/elsewhere");
    BOOST_TEST(r.body.empty());
    test::RawConnection c(server.port());
    c.send(test::get("/unknown-status"));
    const auto odd = c.read_response();
    BOOST_TEST(odd.status == 477);
    BOOST_TEST(odd.reason == "");
    BOOST_TEST(odd.body == "odd");
}

BOOST_AUTO_TEST_CASE(set_cookie_attributes) {
    const auto r = get("/cookies");
    std::vector<std::string> cookies;
    for (const auto& [name, value] : r.headers)
        if (name == "Set-Cookie")
            cookies.push_back(value);
    BOOST_REQUIRE(cookies.size() == 4u);
    BOOST_TEST(cookies[0] == "plain=1");
    BOOST_TEST(cookies[1] == "sid=abc; Domain=example.com; Path=/app; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure; Partitioned");
    BOOST_TEST(cookies[2] == "pref=dark; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict");
    BOOST_TEST(cookies[3] == "__Host-id=x; Path=/; Secure");
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Middleware that sets what CORS, caching and rate-limit middleware set, before the route runs.
struct KeepFixture {
    test::TestServer server{[](http::Server& s) {
        http::Router router;
        router.use([](http::Request&, http::Response& res, const std::function<void()>& next) {
            res.headers.set("Vary", "Origin");
            res.headers.set("Access-Control-Allow-Origin", "https://app.example");
            res.headers.set("X-RateLimit-Remaining", "9");
            res.headers.set("Retry-After", "1");  // the failure's own Retry-After wins
            res.set_cookie("sid", "abc");
            next();
        });
        router.get("/items/{id}", [](http::Request& req, http::Response& res) {
            // Content made, then given up: none of what described it may stay.
            res.content_type("text/csv");
            res.headers.set("Content-Language", "fr");
            res.headers.set("ETag", "\"csv-1\"");
            res.headers.set("Last-Modified", "Wed, 21 Oct 2026 07:28:00 GMT");
            res.headers.set("Content-Disposition", "attachment");
            res.body = "a,b,c\n";
            if (req.params.at("id") == "busy")
                throw http::TooManyRequests(std::chrono::seconds(30));
            if (req.params.at("id") == "cached")
                throw http::NotModified();
            if (req.params.at("id") == "crash")
                throw std::runtime_error("crash");
            throw http::NotFound("no item " + req.params.at("id"));
        });
        router.post("/items", [](http::Request&, http::Response& res) { res.status = http::CREATED; });
        s.on_receive(router);
    }};

    test::RawResponse send(const std::string& request) { return test::exchange(server.port(), request); }

    // The middleware's fields are on `r`, each once; nothing of the given-up content is.
    static void check_kept(const test::RawResponse& r) {
        BOOST_TEST(r.header("Vary") == "Origin");
        BOOST_TEST(r.count("Vary") == 1u);
        BOOST_TEST(r.header("Access-Control-Allow-Origin") == "https://app.example");
        BOOST_TEST(r.header("X-RateLimit-Remaining") == "9");
        BOOST_TEST(r.header("Set-Cookie") == "sid=abc");
        BOOST_TEST(r.count("Set-Cookie") == 1u);
        BOOST_TEST(r.header("Content-Type") != "text/csv");
        BOOST_TEST(r.header("Content-Language") == "<absent>");
        BOOST_TEST(r.header("Content-Disposition") == "<absent>");
        BOOST_TEST(r.count("Content-Length") <= 1u);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(failures_keep_fields, KeepFixture)

BOOST_AUTO_TEST_CASE(a_handlers_failure_keeps_what_middleware_set) {
    const auto r = send(test::get("/items/7"));
    BOOST_TEST(r.status == 404);
    check_kept(r);
    BOOST_TEST(r.header("Content-Type") == "application/problem+json");
    BOOST_TEST(r.header("Content-Length") == std::to_string(r.body.size()));
    BOOST_TEST(r.body.find("no item 7") != std::string::npos);
    BOOST_TEST(r.header("ETag") == "<absent>");  // the CSV's validators, not the problem's
    BOOST_TEST(r.header("Last-Modified") == "<absent>");
    BOOST_TEST(r.header("Retry-After") == "1");  // the failure sets none: the middleware's stays
}

BOOST_AUTO_TEST_CASE(the_failures_own_fields_win) {
    const auto r = send(test::get("/items/busy"));
    BOOST_TEST(r.status == 429);
    check_kept(r);
    BOOST_TEST(r.header("Retry-After") == "30");
    BOOST_TEST(r.count("Retry-After") == 1u);
}

BOOST_AUTO_TEST_CASE(a_304_keeps_the_validators_it_answers_for) {
    const auto r = send(test::get("/items/cached"));
    BOOST_TEST(r.status == 304);
    check_kept(r);
    BOOST_TEST(r.header("ETag") == "\"csv-1\"");
    BOOST_TEST(r.header("Last-Modified") == "Wed, 21 Oct 2026 07:28:00 GMT");
    BOOST_TEST(r.header("Content-Type") == "<absent>");
    BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(the_routers_own_answers_keep_them_too) {
    const auto missing = send(test::get("/nowhere"));
    BOOST_TEST(missing.status == 404);
    check_kept(missing);
    BOOST_TEST(missing.header("Content-Type") == "application/problem+json");
    const auto wrong_method = send("DELETE /items HTTP/1.1\r\nHost: h\r\n\r\n");
    BOOST_TEST(wrong_method.status == 405);
    check_kept(wrong_method);
    BOOST_TEST(wrong_method.header("Allow") == "OPTIONS, POST");
    const auto options = send("OPTIONS /items HTTP/1.1\r\nHost: h\r\n\r\n");
    BOOST_TEST(options.status == 204);
    check_kept(options);
    BOOST_TEST(options.header("Allow") == "OPTIONS, POST");
}

BOOST_AUTO_TEST_CASE(a_500_keeps_them_and_negotiates_its_body) {
    const auto r = send(test::get("/items/crash", "Accept: text/plain\r\n"));
    BOOST_TEST(r.status == 500);
    check_kept(r);
    BOOST_TEST(r.header("Content-Type") == "text/plain; charset=utf-8");
    BOOST_TEST(server.take_errors().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
