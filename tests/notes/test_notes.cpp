// The notes example service (examples/notes), through http::TestClient: the server's exchange
// with no socket. The browser drives it in tests/server/test_cors_browser.cpp.
#include "notes.hpp"

#include <http/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

namespace {

const http::Headers json_type{{"Content-Type", "application/json"}};

struct Service {
    notes::Store store;
    http::Router router;
    http::TestClient test;

    explicit Service(notes::Options options = {}) : router(notes::router(store, options)), test(router) {}

    http::Response add(const std::string& title) {
        return test.post("/notes", R"({"title": ")" + title + R"(", "text": "t"})", json_type);
    }
};

nlohmann::json json_of(const http::Response& res) { return nlohmann::json::parse(res.body); }

}  // namespace

BOOST_AUTO_TEST_SUITE(notes_service)

BOOST_FIXTURE_TEST_CASE(a_note_is_created_read_and_cached, Service) {
    const http::Response created = add("first");
    BOOST_TEST(created.status == http::CREATED);
    BOOST_TEST(created.headers.get("Location") == "/notes/1");
    const std::string etag(created.headers.get("ETag"));
    BOOST_TEST(etag.size() == 34u);
    const http::Response read = test.get("/notes/1");
    BOOST_TEST(read.status == http::OK);
    BOOST_TEST(json_of(read)["title"] == "first");
    BOOST_TEST(read.headers.get("ETag") == etag);
    const http::Response cached = test.get("/notes/1", {{"If-None-Match", etag}});
    BOOST_TEST(cached.status == http::NOT_MODIFIED);
    BOOST_TEST(cached.body.empty());
    BOOST_TEST(cached.headers.get("ETag") == etag);
}

BOOST_FIXTURE_TEST_CASE(a_change_needs_the_current_etag, Service) {
    const std::string etag(add("draft").headers.get("ETag"));
    const std::string body = R"({"title": "final"})";
    const http::Response unconditional = test.send_request("PUT", "/notes/1", body, json_type);
    BOOST_TEST(unconditional.status == http::PRECONDITION_REQUIRED);
    BOOST_TEST(unconditional.headers.get("Content-Type") == "application/problem+json");

    http::Headers conditional = json_type;
    conditional.set("If-Match", etag);
    const http::Response changed = test.send_request("PUT", "/notes/1", body, conditional);
    BOOST_TEST(changed.status == http::OK);
    BOOST_TEST(json_of(changed)["title"] == "final");
    BOOST_TEST(changed.headers.get("ETag") != etag);
    // The same If-Match again: someone changed it meanwhile (this client did), and the second
    // change is refused instead of lost.
    const http::Response lost = test.send_request("PUT", "/notes/1", R"({"title": "other"})", conditional);
    BOOST_TEST(lost.status == http::PRECONDITION_FAILED);
    BOOST_TEST(json_of(test.get("/notes/1"))["title"] == "final");
}

BOOST_FIXTURE_TEST_CASE(a_deleted_note_is_gone_with_a_problem_body, Service) {
    add("short-lived");
    BOOST_TEST(test.send_request("DELETE", "/notes/1", {}, {{"If-Match", "\"stale\""}}).status == http::PRECONDITION_FAILED);
    BOOST_TEST(test.send_request("DELETE", "/notes/1").status == http::NO_CONTENT);
    const http::Response gone = test.get("/notes/1", {{"Accept", "application/problem+json"}});
    BOOST_TEST(gone.status == http::NOT_FOUND);
    BOOST_TEST(json_of(gone)["detail"] == "no note 1");
    BOOST_TEST(test.send_request("DELETE", "/notes/1").status == http::NOT_FOUND);
    // Not a number: 404 naming the parameter, not a 500.
    const http::Response word = test.get("/notes/abc", {{"Accept", "application/problem+json"}});
    BOOST_TEST(word.status == http::NOT_FOUND);
    BOOST_TEST(json_of(word)["detail"].get<std::string>().find("'id'") != std::string::npos, word.body);
}

BOOST_FIXTURE_TEST_CASE(notes_come_in_pages, Service) {
    for (int i = 1; i <= 5; ++i)
        add("n" + std::to_string(i));
    const nlohmann::json last = json_of(test.get("/notes?page=3&per_page=2"));
    BOOST_TEST(last["total"] == 5);
    BOOST_TEST_REQUIRE(last["notes"].size() == 1u);
    BOOST_TEST(last["notes"][0]["title"] == "n5");
    BOOST_TEST(json_of(test.get("/notes"))["notes"].size() == 5u);
    BOOST_TEST(json_of(test.get("/notes?page=4&per_page=2"))["notes"].empty());
    BOOST_TEST(test.get("/notes?per_page=0").status == http::BAD_REQUEST);
    BOOST_TEST(test.get("/notes?per_page=101").status == http::BAD_REQUEST);
    BOOST_TEST(test.get("/notes?page=x").status == http::BAD_REQUEST);
}

BOOST_FIXTURE_TEST_CASE(malformed_notes_are_refused, Service) {
    BOOST_TEST(test.post("/notes", "title=x", {{"Content-Type", "application/x-www-form-urlencoded"}}).status ==
               http::UNSUPPORTED_MEDIA_TYPE);
    BOOST_TEST(test.post("/notes", "{not json", json_type).status == http::BAD_REQUEST);
    BOOST_TEST(test.post("/notes", R"({"title": ""})", json_type).status == http::UNPROCESSABLE_CONTENT);
    BOOST_TEST(test.post("/notes", R"({"title": "x", "text": 3})", json_type).status == http::UNPROCESSABLE_CONTENT);
    BOOST_TEST(test.post("/notes", "[]", json_type).status == http::UNPROCESSABLE_CONTENT);
    BOOST_TEST(json_of(test.get("/notes"))["total"] == 0);
}

BOOST_AUTO_TEST_CASE(one_origin_may_call_it_from_a_browser) {
    Service service({.cors_origins = {"https://app.example"}});
    service.add("shared");
    const http::Response read = service.test.get("/notes/1", {{"Origin", "https://app.example"}});
    BOOST_TEST(read.headers.get("Access-Control-Allow-Origin") == "https://app.example");
    BOOST_TEST(read.headers.get("Access-Control-Expose-Headers").find("ETag") != std::string_view::npos);
    // A failure too, so that the page can read its problem body.
    const http::Response missing = service.test.get("/notes/9", {{"Origin", "https://app.example"}});
    BOOST_TEST(missing.status == http::NOT_FOUND);
    BOOST_TEST(missing.headers.get("Access-Control-Allow-Origin") == "https://app.example");
    const http::Response preflight = service.test.send_request(
        "OPTIONS", "/notes/1", {},
        {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "PUT"},
         {"Access-Control-Request-Headers", "content-type, if-match"}});
    BOOST_TEST(preflight.status == http::NO_CONTENT);
    BOOST_TEST(preflight.headers.get("Access-Control-Allow-Methods").find("PUT") != std::string_view::npos);
    const http::Response stranger = service.test.get("/notes/1", {{"Origin", "https://evil.example"}});
    BOOST_TEST(stranger.headers.get("Access-Control-Allow-Origin").empty());
}

BOOST_AUTO_TEST_CASE(each_client_address_has_its_rate) {
    Service service({.rate_limit = 3});
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(service.test.get("/notes").status == http::OK);
    const http::Response refused = service.test.get("/notes");
    BOOST_TEST(refused.status == http::TOO_MANY_REQUESTS);
    BOOST_TEST(!refused.headers.get("Retry-After").empty());
    BOOST_TEST(!refused.headers.get("RateLimit-Policy").empty());
    service.test.ip = "127.0.0.2";
    BOOST_TEST(service.test.get("/notes").status == http::OK);
}

BOOST_FIXTURE_TEST_CASE(its_openapi_document_declares_what_it_answers, Service) {
    const http::Response res = test.get("/openapi.json");
    BOOST_TEST(res.status == http::OK);
    const nlohmann::json doc = json_of(res);
    BOOST_TEST(doc["info"]["title"] == "Notes");
    const nlohmann::json& note = doc["paths"]["/notes/{id}"];
    for (const char* code : {"404", "412", "428", "422", "429", "405"})
        BOOST_TEST(note["put"]["responses"].contains(code), code);
    BOOST_TEST(note["put"]["requestBody"]["content"].contains("application/json"));
    BOOST_TEST(doc["paths"]["/notes/events"]["get"]["responses"]["2XX"]["content"].contains("text/event-stream"));
}

BOOST_AUTO_TEST_SUITE_END()
