// http::Route's documentation and router.openapi(): the document says what the router does. The
// OpenAPI validator's verdict on whole documents is tests/openapi (a real validator from npm).
#include <http/openapi.hpp>
#include <http/router.hpp>
#include <http/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

namespace {

void noop(http::Request&, http::Response&) {}

struct Notes {
    http::Router router;
    nlohmann::json doc;

    Notes() {
        router.get("/notes", noop).summary("List the notes").produces("application/json");
        router.post("/notes", noop)
            .summary("Add a note")
            .accepts("application/json")
            .produces("application/json")
            .fails({http::BAD_REQUEST, http::UNSUPPORTED_MEDIA_TYPE});
        router.get("/notes/{id}", noop).fails({http::NOT_FOUND});
        router.put("/notes/{id}", noop).fails({http::NOT_FOUND, http::PRECONDITION_FAILED}).accepts("application/json");
        router.del("/notes/{id}", noop).fails({http::NOT_FOUND});
        router.get("/limited", noop).fails({http::TOO_MANY_REQUESTS});
        router.websocket("/feed", [](http::Request&, http::WebSocket) {});
        router.any("/anything", noop);
        router.group("/api/v1").get("/files/{path...}", noop);
        doc = router.openapi({.title = "Notes", .version = "1.0"});
    }

    const nlohmann::json& path(const std::string& template_) const {
        BOOST_TEST_REQUIRE(doc["paths"].contains(template_), template_ << " not in " << doc["paths"].dump());
        return doc["paths"][template_];
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_FIXTURE_TEST_CASE(the_document_has_every_path_with_its_parameters, Notes) {
    BOOST_TEST(doc["openapi"] == "3.1.0");
    BOOST_TEST(doc["info"]["title"] == "Notes");
    BOOST_TEST(doc["info"]["version"] == "1.0");
    BOOST_TEST(doc["paths"].size() == 6u);
    const nlohmann::json& note = path("/notes/{id}");
    BOOST_TEST_REQUIRE(note["parameters"].size() == 1u);
    BOOST_TEST(note["parameters"][0]["name"] == "id");
    BOOST_TEST(note["parameters"][0]["in"] == "path");
    BOOST_TEST(note["parameters"][0]["required"] == true);
    BOOST_TEST(!path("/notes").contains("parameters"));
    // A rest parameter is a plain template parameter, under its group's prefix.
    const nlohmann::json& files = path("/api/v1/files/{path}");
    BOOST_TEST_REQUIRE(files["parameters"].size() == 1u);
    BOOST_TEST(files["parameters"][0]["name"] == "path");
}

BOOST_FIXTURE_TEST_CASE(operations_are_the_methods_the_router_answers, Notes) {
    const nlohmann::json& note = path("/notes/{id}");
    for (const char* op : {"get", "put", "delete", "head", "options"})
        BOOST_TEST(note.contains(op), op);
    for (const char* op : {"post", "patch", "trace"})
        BOOST_TEST(!note.contains(op), op);
    // OPTIONS, answered by the router: 204 with Allow.
    const nlohmann::json& options = note["options"]["responses"]["204"];
    BOOST_TEST(options["headers"]["Allow"]["required"] == true);
    BOOST_TEST(options["headers"]["Allow"]["example"] == "DELETE, GET, HEAD, OPTIONS, PUT");
    // HEAD runs GET's handler: its failures, no content.
    BOOST_TEST(note["head"]["responses"].contains("404"));
    BOOST_TEST(!note["head"]["responses"]["404"].contains("content"));
    // any(): every operation, and no 405 (it takes every method).
    const nlohmann::json& anything = path("/anything");
    for (const char* op : {"get", "put", "post", "delete", "options", "head", "patch", "trace"})
        BOOST_TEST(anything.contains(op), op);
    BOOST_TEST(!anything["get"]["responses"].contains("405"));
}

BOOST_FIXTURE_TEST_CASE(declared_failures_have_the_problem_body_and_the_fields_of_their_status, Notes) {
    const nlohmann::json& put = path("/notes/{id}")["put"];
    for (const char* code : {"404", "412"}) {
        BOOST_TEST_REQUIRE(put["responses"].contains(code), code);
        BOOST_TEST(put["responses"][code]["content"]["application/problem+json"]["schema"]["$ref"] ==
                   "#/components/schemas/Problem");
    }
    BOOST_TEST(put["requestBody"]["content"].contains("application/json"));
    BOOST_TEST(!put["responses"].contains("400"));  // declared on POST /notes only
    BOOST_TEST(path("/notes")["post"]["responses"].contains("415"));
    BOOST_TEST(path("/notes")["get"]["responses"]["2XX"]["content"].contains("application/json"));
    // The dataset's fields: 429 with Retry-After, 405 with Allow (required, as the router sends it).
    const nlohmann::json& limited = path("/limited")["get"]["responses"]["429"];
    BOOST_TEST(limited["headers"].contains("Retry-After"));
    const nlohmann::json& refused = put["responses"]["405"];
    BOOST_TEST(refused["headers"]["Allow"]["required"] == true);
    BOOST_TEST(refused["content"]["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem");
    BOOST_TEST(doc["components"]["schemas"]["Problem"]["properties"].contains("detail"));
    BOOST_TEST(!path("/notes/{id}")["put"].contains("summary"));
    BOOST_TEST(path("/notes")["post"]["summary"] == "Add a note");
}

BOOST_FIXTURE_TEST_CASE(the_documented_allow_is_the_one_the_router_sends, Notes) {
    http::TestClient test(router);
    const http::Response refused = test.send_request("PATCH", "/notes/7");
    BOOST_TEST(refused.status == http::METHOD_NOT_ALLOWED);
    BOOST_TEST(refused.headers.get("Allow") == path("/notes/{id}")["put"]["responses"]["405"]["headers"]["Allow"]["example"].get<std::string>());
    const http::Response options = test.send_request("OPTIONS", "/notes/7");
    BOOST_TEST(options.status == http::NO_CONTENT);
    BOOST_TEST(options.headers.get("Allow") == path("/notes/{id}")["options"]["responses"]["204"]["headers"]["Allow"]["example"].get<std::string>());
}

BOOST_FIXTURE_TEST_CASE(a_websocket_is_a_get_that_switches_protocols, Notes) {
    const nlohmann::json& feed = path("/feed");
    BOOST_TEST(feed["get"]["responses"].contains("101"));
    BOOST_TEST(feed["get"]["responses"].contains("426"));
    BOOST_TEST(!feed.contains("connect"));  // HTTP/2's extended CONNECT is no OpenAPI operation
}

BOOST_AUTO_TEST_CASE(patterns_that_match_the_same_paths_are_one_path_item) {
    http::Router router;
    router.get("/users/{id}", noop);
    router.del("/users/{name}", noop);
    const nlohmann::json doc = router.openapi({.title = "Users", .version = "2"});
    BOOST_TEST(doc["paths"].size() == 1u);
    BOOST_TEST_REQUIRE(doc["paths"].contains("/users/{id}"));
    BOOST_TEST(doc["paths"]["/users/{id}"].contains("delete"));
    BOOST_TEST(doc["paths"]["/users/{id}"]["parameters"][0]["name"] == "id");
}

BOOST_AUTO_TEST_CASE(routes_are_listed_as_registered) {
    http::Router router;
    router.route({"GET", "POST"}, "/search", noop).summary("Search");
    router.group("/v1").put("/x", noop);
    const auto routes = router.routes();
    BOOST_TEST_REQUIRE(routes.size() == 2u);
    BOOST_TEST(routes[0]->pattern() == "/search");
    BOOST_TEST(routes[0]->methods() == (std::vector<std::string>{"GET", "POST"}), boost::test_tools::per_element());
    BOOST_TEST(routes[0]->summary() == "Search");
    BOOST_TEST(routes[1]->pattern() == "/v1/x");
}

BOOST_AUTO_TEST_CASE(bad_documentation_is_refused_naming_the_route) {
    http::Router router;
    http::Route& route = router.get("/notes", noop);
    try {
        route.fails({http::OK});
        BOOST_FAIL("a 200 accepted as a failure");
    } catch (const std::invalid_argument& e) {
        BOOST_TEST(std::string(e.what()).find("/notes") != std::string::npos, e.what());
        BOOST_TEST(std::string(e.what()).find("200") != std::string::npos, e.what());
    }
    BOOST_CHECK_THROW(route.fails({http::NOT_MODIFIED}), std::invalid_argument);
    BOOST_CHECK_THROW(route.accepts("json"), std::invalid_argument);
    BOOST_CHECK_THROW(route.produces("text/"), std::invalid_argument);
    BOOST_CHECK_NO_THROW(route.produces("text/plain; charset=utf-8"));
    BOOST_TEST(route.produces().size() == 1u);
    BOOST_CHECK_THROW(router.openapi({.title = "", .version = "1"}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
