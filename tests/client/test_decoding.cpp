// The client decodes bodies as they arrive, for Response::body, a body callback and event
// streams alike, within client.max_body_size and client.max_decoding_ratio.
#include <http/client.hpp>
#include <http/server.hpp>

#include "coding/content_coding.hpp"
#include "coding/reference.hpp"
#include "support/raw_server.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <mutex>

using Kind = http::TransportError::Kind;

namespace {

const std::string text = test::sample_text(300 * 1024);

// Bodies the server hands back encoded as the path says: /coding/<Content-Encoding>/<what>.
struct Fixture {
    std::mutex mutex;
    std::map<std::string, std::pair<std::string, std::string>> bodies;  // path -> (coding, encoded)
    test::TestServer server{[this](http::Server& s) {
        s.on_receive([this](http::Request& req, http::Response& res) {
            std::lock_guard lock(mutex);
            const auto it = bodies.find(req.path);
            if (it == bodies.end())
                throw http::NotFound();
            if (!it->second.first.empty())
                res.headers["Content-Encoding"] = it->second.first;
            res.content_type("application/octet-stream");
            res.body = it->second.second;
        });
    }};
    std::string serve(const std::string& path, const std::string& coding, std::string encoded) {
        std::lock_guard lock(mutex);
        bodies[path] = {coding, std::move(encoded)};
        return "http://127.0.0.1:" + std::to_string(server.port()) + path;
    }
};

std::string message_of_failure(http::Client& client, const std::string& url, Kind kind) {
    try {
        client.get(url);
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == kind), e.what());
        return e.what();
    }
    BOOST_ERROR(url << " must fail");
    return {};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(decoding, Fixture)

BOOST_AUTO_TEST_CASE(every_coding_as_built) {
    std::vector<std::pair<std::string, std::string>> cases = {
        {"gzip", test::deflate_with(text, 15 + 16)},
        {"deflate", test::deflate_with(text, 15)},
        {"deflate", test::deflate_with(text, -15)},  // raw deflate, as some servers send it
        {"deflate, gzip", test::deflate_with(test::deflate_with(text, 15), 15 + 16)},
    };
    for (const std::string_view coding : http::detail::available_codings())
        cases.emplace_back(coding, http::detail::encode_content(text, coding));
    http::Client client;
    int n = 0;
    for (const auto& [coding, encoded] : cases) {
        BOOST_TEST_CONTEXT(coding) {
            const http::Response r = client.get(serve("/case/" + std::to_string(n++), coding, encoded));
            BOOST_TEST(r.body.size() == text.size());
            BOOST_TEST((r.body == text));
            BOOST_TEST(r.headers.get("Content-Encoding") == coding);  // the fields are as they came
        }
    }
    // A coding this build does not decode: the body as it came.
    BOOST_TEST(client.get(serve("/compress", "compress", "\x1f\x9d raw")).body == "\x1f\x9d raw");
}

BOOST_AUTO_TEST_CASE(max_body_size_at_and_past) {
    const std::string gzipped = test::deflate_with(text, 15 + 16);
    const std::string plain_url = serve("/plain", "", text);
    const std::string gzip_url = serve("/gzip", "gzip", gzipped);
    http::Client client;
    BOOST_TEST(client.max_body_size == std::uint64_t{1} << 30);
    client.max_body_size = text.size();
    BOOST_TEST(client.get(plain_url).body.size() == text.size());
    BOOST_TEST(client.get(gzip_url).body.size() == text.size());
    client.max_body_size = text.size() - 1;
    const std::string limit = "client.max_body_size (" + std::to_string(text.size() - 1) + " bytes)";
    // Refused from its Content-Length before any is read; a gzip body as it is decoded.
    BOOST_TEST(message_of_failure(client, plain_url, Kind::too_large).ends_with(
        "the response body (" + std::to_string(text.size()) + " bytes) exceeds " + limit));
    BOOST_TEST(message_of_failure(client, gzip_url, Kind::too_large).ends_with("the gzip body decodes to more than " + limit));
    // A chunked body, counted as it arrives.
    test::RawServer chunked([](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    });
    client.max_body_size = 11;
    BOOST_TEST(client.get(chunked.url()).body == "hello world");
    client.max_body_size = 10;
    BOOST_TEST(message_of_failure(client, chunked.url(), Kind::too_large).ends_with(
        "the response body exceeds client.max_body_size (10 bytes)"));
}

BOOST_AUTO_TEST_CASE(the_ratio_guard_past_1_mib) {
    // Zeros grow a thousandfold. Up to 1 MiB decoded no ratio is refused; one byte more is.
    const std::string at = serve("/at", "gzip", test::deflate_with(std::string(1024 * 1024, '\0'), 15 + 16));
    const std::string past = serve("/past", "gzip", test::deflate_with(std::string(1024 * 1024 + 1, '\0'), 15 + 16));
    http::Client client;
    BOOST_TEST(client.max_decoding_ratio == 100u);
    BOOST_TEST(client.get(at).body == std::string(1024 * 1024, '\0'));
    const std::string message = message_of_failure(client, past, Kind::too_large);
    BOOST_TEST(message.find("the gzip body decodes to more than 100 times its size (1048577 bytes from ") != std::string::npos);
    BOOST_TEST(message.ends_with("), a decompression bomb? (client.max_decoding_ratio)"));
    // Text as it is compresses far below the guard, whatever its size.
    BOOST_TEST(client.get(serve("/text", "gzip", test::deflate_with(test::sample_text(8 << 20), 15 + 16))).body.size() ==
               8u << 20);
    client.max_decoding_ratio = 0;  // off
    BOOST_TEST(client.get(past).body.size() == 1024u * 1024 + 1);
}

BOOST_AUTO_TEST_CASE(a_body_callback_gets_decoded_pieces_as_they_arrive) {
    const std::string url = serve("/text", "gzip", test::deflate_with(text, 15 + 16));
    http::Client client;
    client.max_body_size = 1000;  // not for a body that is not held
    std::string got;
    std::size_t pieces = 0;
    std::size_t largest = 0;
    const http::Response r = client.send_request(url, "GET", {}, {}, [&](std::string_view piece) {
        got.append(piece);
        ++pieces;
        largest = std::max(largest, piece.size());
        return true;
    });
    BOOST_TEST(r.status == http::OK);
    BOOST_TEST(r.body.empty());
    BOOST_TEST((got == text));
    BOOST_TEST(pieces > 1u);
    BOOST_TEST(largest <= 64u * 1024);
    // Returning false stops it.
    try {
        client.send_request(url, "GET", {}, {}, [](std::string_view) { return false; });
        BOOST_FAIL("on_body returning false must abort");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::aborted));
        BOOST_TEST(std::string(e.what()).ends_with("on_body asked to stop"));
    }
    // A 64 MiB bomb goes through a callback in 64 KiB pieces when the ratio guard is off, and is
    // refused early when it is on.
    const std::string bomb = serve("/bomb", "gzip", test::deflate_with(std::string(64 << 20, '\0'), 15 + 16, 9));
    std::uint64_t total = 0;
    largest = 0;
    auto count = [&](std::string_view piece) {
        total += piece.size();
        largest = std::max(largest, piece.size());
        return true;
    };
    try {
        client.send_request(bomb, "GET", {}, {}, count);
        BOOST_FAIL("a bomb must be refused by its ratio");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::too_large));
    }
    BOOST_TEST(total <= 1024u * 1024);
    client.max_decoding_ratio = 0;
    total = 0;
    client.send_request(bomb, "GET", {}, {}, count);
    BOOST_TEST(total == 64u << 20);
    BOOST_TEST(largest <= 64u * 1024);
}

BOOST_AUTO_TEST_CASE(corrupt_and_truncated_bodies) {
    const std::string gzipped = test::deflate_with(text, 15 + 16);
    http::Client client;
    BOOST_TEST(message_of_failure(client, serve("/corrupt", "gzip", "this is not gzip"), Kind::malformed_response)
                   .ends_with("cannot decode the gzip body: the compressed body is corrupt"));
    BOOST_TEST(message_of_failure(client, serve("/cut", "gzip", gzipped.substr(0, gzipped.size() / 2)), Kind::malformed_response)
                   .ends_with("cannot decode the gzip body: the compressed body is truncated"));
    BOOST_TEST(client.get(serve("/fine", "gzip", gzipped)).body.size() == text.size());  // and it goes on
    // HEAD, 204 and 304 have no body to decode, whatever they say of its coding.
    BOOST_TEST(client.send_request(serve("/head", "gzip", gzipped), "HEAD").body.empty());
}

BOOST_AUTO_TEST_CASE(event_streams_are_decoded_and_bounded) {
    const std::string events = test::deflate_with("data: one\n\nid: 2\ndata: two\n\n", 15 + 16);
    test::RawServer gzipped([&](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n"
                                      "Content-Length: " + std::to_string(events.size()) + "\r\n\r\n" + events);
    });
    http::Client client;
    std::vector<std::string> seen;
    client.events(gzipped.url(), [&](const http::Event& e) {
        seen.push_back(e.data + "/" + e.id);
        return e.id != "2";
    });
    BOOST_TEST(seen == (std::vector<std::string>{"one/", "two/2"}), boost::test_tools::per_element());
    // An event larger than max_body_size is a TransportError (too_large), not a length_error.
    test::RawServer large([](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 2008\r\n\r\ndata: " +
                                          std::string(2000, 'x') + "\n\n");
    });
    client.max_body_size = 1000;
    try {
        client.events(large.url(), [](const http::Event&) { return true; });
        BOOST_FAIL("an event past max_body_size must fail");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::too_large));
        BOOST_TEST(std::string(e.what()).find("client.max_body_size (1000 bytes)") != std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
