// The client against a real nginx over HTTP: files, gzip and chunked, redirects, cookies, reuse.
#include <http/client.hpp>

#include "client/site.hpp"

#include <boost/test/unit_test.hpp>

namespace {

std::string header(const http::Response& r, std::string_view name) { return std::string(r.headers.get(name, "<absent>")); }

}  // namespace

BOOST_AUTO_TEST_SUITE(nginx)

BOOST_AUTO_TEST_CASE(small_and_large_files) {
    const auto& site = test::Site::get();
    http::Client client;
    const http::Response small = client.get(site.http("/small.txt"));
    BOOST_TEST((small.status == http::OK));
    BOOST_TEST(small.body == "small file\n");
    BOOST_TEST(small.version == "1.1");
    BOOST_TEST(header(small, "Server").starts_with("nginx"));
    BOOST_TEST(small.responder == site.http("/small.txt"));
    BOOST_TEST(small.redirects == 0);
    BOOST_TEST(small.time_taken.count() > 0);

    const http::Response large = client.get(site.http("/large.bin"));
    BOOST_TEST(large.body.size() == site.large.size());
    BOOST_TEST((large.body == site.large));  // 32 MiB, intact
}

BOOST_AUTO_TEST_CASE(gzip_and_chunked) {
    const auto& site = test::Site::get();
    const http::Response r = http::get(site.http("/text.txt"));
    BOOST_TEST(header(r, "Content-Encoding") == "gzip");
    BOOST_TEST(header(r, "Transfer-Encoding") == "chunked");  // nginx streams what it compresses
    BOOST_TEST(r.body.size() == site.text.size());
    BOOST_TEST((r.body == site.text));
    // Without Accept-Encoding from us, the same file comes plain.
    const http::Response plain = http::set_headers({{"Accept-Encoding", "identity"}}).get(site.http("/text.txt"));
    BOOST_TEST(header(plain, "Content-Encoding") == "<absent>");
    BOOST_TEST((plain.body == site.text));
}

BOOST_AUTO_TEST_CASE(head_has_no_body) {
    http::Client client;
    const http::Response r = client.send_request(test::Site::get().http("/large.bin"), "HEAD");
    BOOST_TEST(header(r, "Content-Length") == std::to_string(32 * 1024 * 1024));
    BOOST_TEST(r.body.empty());
    BOOST_TEST(client.get(test::Site::get().http("/small.txt")).body == "small file\n");  // same connection, in step
}

BOOST_AUTO_TEST_CASE(redirects) {
    const auto& site = test::Site::get();
    http::Client client;
    const http::Response chain = client.get(site.http("/chain/1"));
    BOOST_TEST(chain.body == "small file\n");
    BOOST_TEST(chain.redirects == 3);
    BOOST_TEST(chain.responder == site.http("/small.txt"));  // the last Location was relative: ../small.txt
    // 301 and 302 turn POST into GET; 303 turns anything into GET; 307 and 308 keep both.
    BOOST_TEST(client.post(site.http("/redirect/303"), "abc").body == "GET ");
    BOOST_TEST(client.post(site.http("/redirect/307"), "abc").body == "POST 3");
    BOOST_TEST(client.put(site.http("/redirect/308"), "abcd").body == "PUT 4");
    BOOST_TEST(client.post(site.http("/redirect/302"), "x").body == "small file\n");

    client.follow_redirect = false;
    const http::Response first = client.get(site.http("/redirect/301"));
    BOOST_TEST((first.status == http::MOVED_PERMANENTLY));
    BOOST_TEST(header(first, "Location").ends_with("/small.txt"));

    client.follow_redirect = true;
    client.max_redirects = 5;
    try {
        client.get(site.http("/loop"));
        BOOST_FAIL("a redirect loop must end in an error");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == http::TransportError::Kind::too_many_redirects));
        BOOST_TEST(std::string(e.what()).find("more than 5 redirects") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(credentials_stay_with_their_origin) {
    const auto& site = test::Site::get();
    http::Client client;
    client.headers["Authorization"] = "Bearer secret";
    client.headers["Cookie"] = "session=1";
    BOOST_TEST(client.get(site.http("/same-origin")).body == "Bearer secret|session=1");
    const http::Response cross = client.get(site.http("/cross-origin"));
    BOOST_TEST(cross.responder == site.other_origin("/credentials"));
    BOOST_TEST(cross.body == "|");
    // Userinfo in the URL becomes Basic authentication at once with Auth::basic; by default
    // (Auth::any) it waits for a challenge, and /credentials sends none.
    const std::string with_userinfo = "http://user:p%40ss@127.0.0.1:" + std::to_string(site.http_port) + "/credentials";
    http::Client basic;
    basic.auth_method = http::Auth::basic;
    BOOST_TEST(basic.get(with_userinfo).body == "Basic dXNlcjpwQHNz|");
    BOOST_TEST(http::get(with_userinfo).body == "|");
}

BOOST_AUTO_TEST_CASE(cookies_user_agent_referer) {
    const auto& site = test::Site::get();
    const http::Response r = http::get(site.http("/cookies"));
    BOOST_TEST(r.cookies.size() == 2u);
    BOOST_TEST(r.cookies[0] == "a=1; Path=/");
    BOOST_TEST(r.cookies[1] == "b=2; HttpOnly");
    http::Client client;
    client.user_agent = "probe/1.0";
    client.referer = "https://example.com/from";
    BOOST_TEST(client.get(site.http("/agent")).body == "probe/1.0|https://example.com/from|gzip, deflate, br, zstd");
}

BOOST_AUTO_TEST_CASE(connections_are_reused) {
    const auto& site = test::Site::get();
    http::Client client;
    const std::string first = client.get(site.http("/connection")).body;
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(client.get(site.http("/connection")).body == first);  // nginx's connection number
    BOOST_TEST(http::get(site.http("/connection")).body != first);      // another client, another connection
}

BOOST_AUTO_TEST_CASE(raise_for_status_throws_the_typed_failure) {
    const http::Response r = http::get(test::Site::get().http("/missing"));
    BOOST_TEST((r.status == http::NOT_FOUND));
    BOOST_CHECK_THROW(r.raise_for_status(), http::NotFound);
    BOOST_CHECK_NO_THROW(http::get(test::Site::get().http("/small.txt")).raise_for_status());
}

BOOST_AUTO_TEST_SUITE_END()
