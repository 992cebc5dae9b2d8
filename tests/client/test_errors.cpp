// What the client says when no usable response arrives; nothing waits past its timeout.
#include <http/client.hpp>

#include "support/raw_server.hpp"

#include <boost/test/unit_test.hpp>

using Kind = http::TransportError::Kind;
using namespace std::chrono_literals;

namespace {

// Runs the request and returns the error it raised.
http::TransportError failure(http::Client& client, const std::string& url) {
    try {
        client.get(url);
    } catch (const http::TransportError& e) {
        return e;
    }
    BOOST_FAIL("the request should have failed");
    throw;
}

// The error a fresh client raises for a GET answered with exactly `response`, then a close.
http::TransportError failure_for_reply(std::string response) {
    test::RawServer server([response = std::move(response)](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, response);
    });
    http::Client client;
    return failure(client, server.url());
}

bool says(const http::TransportError& e, std::string_view what) {
    return std::string_view(e.what()).find(what) != std::string_view::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(invalid_urls) {
    http::Client client;
    for (const char* url : {"ftp://example.com/", "example.com/path", "http://", "http://host:99999/",
                            "http://ex ample.com/", "http://[::1/"}) {
        BOOST_TEST_CONTEXT(url) {
            const auto e = failure(client, url);
            BOOST_TEST((e.kind() == Kind::invalid_url));
            BOOST_TEST(says(e, "invalid URL"));
        }
    }
}

BOOST_AUTO_TEST_CASE(connection_refused) {
    http::Client client;
    const std::uint16_t port = test::free_port();  // nobody listens there
    const auto e = failure(client, "http://127.0.0.1:" + std::to_string(port) + "/x");
    BOOST_TEST((e.kind() == Kind::connect));
    BOOST_TEST(says(e, "GET http://127.0.0.1:" + std::to_string(port) + "/x: connect to 127.0.0.1:"));
    BOOST_TEST(says(e, "Connection refused"));
}

BOOST_AUTO_TEST_CASE(dns_failure) {
    http::Client client;
    client.connect_timeout = 3s;  // this machine may have no resolver to ask: bounded either way
    const auto e = failure(client, "http://no-such-host.invalid/");
    BOOST_TEST((e.kind() == Kind::dns));
    BOOST_TEST(says(e, "DNS lookup of 'no-such-host.invalid'"));
}

BOOST_AUTO_TEST_CASE(connect_timeout) {
    // A listening socket that never accepts, its backlog filled: the kernel drops further SYNs.
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    ::listen(listener, 0);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        fillers.push_back(fd);
    }
    ::usleep(100 * 1000);
    http::Client client;
    client.connect_timeout = 300ms;
    const auto e = failure(client, "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/");
    BOOST_TEST((e.kind() == Kind::connect));
    BOOST_TEST(says(e, "timed out"));
    for (const int fd : fillers)
        ::close(fd);
    ::close(listener);
}

BOOST_AUTO_TEST_CASE(a_server_that_never_answers) {
    test::RawServer silent([](int fd) {
        test::RawServer::read_head(fd);
        ::usleep(1500 * 1000);  // says nothing
    });
    http::Client client;
    client.receive_timeout = 300ms;
    const auto e = failure(client, silent.url("/slow"));
    BOOST_TEST((e.kind() == Kind::timeout));
    BOOST_TEST(says(e, "GET " + silent.url("/slow") + ": waiting for the response timed out"));
}

BOOST_AUTO_TEST_CASE(garbage) {
    const auto e = failure_for_reply("SSH-2.0-OpenSSH_9.2\r\n");
    BOOST_TEST((e.kind() == Kind::malformed_response));
    BOOST_TEST(says(e, "malformed response: not an HTTP response"));
}

BOOST_AUTO_TEST_CASE(malformed_heads_and_bodies) {
    const std::pair<const char*, const char*> cases[] = {
        {"HTTP/1.1 2OO OK\r\n\r\n", "invalid status code"},
        {"HTTP/2.0 200 OK\r\n\r\n", "unsupported HTTP version"},
        {"HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n", "whitespace between field name and colon"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", "conflicting Content-Length"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size"},
    };
    for (const auto& [response, reason] : cases) {
        BOOST_TEST_CONTEXT(response) {
            const auto e = failure_for_reply(response);
            BOOST_TEST((e.kind() == Kind::malformed_response));
            BOOST_TEST(says(e, reason));
        }
    }
}

// A few interim responses before the final one are skipped (100 Continue, 103 Early Hints: 5 at
// most); a server that sends one more fails the request as too large instead of holding it.
BOOST_AUTO_TEST_CASE(interim_responses_at_the_limit_and_past_it) {
    std::string interim;
    for (int i = 0; i < 5; ++i)
        interim += "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
    const std::string final_response = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody";
    {
        test::RawServer server([&](int fd) {
            test::RawServer::read_head(fd);
            test::RawServer::send_all(fd, interim + final_response);
        });
        http::Client client;
        const http::Response r = client.get(server.url());
        BOOST_TEST(r.status == http::OK);
        BOOST_TEST(r.body == "body");
        BOOST_TEST(!r.headers.contains("Link"));  // the 103s'
    }
    const auto e = failure_for_reply(interim + "HTTP/1.1 100 Continue\r\n\r\n" + final_response);
    BOOST_TEST((e.kind() == Kind::too_large));
    BOOST_TEST(says(e, "more than 5 interim (1xx) responses"));
}

BOOST_AUTO_TEST_CASE(truncated_responses) {
    for (const char* response : {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
                                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "HTTP/1.1 200 OK\r\nConte", ""}) {
        BOOST_TEST_CONTEXT(response) {
            const auto e = failure_for_reply(response);
            BOOST_TEST((e.kind() == Kind::closed));
            BOOST_TEST(says(e, "closed"));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_close_delimited_body_is_complete_at_the_close) {
    test::RawServer server([](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.0 200 OK\r\nX-Old: yes\r\n\r\nuntil the end");
    });
    const http::Response r = http::get(server.url());
    BOOST_TEST(r.body == "until the end");
    BOOST_TEST(r.version == "1.0");
}

BOOST_AUTO_TEST_SUITE_END()
