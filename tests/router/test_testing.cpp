// http::TestClient and http::Request::parse: the server's own exchange, in memory, with no socket
// and no thread.
#include <http/router.hpp>
#include <http/testing.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>
#include <vector>

namespace {

// The request as the handler saw it, one line a member.
std::string describe(const http::Request& req) {
    std::string out = req.method + " " + req.path + " ip=" + req.ip + " host=" + req.host + " v=" + req.http_version;
    for (const auto& [name, value] : req.queries)
        out += " q:" + name + "=" + value;
    for (const auto& [name, value] : req.cookies)
        out += " c:" + name + "=" + value;
    for (const auto& [name, value] : req.form)
        out += " f:" + name + "=" + value;
    for (const auto& [name, value] : req.params)
        out += " p:" + name + "=" + value;
    return out;
}

struct Fixture {
    http::Router router;
    std::vector<std::string> errors;
    std::thread::id handler_thread;

    Fixture() {
        router.use([](http::Request&, http::Response& res, const std::function<void()>& next) {
            res.headers.set("Vary", "Origin");
            next();
        });
        router.route({"GET", "POST"}, "/echo/{name}", [this](http::Request& req, http::Response& res) {
            handler_thread = std::this_thread::get_id();
            res.body = describe(req);
        });
        router.get("/notes/{id}", [](http::Request& req, http::Response& res) {
            res.write("note " + std::to_string(req.param<int>("id")));
        });
        router.get("/big", [](http::Request&, http::Response& res) {
            res.content_type("text/plain");
            for (int i = 0; i < 500; ++i)
                res.body += "a line of text that compresses well\n";
        });
        router.get("/empty", [](http::Request&, http::Response& res) {
            res.status = http::NO_CONTENT;
            res.content_type("application/json");
            res.body = "{}";
        });
        router.get("/cookie", [](http::Request&, http::Response& res) { res.set_cookie("sid", "abc"); });
        router.get("/crash", [](http::Request&, http::Response&) { throw std::runtime_error("database down"); });
        router.get("/no-allow", [](http::Request&, http::Response&) {
            throw http::Failure("no Allow", http::METHOD_NOT_ALLOWED);
        });
        router.get("/stream", [](http::Request&, http::Response& res) { res.stream().write("x"); });
    }

    http::TestClient client() {
        http::TestClient test(router);
        test.on_error([this](const std::exception& e, const http::ClientInfo&) { errors.emplace_back(e.what()); });
        return test;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(testing, Fixture)

BOOST_AUTO_TEST_CASE(the_target_middleware_and_router_on_this_thread) {
    http::TestClient test = client();
    const http::Response r = test.get("/echo/a%20b?page=2&q=x+y&q=z", {{"Cookie", "sid=1; theme=dark"}});
    BOOST_TEST(r.status == http::OK);
    BOOST_TEST(r.body == "GET /echo/a%20b ip=127.0.0.1 host=localhost v=1.1 q:page=2 q:q=z c:sid=1 c:theme=dark p:name=a b");
    BOOST_TEST(r.headers.get("Vary") == "Origin");
    BOOST_TEST(r.headers.get("Content-Length") == std::to_string(r.body.size()));
    BOOST_TEST(r.headers.contains("Date"));
    BOOST_TEST((handler_thread == std::this_thread::get_id()));
    test.ip = "10.1.2.3";
    const http::Response form = test.post("/echo/f", "a=1&b=%C3%A9", {{"Content-Type", "application/x-www-form-urlencoded"},
                                                                       {"Host", "api.example"}});
    BOOST_TEST(form.body == "POST /echo/f ip=10.1.2.3 host=api.example v=1.1 f:a=1 f:b=\xc3\xa9 p:name=f");
    BOOST_TEST(test.send_request("PUT", "/echo/x").status == http::METHOD_NOT_ALLOWED);
}

BOOST_AUTO_TEST_CASE(failures_are_negotiated_problems_that_raise_again) {
    http::TestClient test = client();
    const http::Response missing = test.get("/nowhere");
    BOOST_TEST(missing.status == http::NOT_FOUND);
    BOOST_TEST(missing.headers.get("Content-Type") == "application/problem+json");
    BOOST_TEST(missing.headers.get("Vary") == "Origin");  // kept from the middleware
    BOOST_CHECK_THROW(missing.raise_for_status(), http::NotFound);
    const http::Response text = test.get("/notes/abc", {{"Accept", "text/plain"}});
    BOOST_TEST(text.status == http::NOT_FOUND);
    BOOST_TEST(text.body == "404 Not Found\n\nthe path parameter 'id' is not an integer\n");
    try {
        test.send_request("DELETE", "/notes/1").raise_for_status();
        BOOST_FAIL("405 expected");
    } catch (const http::MethodNotAllowed& e) {
        BOOST_TEST((e.allowed_methods() == std::vector<std::string>{"GET", "HEAD", "OPTIONS"}));
    }
    try {
        test.get("/notes/x").raise_for_status();
        BOOST_FAIL("404 expected");
    } catch (const http::NotFound& e) {
        BOOST_TEST(std::string(e.what()) == "the path parameter 'id' is not an integer");
    }
    BOOST_CHECK_NO_THROW(test.get("/notes/7").raise_for_status());
    BOOST_TEST(test.get("/notes/7").body == "note 7");
}

BOOST_AUTO_TEST_CASE(head_and_the_datasets_checks) {
    http::TestClient test = client();
    const http::Response head = test.send_request("HEAD", "/notes/7");
    BOOST_TEST(head.status == http::OK);
    BOOST_TEST(head.body.empty());
    BOOST_TEST(head.headers.get("Content-Length") == "6");  // GET's
    const http::Response empty = test.get("/empty");
    BOOST_TEST(empty.status == http::NO_CONTENT);
    BOOST_TEST(empty.body.empty());
    BOOST_TEST(!empty.headers.contains("Content-Type"));
    BOOST_TEST(test.get("/no-allow").status == http::METHOD_NOT_ALLOWED);
    BOOST_TEST(test.get("/no-allow").status == http::METHOD_NOT_ALLOWED);
    BOOST_REQUIRE(errors.size() == 1u);  // once per status, as a server reports it
    BOOST_TEST(errors[0].find("405 Method Not Allowed was sent without Allow") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(other_exceptions_are_500_and_reported) {
    http::TestClient test = client();
    const http::Response r = test.get("/crash");
    BOOST_TEST(r.status == http::INTERNAL_SERVER_ERROR);
    BOOST_TEST(r.body.find("database") == std::string::npos);
    BOOST_TEST((errors == std::vector<std::string>{"database down"}));
    BOOST_CHECK_THROW(r.raise_for_status(), http::InternalServerError);
}

BOOST_AUTO_TEST_CASE(compression_cookies_and_limits) {
    http::TestClient test = client();
    const http::Response plain = test.get("/big", {{"Accept-Encoding", "gzip"}});
    BOOST_TEST(!plain.headers.contains("Content-Encoding"));  // off unless asked, as on a Server
    test.compression = true;
    const http::Response gzip = test.get("/big", {{"Accept-Encoding", "gzip"}});
    BOOST_TEST(gzip.headers.get("Content-Encoding") == "gzip");
    BOOST_TEST(gzip.headers.get("Vary") == "Origin, Accept-Encoding");
    BOOST_TEST(gzip.body.size() < plain.body.size() / 4);
    BOOST_TEST(gzip.body.starts_with("\x1f\x8b"));
    BOOST_TEST(gzip.headers.get("Content-Length") == std::to_string(gzip.body.size()));

    const http::Response cookie = test.get("/cookie");
    BOOST_TEST((cookie.cookies == std::vector<std::string>{"sid=abc"}));
    BOOST_TEST(cookie.headers.get("Set-Cookie") == "sid=abc");

    // The server's limits: a header section past max_header_size is refused before any handler.
    const http::Response refused = test.get("/echo/x", {{"X-Big", std::string(20 * 1024, 'a')}});
    BOOST_TEST(refused.status == http::REQUEST_HEADER_FIELDS_TOO_LARGE);
    BOOST_TEST(refused.headers.get("Content-Type") == "application/problem+json");
}

BOOST_AUTO_TEST_CASE(files_and_what_needs_a_server) {
    const auto dir = std::filesystem::temp_directory_path() / ("httpkit-testing-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "a.txt") << "file content\n";
    router.files("/static", dir);
    http::TestClient test = client();
    const http::Response file = test.get("/static/a.txt");
    BOOST_TEST(file.status == http::OK);
    BOOST_TEST(file.body == "file content\n");
    BOOST_TEST(file.headers.get("Content-Type") == "text/plain; charset=utf-8");
    const http::Response range = test.get("/static/a.txt", {{"Range", "bytes=5-11"}});
    BOOST_TEST(range.status == http::PARTIAL_CONTENT);
    BOOST_TEST(range.body == "content");
    BOOST_TEST(test.get("/static/a.txt", {{"If-None-Match", std::string(file.headers.get("ETag"))}}).status == http::NOT_MODIFIED);
    std::filesystem::remove_all(dir);
    BOOST_CHECK_THROW(test.get("/stream"), std::logic_error);
    BOOST_TEST(test.get("/notes/1").body == "note 1");  // and the client goes on
}

BOOST_AUTO_TEST_CASE(a_plain_handler) {
    http::TestClient test([](http::Request& req, http::Response& res) { res.body = req.method + " " + req.request_uri; });
    BOOST_TEST(test.send_request("PATCH", "/x?y=1", "body").body == "PATCH /x?y=1");
    BOOST_CHECK_THROW(test.send_request("GET POST", "/"), std::invalid_argument);  // cannot be sent
    BOOST_CHECK_THROW(http::TestClient(std::function<void(http::Request&, http::Response&)>()), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(request_parse)

BOOST_AUTO_TEST_CASE(a_whole_request_as_the_server_reads_it) {
    const http::Request req = http::Request::parse(
        "POST /items/new?draft=1&tag=a%20b HTTP/1.1\r\nHost: api.example\r\nCookie: sid=9\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nname=ada&x=");
    BOOST_TEST(req.method == "POST");
    BOOST_TEST(req.request_uri == "/items/new?draft=1&tag=a%20b");
    BOOST_TEST(req.path == "/items/new");
    BOOST_TEST(req.host == "api.example");
    BOOST_TEST(req.http_version == "1.1");
    BOOST_TEST(req.queries.at("tag") == "a b");
    BOOST_TEST(req.cookies.at("sid") == "9");
    BOOST_TEST(req.form.at("name") == "ada");
    BOOST_TEST(req.form.at("x") == "");
    BOOST_TEST(req.body == "name=ada&x=");
    BOOST_TEST(req.headers.get("content-type") == "application/x-www-form-urlencoded");

    const http::Request chunked = http::Request::parse(
        "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n");
    BOOST_TEST(chunked.body == "abcde");
    BOOST_TEST(chunked.trailers.get("X-T") == "1");

    const std::string parts =
        "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
        "--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.txt\"\r\n\r\nhello\r\n--XX--\r\n";
    const http::Request multipart = http::Request::parse(
        "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: " +
        std::to_string(parts.size()) + "\r\n\r\n" + parts);
    BOOST_TEST(multipart.form.at("a") == "1");
    BOOST_TEST(multipart.files.at("f").filename == "f.txt");
    BOOST_TEST(multipart.files.at("f").content == "hello");
}

BOOST_AUTO_TEST_CASE(a_malformed_request_throws_what_the_server_answers) {
    auto status_of = [](const std::string& raw) {
        try {
            http::Request::parse(raw);
        } catch (const http::Failure& e) {
            return static_cast<int>(e.status());
        }
        return 0;
    };
    BOOST_TEST(status_of("") == 400);
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\n") == 400);              // no end of head
    BOOST_TEST(status_of("GET / HTTP/1.1\r\n\r\n") == 400);                      // no Host
    BOOST_TEST(status_of("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n") == 400);
    BOOST_TEST(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc") == 400);  // cut short
    BOOST_TEST(status_of("GET / HTTP/3.0\r\nHost: h\r\n\r\n") == 505);
    BOOST_TEST(status_of("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n") == 414);
    std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 101; ++i)
        many += "X-" + std::to_string(i) + ": v\r\n";
    BOOST_TEST(status_of(many + "\r\n") == 431);
    BOOST_TEST(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9000000\r\n\r\n") == 413);
    BOOST_TEST(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") == 501);
    BOOST_CHECK_THROW(http::Request::parse("GET / HTTP/1.1\r\n\r\n"), http::BadRequest);
    BOOST_CHECK_THROW(http::Request::parse("GET / HTTP/3.0\r\nHost: h\r\n\r\n"), http::HttpVersionNotSupported);
    try {
        http::Request::parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9000000\r\n\r\n");
    } catch (const http::ContentTooLarge& e) {
        BOOST_TEST(std::string(e.what()) == "the content is larger than the server accepts");
    }
}

BOOST_AUTO_TEST_SUITE_END()
