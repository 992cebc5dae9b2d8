// The request model: queries, cookies (RFC 6265), urlencoded and multipart forms (RFC 7578).
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>

namespace {

struct Fixture {
    std::mutex mutex;
    http::Request last;
    test::TestServer server{[this](http::Server& s) {
        s.on_receive([this](http::Request& req, http::Response&) {
            const std::lock_guard lock(mutex);
            last = req;
        });
    }};

    http::Request send(const std::string& request) {
        const auto r = test::exchange(server.port(), request);
        BOOST_TEST(r.status == 200);
        const std::lock_guard lock(mutex);
        return last;
    }
};

std::string value(const http::Fields& fields, std::string_view name) {
    const auto it = fields.find(name);
    return it == fields.end() ? "<absent>" : it->second;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(forms, Fixture)

BOOST_AUTO_TEST_CASE(query_strings) {
    const http::Request req = send(test::get("/p?a=1&b=x+y&c=%2F%zz&d&e=&%41=%e2%82%ac&a=2#frag"));
    BOOST_TEST(req.path == "/p");
    BOOST_TEST(value(req.queries, "a") == "2");  // the last of a repeated name
    BOOST_TEST(value(req.queries, "b") == "x y");
    BOOST_TEST(value(req.queries, "c") == "/%zz");  // a bad escape stays as it is
    BOOST_TEST(value(req.queries, "d") == "");
    BOOST_TEST(value(req.queries, "e") == "");
    BOOST_TEST(value(req.queries, "A") == "\xe2\x82\xac");
    BOOST_TEST(req.queries.size() == 6u);
    BOOST_TEST(req.request_uri == "/p?a=1&b=x+y&c=%2F%zz&d&e=&%41=%e2%82%ac&a=2#frag");
}

BOOST_AUTO_TEST_CASE(cookies) {
    const http::Request req = send(test::get("/", "Cookie: a=1; b=\"quoted\"; a=3;novalue; c=x=y\r\nCookie: d=4\r\n"));
    BOOST_TEST(value(req.cookies, "a") == "1");  // the first (most specific) wins
    BOOST_TEST(value(req.cookies, "b") == "quoted");
    BOOST_TEST(value(req.cookies, "c") == "x=y");
    BOOST_TEST(value(req.cookies, "d") == "4");
    BOOST_TEST(value(req.cookies, "novalue") == "<absent>");
}

BOOST_AUTO_TEST_CASE(urlencoded_form) {
    const std::string body = "name=J%C3%B6rg+M&tags=a%26b&empty=";
    const http::Request req = send("POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded; "
                                   "charset=utf-8\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n" + body);
    BOOST_TEST(value(req.form, "name") == "J\xc3\xb6rg M");
    BOOST_TEST(value(req.form, "tags") == "a&b");
    BOOST_TEST(value(req.form, "empty") == "");
    BOOST_TEST(req.body == body);  // the raw bytes stay
}

BOOST_AUTO_TEST_CASE(multipart_with_a_binary_file) {
    std::string binary;
    for (int i = 0; i < 256; ++i)
        binary += static_cast<char>(i);
    binary += "\r\n--not-the-boundary\r\n";
    const std::string body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello"
                             "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"data.bin\"\r\n"
                             "Content-Type: application/octet-stream\r\n\r\n" +
                             binary + "\r\n--XyZ--\r\nepilogue";
    const http::Request req = send("POST /u HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                                   "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    BOOST_TEST(value(req.form, "title") == "Hello");
    BOOST_REQUIRE(req.files.count("upload") == 1u);
    const http::UploadedFile& file = req.files.at("upload");
    BOOST_TEST(file.filename == "data.bin");
    BOOST_TEST(file.content_type == "application/octet-stream");
    BOOST_TEST(file.content == binary);
}

BOOST_AUTO_TEST_CASE(malformed_multipart_is_a_bad_request) {
    const std::string body = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nunterminated";
    const auto r = test::exchange(server.port(), "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; "
                                                 "boundary=b\r\nContent-Length: " +
                                                     std::to_string(body.size()) + "\r\n\r\n" + body);
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.body.find("closing boundary") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(client_address_and_version) {
    const http::Request req = send("GET / HTTP/1.0\r\n\r\n");
    BOOST_TEST(req.ip == "127.0.0.1");
    BOOST_TEST(req.port != 0);
    BOOST_TEST(req.http_version == "1.0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(form_limits)

namespace {

std::string urlencoded_post(int fields) {
    std::string body;
    for (int i = 0; i < fields; ++i)
        body += (i ? "&f" : "f") + std::to_string(i) + "=v";
    return "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string multipart_post(int parts) {
    std::string body;
    for (int i = 0; i < parts; ++i)
        body += "--b\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) + "\"\r\n\r\nv\r\n";
    body += "--b--\r\n";
    return "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

BOOST_AUTO_TEST_CASE(max_form_fields_at_and_past_the_default) {
    std::atomic<std::size_t> fields_seen{0};
    test::TestServer server([&](http::Server& s) {
        BOOST_TEST(s.max_form_fields == 1000u);
        s.on_receive([&](http::Request& req, http::Response&) { fields_seen = req.form.size(); });
    });
    BOOST_TEST(test::exchange(server.port(), urlencoded_post(1000)).status == 200);
    BOOST_TEST(fields_seen == 1000u);
    const auto over = test::exchange(server.port(), urlencoded_post(1001));
    BOOST_TEST(over.status == 413);
    BOOST_TEST(over.body.find("too many form fields") != std::string::npos);
    BOOST_TEST(test::exchange(server.port(), multipart_post(1000)).status == 200);
    BOOST_TEST(fields_seen == 1000u);
    const auto parts = test::exchange(server.port(), multipart_post(1001));
    BOOST_TEST(parts.status == 413);
    BOOST_TEST(parts.body.find("too many multipart parts") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(max_form_fields_is_a_setting) {
    test::TestServer server([](http::Server& s) { s.max_form_fields = 3; });
    BOOST_TEST(test::exchange(server.port(), urlencoded_post(3)).status == 200);
    BOOST_TEST(test::exchange(server.port(), urlencoded_post(4)).status == 413);
    BOOST_TEST(test::exchange(server.port(), multipart_post(3)).status == 200);
    BOOST_TEST(test::exchange(server.port(), multipart_post(4)).status == 413);
}

BOOST_AUTO_TEST_SUITE_END()
