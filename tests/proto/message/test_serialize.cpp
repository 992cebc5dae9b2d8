// Responses to bytes: the status line, the server's own framing fields, refused field values.
#include "proto/message/serialize.hpp"

#include <boost/test/unit_test.hpp>

using namespace http::detail;

BOOST_AUTO_TEST_SUITE(serialize)

BOOST_AUTO_TEST_CASE(status_line_fields_and_body) {
    http::Response r;
    r.status = http::CREATED;
    r.headers["Location"] = "/items/1";
    r.headers["Content-Length"] = "999";  // the server writes its own framing fields
    r.body = "made";
    std::string out;
    BOOST_TEST(!serialize_response(r, {false, true, 1, {}}, out));
    const std::string expected_prefix = "HTTP/1.1 201 Created\r\nDate: ";
    BOOST_TEST(out.substr(0, expected_prefix.size()) == expected_prefix);
    BOOST_TEST(out.ends_with("\r\nLocation: /items/1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nmade"));
    out.clear();
    r.headers["X-Bad"] = "a\nb";
    BOOST_CHECK_THROW(serialize_response(r, {false, true, 1, {}}, out), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
