// Response compression (server.compression) against curl --compressed, our client, and raw
// requests: negotiation with q-values, Vary, distinct ETags, and what is never compressed.
#include <http/client.hpp>
#include <http/router.hpp>
#include <http/server.hpp>

#include "support/process.hpp"
#include "support/nginx.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

namespace {

using test::run;

std::string json_body() {
    std::string body = "[";
    for (int i = 0; i < 400; ++i)
        body += (i ? "," : "") + std::string(R"({"id":)") + std::to_string(i) + R"(,"name":"item","tags":["a","b"]})";
    return body + "]";
}

struct Fixture {
    test::TempDir dir;
    const std::string json = json_body();
    test::TestServer server{[this](http::Server& s) {
        s.compression = true;
        std::ofstream(dir.path() / "page.html") << "<html>" << std::string(5000, 'x') << "</html>";
        http::Router router;
        router.get("/json", [this](http::Request&, http::Response& res) {
            res.content_type("application/json");
            res.headers["ETag"] = "\"v7\"";
            res.body = json;
        });
        router.get("/small", [](http::Request&, http::Response& res) {
            res.content_type("application/json");
            res.body = R"({"tiny":true})";
        });
        router.get("/png", [this](http::Request&, http::Response& res) {
            res.content_type("image/png");
            res.body = json;
        });
        router.get("/encoded", [this](http::Request&, http::Response& res) {
            res.content_type("text/plain");
            res.headers["Content-Encoding"] = "identity";
            res.body = json;
        });
        router.files("/files", dir.path());
        s.on_receive(router);
    }};
    std::string url(std::string_view path) { return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path); }
    test::RawResponse get(std::string_view path, std::string_view accept_encoding) {
        return test::exchange(server.port(), test::get(path, "Accept-Encoding: " + std::string(accept_encoding) + "\r\n"));
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(compression, Fixture)

BOOST_AUTO_TEST_CASE(negotiated_by_q_values) {
    BOOST_TEST(get("/json", "gzip").header("Content-Encoding") == "gzip");
    BOOST_TEST(get("/json", "br").header("Content-Encoding") == "br");
    BOOST_TEST(get("/json", "zstd").header("Content-Encoding") == "zstd");
    BOOST_TEST(get("/json", "gzip, deflate, br, zstd").header("Content-Encoding") == "zstd");  // ours first on a tie
    BOOST_TEST(get("/json", "gzip;q=1, br;q=0.5, zstd;q=0.1").header("Content-Encoding") == "gzip");
    BOOST_TEST(get("/json", "*").header("Content-Encoding") == "zstd");
    BOOST_TEST(get("/json", "*;q=0.5, zstd;q=0").header("Content-Encoding") == "br");
    BOOST_TEST(get("/json", "identity;q=0, gzip").header("Content-Encoding") == "gzip");
    BOOST_TEST(get("/json", "gzip;q=0").header("Content-Encoding") == "<absent>");
    BOOST_TEST(get("/json", "identity").header("Content-Encoding") == "<absent>");
    BOOST_TEST(get("/json", "gzip;q=0.5, identity;q=1").header("Content-Encoding") == "<absent>");
    BOOST_TEST(get("/json", "compress, deflate").header("Content-Encoding") == "<absent>");
    const auto none = test::exchange(server.port(), test::get("/json"));  // no Accept-Encoding: identity
    BOOST_TEST(none.header("Content-Encoding") == "<absent>");
    BOOST_TEST((none.body == json));  // not printed if it fails: 20 KB
}

BOOST_AUTO_TEST_CASE(vary_and_a_distinct_etag) {
    const auto gzip = get("/json", "gzip");
    const auto plain = get("/json", "identity");
    BOOST_TEST(gzip.header("Vary") == "Accept-Encoding");
    BOOST_TEST(plain.header("Vary") == "Accept-Encoding");  // the response varies even when not compressed
    BOOST_TEST(plain.header("ETag") == "\"v7\"");
    BOOST_TEST(gzip.header("ETag") == "\"v7-gzip\"");
    BOOST_TEST(gzip.body.size() < json.size() / 5);
}

BOOST_AUTO_TEST_CASE(decoded_by_real_clients) {
    BOOST_TEST(run("curl -s --compressed " + url("/json")) == json);
    BOOST_TEST(run("curl -s -H 'Accept-Encoding: br' --compressed " + url("/json")) == json);
    http::Client client;  // sends gzip, deflate, br, zstd
    const http::Response r = client.get(url("/json"));
    BOOST_TEST(r.headers.get("Content-Encoding") == "zstd");
    BOOST_TEST(r.body == json);
}

BOOST_AUTO_TEST_CASE(what_is_not_compressed) {
    BOOST_TEST(get("/small", "gzip").header("Content-Encoding") == "<absent>");  // under the minimum size
    BOOST_TEST(get("/small", "gzip").header("Vary") == "<absent>");
    BOOST_TEST(get("/png", "gzip").header("Content-Encoding") == "<absent>");  // not a compressible type
    BOOST_TEST(get("/encoded", "gzip").header("Content-Encoding") == "identity");  // encoded already
    const auto partial = test::exchange(server.port(), test::get("/files/page.html", "Accept-Encoding: gzip\r\nRange: bytes=0-9\r\n"));
    BOOST_TEST(partial.status == 206);  // never a 206
    BOOST_TEST(partial.header("Content-Encoding") == "<absent>");
    BOOST_TEST(partial.body == "<html>xxxx");
}

BOOST_AUTO_TEST_CASE(files_and_their_conditional_requests) {
    const auto page = get("/files/page.html", "gzip");
    BOOST_TEST(page.header("Content-Encoding") == "gzip");
    const std::string etag = page.header("ETag");
    BOOST_TEST(etag.ends_with("-gzip\""));
    BOOST_TEST(run("curl -s --compressed " + url("/files/page.html")) == "<html>" + std::string(5000, 'x') + "</html>");
    // A client holding the gzip variant revalidates it.
    const auto revalidated = test::exchange(server.port(), test::get("/files/page.html", "Accept-Encoding: gzip\r\nIf-None-Match: " + etag + "\r\n"));
    BOOST_TEST(revalidated.status == 304);
    // HEAD announces what GET sends.
    const auto head = test::exchange(server.port(), "HEAD /files/page.html HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n", true);
    BOOST_TEST(head.header("Content-Encoding") == "gzip");
    BOOST_TEST(head.header("Content-Length") == std::to_string(page.body.size()));
}

BOOST_AUTO_TEST_SUITE_END()
