// Responses to bytes: the status line, the server's own framing fields, refused field values.
#include "proto/message/serialize.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

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

BOOST_AUTO_TEST_CASE(heads_of_any_size) {
    // The head is gathered in a 1 KiB buffer on the stack: a field that fills it at every offset,
    // an empty value, and values longer than the buffer come out as they went in.
    std::vector<std::size_t> lengths = {0, 1, 2047, 5000};
    for (std::size_t length = 940; length <= 1040; ++length)
        lengths.push_back(length);
    for (const http::Status status : {http::NOT_FOUND, http::SERVICE_UNAVAILABLE, http::OK}) {
        for (const std::size_t length : lengths) {
            BOOST_TEST_CONTEXT("status " << static_cast<int>(status) << ", a value of " << length << " bytes") {
                http::Response r;
                r.status = status;
                r.headers["X-Fill"] = std::string(length, 'f');
                r.headers["X-Empty"] = "";
                r.headers["X-After"] = std::string(length / 2, 'a');
                r.body = "body";
                std::string out = "kept";
                BOOST_TEST(!serialize_response(r, {false, true, 1, {}}, out));
                const std::string status_line = "keptHTTP/1.1 " + std::to_string(static_cast<int>(status)) + " " +
                                                std::string(http::phrase(status)) + "\r\nDate: ";
                BOOST_TEST(out.substr(0, status_line.size()) == status_line);
                const std::string rest = "\r\nX-Fill: " + std::string(length, 'f') + "\r\nX-Empty: \r\nX-After: " +
                                         std::string(length / 2, 'a') +
                                         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nbody";
                BOOST_TEST(out.ends_with(rest));
                BOOST_TEST(out.size() == status_line.size() + 29 + rest.size());  // an IMF-fixdate is 29 bytes
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
