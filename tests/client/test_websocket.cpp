// The client's WebSocket: against httpkit's own server (messages both ways, permessage-deflate,
// subprotocols, the closing handshake either way, refusals as typed failures, sends from another
// thread while a receive waits) and against raw servers that break the handshake or the framing.
// Python's websockets as the server is in tests/websocket/test_peers.py, through httpkit-fetch.
#include <http/client.hpp>
#include <http/router.hpp>
#include <http/server.hpp>
#include <http/websocket.hpp>

#include "proto/websocket/frames.hpp"
#include "proto/websocket/handshake.hpp"
#include "support/raw_server.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

using Kind = http::TransportError::Kind;
using http::detail::websocket::Opcode;
using namespace std::chrono_literals;

namespace {

// A server with /ws: an echo that closes with 1000 "bye" on the message "close", and
// subprotocols "chat" and "superchat"; /forbidden: a WebSocket route whose middleware refuses.
std::function<void(http::Server&)> echo_server(std::atomic<int>* closes = nullptr) {
    return [closes](http::Server& s) {
        http::Router router;
        router.use([](http::Request& req, http::Response&, const std::function<void()>& next) {
            if (req.path == "/forbidden")
                throw http::Forbidden("not for you");
            next();
        });
        router.websocket(
            "/ws",
            [closes](http::Request&, http::WebSocket ws) {
                ws.on_message([](http::WebSocket& socket, const http::Message& m) {
                    if (m.data == "close")
                        socket.close(http::CloseCode::NORMAL_CLOSURE, "bye");
                    else
                        socket.send(m.data, m.binary);
                });
                ws.on_close([closes](http::WebSocket&, http::CloseCode, std::string_view) {
                    if (closes)
                        ++*closes;
                });
            },
            http::WebSocketOptions{{"superchat", "chat"}});
        router.websocket("/forbidden", [](http::Request&, http::WebSocket) {});
        router.get("/plain", [](http::Request&, http::Response& res) { res.body = "not a websocket"; });
        s.on_receive(router);
    };
}

std::string ws_url(const test::TestServer& server, std::string_view path = "/ws") {
    return "ws://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

// Answers the handshake of `fd` as a server would, with `extra` fields, then sends `frames`.
void switch_and_send(int fd, std::string_view frames, std::string_view accept_override = {}, std::string_view extra = {}) {
    const std::string head = test::RawServer::read_head(fd);
    const std::size_t at = head.find("Sec-WebSocket-Key: ");
    const std::string key = head.substr(at + 19, 24);
    const std::string accept = accept_override.empty() ? http::detail::websocket::accept_key(key) : std::string(accept_override);
    test::RawServer::send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Accept: " + accept + "\r\n" + std::string(extra) + "\r\n");
    test::RawServer::send_all(fd, frames);
}

std::string server_frame(Opcode opcode, std::string_view payload) {
    std::string out;
    http::detail::websocket::write_frame(out, opcode, payload);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(websocket_client, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(messages_both_ways_compressed_with_the_subprotocol_agreed) {
    std::atomic<int> closes{0};
    test::TestServer server(echo_server(&closes));
    http::Client client;
    http::WebSocket ws = client.websocket(ws_url(server), {{"Sec-WebSocket-Protocol", "chat, superchat"}});
    BOOST_TEST(ws.is_open());
    BOOST_TEST(ws.subprotocol() == "superchat");  // the server's order
    BOOST_TEST(ws.send("hello, κόσμε"));
    auto m = ws.receive();
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->data == "hello, κόσμε");
    BOOST_TEST(!m->binary);
    std::string large(3 << 20, '\0');
    for (std::size_t i = 0; i < large.size(); ++i)
        large[i] = static_cast<char>(i * 7 % 251);
    BOOST_TEST(ws.send(large, true));
    m = ws.receive();
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->binary);
    BOOST_TEST((m->data == large));
    BOOST_TEST(ws.ping("are you there"));  // the pong is read past on the way to the next message
    BOOST_TEST(ws.send(std::string(100'000, 'z')));  // compresses well: goes compressed
    m = ws.receive();
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->data == std::string(100'000, 'z'));
    // The client closes: the server echoes its close and ends the connection.
    BOOST_TEST(ws.close(http::CloseCode::NORMAL_CLOSURE, "done"));
    BOOST_TEST(!ws.is_open());
    BOOST_TEST(!ws.send("after the close"));
    BOOST_TEST(!ws.close());
    BOOST_TEST(!ws.receive().has_value());
    for (int i = 0; i < 200 && closes.load() == 0; ++i)
        std::this_thread::sleep_for(10ms);
    BOOST_TEST(closes.load() == 1);
    // Not agreed: no subprotocol offered, none named.
    http::WebSocket plain = client.websocket(ws_url(server));
    BOOST_TEST(plain.subprotocol().empty());
    BOOST_TEST(plain.send("x"));
    BOOST_TEST(plain.receive().value().data == "x");
}

BOOST_AUTO_TEST_CASE(the_server_closing_ends_receive_and_sends) {
    test::TestServer server(echo_server());
    http::Client client;
    http::WebSocket ws = client.websocket(ws_url(server));
    BOOST_TEST(ws.send("close"));
    BOOST_TEST(!ws.receive().has_value());
    BOOST_TEST(!ws.is_open());
    BOOST_TEST(!ws.send("too late"));
    BOOST_TEST(!ws.receive().has_value());  // and stays so
}

BOOST_AUTO_TEST_CASE(a_refused_handshake_raises_the_typed_failure_of_its_status) {
    test::TestServer server(echo_server());
    http::Client client;
    try {
        client.websocket(ws_url(server, "/forbidden"));
        BOOST_FAIL("a 403 must throw");
    } catch (const http::Forbidden& e) {
        BOOST_TEST(std::string(e.what()).find("not for you") != std::string::npos);
    }
    BOOST_CHECK_THROW(client.websocket(ws_url(server, "/nowhere")), http::NotFound);
    try {
        client.websocket(ws_url(server, "/plain"));
        BOOST_FAIL("a 200 must throw");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::malformed_response));
        BOOST_TEST(std::string(e.what()).find("200 OK, not 101 Switching Protocols") != std::string::npos);
    }
    try {
        client.websocket("http://127.0.0.1:" + std::to_string(server.port()) + "/ws");
        BOOST_FAIL("an http:// URL must throw");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::invalid_url));
    }
}

BOOST_AUTO_TEST_CASE(sends_from_another_thread_go_while_a_receive_waits) {
    test::TestServer server(echo_server());
    http::Client client;
    http::WebSocket ws = client.websocket(ws_url(server));
    std::thread sender([ws]() mutable {
        std::this_thread::sleep_for(100ms);  // the receive below is waiting by then
        for (int i = 0; i < 100; ++i)
            ws.send("message " + std::to_string(i));
    });
    for (int i = 0; i < 100; ++i) {
        const auto m = ws.receive();
        BOOST_REQUIRE(m.has_value());
        BOOST_TEST(m->data == "message " + std::to_string(i));
    }
    sender.join();
}

BOOST_AUTO_TEST_CASE(a_message_is_received_up_to_max_body_size_and_not_past_it) {
    test::TestServer server(echo_server());
    http::Client client;
    client.max_body_size = 1024;
    http::WebSocket ws = client.websocket(ws_url(server));
    BOOST_TEST(ws.send(std::string(1024, 'a'), true));  // at the limit
    const auto m = ws.receive();
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->data.size() == 1024u);
    BOOST_TEST(ws.send(std::string(1025, 'b'), true));  // past it: closed with 1009
    try {
        ws.receive();
        BOOST_FAIL("a message past max_body_size must throw");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::too_large));
        BOOST_TEST(std::string(e.what()).find("1009") != std::string::npos);
    }
    BOOST_TEST(!ws.is_open());
}

BOOST_AUTO_TEST_CASE(a_quiet_server_times_a_receive_out) {
    test::RawServer raw([](int fd) {
        switch_and_send(fd, "");
        std::this_thread::sleep_for(600ms);
    });
    http::Client client;
    client.receive_timeout = 200ms;
    http::WebSocket ws = client.websocket("ws://127.0.0.1:" + std::to_string(raw.port()) + "/");
    try {
        ws.receive();
        BOOST_FAIL("a receive with nothing coming must time out");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::timeout));
    }
}

BOOST_AUTO_TEST_CASE(a_broken_answer_or_frame_is_refused_saying_what) {
    http::Client client;
    const auto fails_with = [&](std::function<void(int)> serve, std::string_view expected) {
        test::RawServer raw(std::move(serve));
        try {
            http::WebSocket ws = client.websocket("ws://127.0.0.1:" + std::to_string(raw.port()) + "/");
            ws.receive();
            BOOST_ERROR("no exception; expected one saying: " << expected);
        } catch (const http::TransportError& e) {
            BOOST_TEST((e.kind() == Kind::malformed_response));
            BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what() << " / " << expected);
        }
    };
    fails_with([](int fd) { switch_and_send(fd, "", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="); }, "Sec-WebSocket-Accept");
    fails_with([](int fd) { switch_and_send(fd, "", {}, "Sec-WebSocket-Protocol: chat\r\n"); }, "subprotocol that was not offered");
    fails_with([](int fd) { switch_and_send(fd, "", {}, "Sec-WebSocket-Extensions: x-unknown\r\n"); }, "not one the offer allows");
    // A masked frame from a server (RFC 6455, Section 5.1): the client closes with 1002 first.
    std::string closed_with;
    fails_with(
        [&closed_with](int fd) {
            std::string masked;
            const unsigned char mask[4] = {1, 2, 3, 4};
            http::detail::websocket::write_frame(masked, Opcode::text, "hi", true, false, mask);
            switch_and_send(fd, masked);
            closed_with = test::RawServer::read_some(fd);
        },
        "(1002)");
    http::detail::websocket::MessageReader reader(http::detail::websocket::Role::server, 1024);
    std::size_t used = 0;
    BOOST_REQUIRE((reader.next(closed_with, used) == http::detail::websocket::MessageReader::Event::close));
    BOOST_TEST(reader.close_code() == 1002);
    // Pings are answered while a message is awaited, and a server's close is echoed.
    std::string answered;
    {
        test::RawServer raw([&answered](int fd) {
            switch_and_send(fd, server_frame(Opcode::ping, "p") + server_frame(Opcode::text, "after the ping") +
                                    server_frame(Opcode::close, http::detail::websocket::close_payload(1001, "away")));
            answered = test::RawServer::read_some(fd, 2);  // the pong and the close, one read or two
        });
        http::WebSocket ws = client.websocket("ws://127.0.0.1:" + std::to_string(raw.port()) + "/");
        BOOST_TEST(ws.receive().value().data == "after the ping");
        BOOST_TEST(!ws.receive().has_value());
    }
    http::detail::websocket::MessageReader server_side(http::detail::websocket::Role::server, 1024);
    used = 0;
    BOOST_REQUIRE((server_side.next(answered, used) == http::detail::websocket::MessageReader::Event::pong));
    BOOST_TEST(server_side.control() == "p");
    answered.erase(0, used);
    BOOST_REQUIRE((server_side.next(answered, used) == http::detail::websocket::MessageReader::Event::close));
    BOOST_TEST(server_side.close_code() == 1001);
}

BOOST_AUTO_TEST_SUITE_END()
