// RFC 9457 problem details: written by the server, read back by the client.
#include "proto/message/problem.hpp"

#include <boost/test/unit_test.hpp>

using namespace http::detail;

BOOST_AUTO_TEST_SUITE(problem_details)

BOOST_AUTO_TEST_CASE(json_escaping) {
    const http::Response r = failure_response(http::BAD_REQUEST, "quote \" backslash \\ newline \n nul \x01", "");
    BOOST_TEST(r.body ==
               R"({"type":"about:blank","title":"Bad Request","status":400,"detail":"quote \" backslash \\ newline \n nul \u0001"})");
    // A code without a phrase has no title.
    BOOST_TEST(failure_response(static_cast<http::Status>(477), "x", "").body == R"({"type":"about:blank","status":477,"detail":"x"})");
}

BOOST_AUTO_TEST_CASE(every_member_written) {
    http::Problem p;
    p.type = "https://example.com/probs/out-of-credit";
    p.title = "You do not have enough credit.";
    p.detail = "Your current balance is 30, but that costs 50.";
    p.instance = "/account/12345/msgs/abc";
    p.extensions["balance"] = " 30 ";
    p.extensions["accounts"] = R"(["/account/12345", "/account/67890"])";
    p.extensions["note"] = "not json";           // goes as a string
    p.extensions["status"] = "200";               // a standard member's name: left out
    std::string out;
    write_problem_json(p, http::FORBIDDEN, out);
    BOOST_TEST(out == R"({"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit.",)"
                      R"("status":403,"detail":"Your current balance is 30, but that costs 50.",)"
                      R"("instance":"/account/12345/msgs/abc","accounts":["/account/12345", "/account/67890"],)"
                      R"("balance":30,"note":"not json"})");
}

BOOST_AUTO_TEST_CASE(read_back_what_was_written) {
    http::Problem p;
    p.type = "tag:x";
    p.title = "T \"quoted\" \xc3\xa9";
    p.status = http::CONFLICT;
    p.detail = "line\nbreak";
    p.extensions["n"] = "-1.5e3";
    p.extensions["o"] = R"({"a":[true,false,null,{}]})";
    std::string out;
    write_problem_json(p, http::CONFLICT, out);
    const auto read = read_problem_json(out);
    BOOST_REQUIRE(read.has_value());
    BOOST_TEST((*read == p));
}

BOOST_AUTO_TEST_CASE(reading_is_lenient_about_members_strict_about_json) {
    const auto p = read_problem_json(
        R"( { "title": 5, "status": "404", "detail": "caf\u00e9 \ud83d\ude00", "x": {"deep": [1, [2]]} } )");
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->type == "about:blank");  // absent: about:blank (RFC 9457, Section 3.1.1)
    BOOST_TEST(p->title.empty());          // of the wrong type: ignored
    BOOST_TEST((p->status == http::Status{}));
    BOOST_TEST(p->detail == "caf\xc3\xa9 \xf0\x9f\x98\x80");
    BOOST_TEST(p->extensions.at("x") == R"({"deep": [1, [2]]})");
    for (const char* bad : {"", "[]", "{", R"({"a":})", R"({"a":1,})", R"({"a":1} x)", R"({"a":"\ud83d"})", R"({"a":01})",
                            R"({"a":"raw
newline"})", R"({'a':1})"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!read_problem_json(bad).has_value());
        }
    }
    // Nesting is bounded: no input exhausts the stack.
    BOOST_TEST(!read_problem_json("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}").has_value());
    BOOST_TEST(read_problem_json("{\"a\":" + std::string(60, '[') + std::string(60, ']') + "}").has_value());
}

BOOST_AUTO_TEST_CASE(json_values) {
    for (const char* good : {"0", "-0.5", "1e9", "\"s\"", "true", "null", "[]", "{}", " [1, {\"a\": [\"b\"]}] "})
        BOOST_TEST(is_json_value(good), good);
    for (const char* bad : {"", "01", "1.", ".5", "+1", "tru", "[1,]", "{\"a\"}", "1 2", "\"\\x\"", "[1}"})
        BOOST_TEST(!is_json_value(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()
