#include "proto/message/problem.hpp"
#include "proto/message/serialize.hpp"

#include <boost/test/unit_test.hpp>

using namespace http::detail;

BOOST_AUTO_TEST_SUITE(problem_details)

BOOST_AUTO_TEST_CASE(json_escaping) {
    const http::Response r = failure_response(http::BAD_REQUEST, "quote \" backslash \\ newline \n nul \x01", {}, "");
    BOOST_TEST(r.body ==
               R"({"type":"about:blank","title":"Bad Request","status":400,"detail":"quote \" backslash \\ newline \n nul \u0001"})");
    BOOST_TEST(failure_response(static_cast<http::Status>(477), "x", {}, "").body.find(R"("title":"client_error")") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(serialization) {
    http::Response r;
    r.status = http::CREATED;
    r.headers["Location"] = "/items/1";
    r.headers["Content-Length"] = "999";  // the server writes its own framing fields
    r.body = "made";
    std::string out;
    BOOST_TEST(!serialize_response(r, {false, true, 1}, out));
    const std::string expected_prefix = "HTTP/1.1 201 Created\r\nDate: ";
    BOOST_TEST(out.substr(0, expected_prefix.size()) == expected_prefix);
    BOOST_TEST(out.ends_with("\r\nLocation: /items/1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nmade"));
    out.clear();
    r.headers["X-Bad"] = "a\nb";
    BOOST_CHECK_THROW(serialize_response(r, {false, true, 1}, out), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
