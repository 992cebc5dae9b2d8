// The server's WebSocket over raw sockets, frame by frame: the handshake and its refusals,
// messages both ways, control frames, the closing handshake and the close codes each broken rule
// gets (the Autobahn testsuite's groups, end to end), the limits, pings, and sends from other
// threads. Real peers (Python's websockets and wsproto, Node's ws) are in
// tests/websocket/test_peers.py.
#include "coding/permessage_deflate.hpp"
#include "proto/websocket/frames.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <http/router.hpp>
#include <http/websocket.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using http::detail::websocket::Opcode;
using Event = http::detail::websocket::MessageReader::Event;

namespace {

const unsigned char mask[4] = {0x11, 0x22, 0x33, 0x44};

std::string client_frame(Opcode opcode, std::string_view payload, bool fin = true) {
    std::string out;
    http::detail::websocket::write_frame(out, opcode, payload, fin, false, mask);
    return out;
}

std::string handshake(std::string_view path = "/ws", std::string_view extra = "") {
    return "GET " + std::string(path) +
           " HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
           std::string(extra) + "\r\n";
}

// What the server sends after its 101, read as a client reads it.
struct Frames {
    std::vector<Event> events;
    std::vector<std::string> payloads;
    std::uint16_t close_code = 0;
};

// A WebSocket client over a raw connection: the handshake, then frames.
class Client {
public:
    /// `inflater`: for a client that agreed permessage-deflate, what reads the server's
    /// compressed messages.
    explicit Client(std::uint16_t port, std::string_view path = "/ws", std::string_view extra = "",
                    http::detail::websocket::Inflater* inflater = nullptr)
        : connection_(port), reader_(http::detail::websocket::Role::client, 1 << 26, inflater) {
        connection_.send(handshake(path, extra));
        response_ = connection_.read_response();
        rest_ = connection_.pending();
    }
    const test::RawResponse& response() const { return response_; }
    void send(const std::string& bytes) { connection_.send(bytes); }

    /// Reads until `count` events came, or the server closed.
    Frames read(std::size_t count) {
        Frames out;
        while (out.events.size() < count) {
            std::size_t used = 0;
            const Event event = reader_.next(rest_, used);
            rest_.erase(0, used);
            if (event == Event::need_input) {
                const std::string more = connection_.read_some();
                if (more.empty())
                    break;
                rest_ += more;
                continue;
            }
            out.events.push_back(event);
            out.payloads.push_back(event == Event::message ? reader_.message() : reader_.control());
            if (event == Event::close)
                out.close_code = reader_.close_code();
        }
        return out;
    }
    bool closed_by_server() { return connection_.closed_by_server(); }
    test::RawConnection& connection() { return connection_; }

private:
    test::RawConnection connection_;
    test::RawResponse response_;
    std::string rest_;
    http::detail::websocket::MessageReader reader_;
};

// A server with an echo at /ws that records what its callbacks saw.
struct Echo {
    std::mutex mutex;
    std::vector<std::pair<int, std::string>> closes;  // on_close: code, reason
    std::condition_variable closed;

    std::function<void(http::Server&)> configure(std::function<void(http::Server&)> more = {}) {
        return [this, more](http::Server& s) {
            http::Router router;
            router.websocket("/ws", [this](http::Request&, http::WebSocket ws) {
                ws.on_message([](http::WebSocket& socket, const http::Message& m) { socket.send(m.data, m.binary); });
                ws.on_close([this](http::WebSocket&, http::CloseCode code, std::string_view reason) {
                    const std::lock_guard lock(mutex);
                    closes.emplace_back(static_cast<int>(code), std::string(reason));
                    closed.notify_all();
                });
            });
            if (more)
                more(s);
            s.on_receive(router);
        };
    }
    std::pair<int, std::string> wait_close() {
        std::unique_lock lock(mutex);
        closed.wait_for(lock, 10s, [this] { return !closes.empty(); });
        return closes.empty() ? std::pair<int, std::string>{-1, ""} : closes.front();
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(websocket, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(the_handshake_is_answered_with_101_and_the_accept_key) {
    Echo echo;
    test::TestServer server(echo.configure());
    Client client(server.port());
    BOOST_TEST(client.response().status == 101);
    BOOST_TEST(client.response().header("Upgrade") == "websocket");
    BOOST_TEST(client.response().header("Connection") == "Upgrade");
    BOOST_TEST(client.response().header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    BOOST_TEST(client.response().header("Content-Length") == "<absent>");
    client.send(client_frame(Opcode::text, "hello"));
    const Frames frames = client.read(1);
    BOOST_REQUIRE(frames.events.size() == 1u);
    BOOST_TEST(frames.payloads[0] == "hello");
}

BOOST_AUTO_TEST_CASE(a_bad_handshake_is_refused_with_the_status_that_says_why) {
    Echo echo;
    test::TestServer server(echo.configure());
    const std::string version_8 = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
    const auto old_version = test::exchange(server.port(), version_8);
    BOOST_TEST(old_version.status == 426);
    BOOST_TEST(old_version.header("Sec-WebSocket-Version") == "13");
    BOOST_TEST(old_version.header("Upgrade") == "websocket");
    const auto plain_get = test::exchange(server.port(), "GET /ws HTTP/1.1\r\nHost: h\r\n\r\n");
    BOOST_TEST(plain_get.status == 426);
    const std::string bad_key = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n";
    BOOST_TEST(test::exchange(server.port(), bad_key).status == 400);
    const std::string post = "POST /ws HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nUpgrade: websocket\r\n\r\n";
    BOOST_TEST(test::exchange(server.port(), post).status == 405);
}

BOOST_AUTO_TEST_CASE(middleware_runs_before_the_upgrade_and_a_failure_refuses_it) {
    test::TestServer server([](http::Server& s) {
        http::Router router;
        router.use([](http::Request& req, http::Response& res, const std::function<void()>& next) {
            if (req.headers.get("Authorization") != "Bearer yes")
                throw http::Unauthorized("Bearer");
            res.headers.set("X-Checked", "1");
            next();
        });
        router.websocket("/ws", [](http::Request&, http::WebSocket ws) { ws.send("welcome"); });
        s.on_receive(router);
    });
    Client refused(server.port());
    BOOST_TEST(refused.response().status == 401);
    Client let_in(server.port(), "/ws", "Authorization: Bearer yes\r\n");
    BOOST_TEST(let_in.response().status == 101);
    BOOST_TEST(let_in.response().header("X-Checked") == "1");
    const Frames frames = let_in.read(1);  // what the handler sent comes after the 101
    BOOST_REQUIRE(frames.events.size() == 1u);
    BOOST_TEST(frames.payloads[0] == "welcome");
}

BOOST_AUTO_TEST_CASE(a_subprotocol_is_agreed_in_the_servers_order) {
    test::TestServer server([](http::Server& s) {
        http::Router router;
        router.websocket(
            "/ws", [](http::Request&, http::WebSocket ws) { ws.send("using " + ws.subprotocol()); },
            {.subprotocols = {"v2.chat", "v1.chat"}});
        s.on_receive(router);
    });
    Client both(server.port(), "/ws", "Sec-WebSocket-Protocol: v1.chat, v2.chat\r\n");
    BOOST_TEST(both.response().header("Sec-WebSocket-Protocol") == "v2.chat");
    BOOST_TEST(both.read(1).payloads.at(0) == "using v2.chat");
    Client neither(server.port(), "/ws", "Sec-WebSocket-Protocol: other\r\n");
    BOOST_TEST(neither.response().header("Sec-WebSocket-Protocol") == "<absent>");
}

BOOST_AUTO_TEST_CASE(fragments_with_a_ping_between_make_one_message_and_the_ping_a_pong) {
    Echo echo;
    test::TestServer server(echo.configure());
    Client client(server.port());
    client.send(client_frame(Opcode::text, "Hello, ", false) + client_frame(Opcode::ping, "are you there") +
                client_frame(Opcode::continuation, "World!"));
    const Frames frames = client.read(2);
    BOOST_REQUIRE(frames.events.size() == 2u);
    BOOST_TEST((frames.events[0] == Event::pong));
    BOOST_TEST(frames.payloads[0] == "are you there");
    BOOST_TEST((frames.events[1] == Event::message));
    BOOST_TEST(frames.payloads[1] == "Hello, World!");
}

BOOST_AUTO_TEST_CASE(the_closing_handshake_echoes_the_code_and_the_server_closes_the_connection) {
    Echo echo;
    test::TestServer server(echo.configure());
    Client client(server.port());
    client.send(client_frame(Opcode::close, http::detail::websocket::close_payload(1000, "done")));
    const Frames frames = client.read(1);
    BOOST_REQUIRE(frames.events.size() == 1u);
    BOOST_TEST((frames.events[0] == Event::close));
    BOOST_TEST(frames.close_code == 1000);
    BOOST_TEST(client.closed_by_server());
    const auto [code, reason] = echo.wait_close();
    BOOST_TEST(code == 1000);
    BOOST_TEST(reason == "done");
}

BOOST_AUTO_TEST_CASE(each_broken_rule_closes_with_its_code) {
    struct Case {
        std::string bytes;
        std::uint16_t code;
    };
    std::string reserved_bits = client_frame(Opcode::text, "x");
    reserved_bits[0] = static_cast<char>(reserved_bits[0] | 0x20);
    std::string unmasked;
    http::detail::websocket::write_frame(unmasked, Opcode::text, "x");
    const std::vector<Case> cases = {
        {reserved_bits, 1002},
        {unmasked, 1002},
        {client_frame(Opcode::continuation, "orphan"), 1002},
        {client_frame(Opcode::ping, std::string(126, 'p')), 1002},
        {client_frame(Opcode::text, "\xce\xba\xff"), 1007},
        {client_frame(Opcode::close, std::string("\x03\xed", 2)), 1002},  // 1005 may not be sent
        {client_frame(Opcode::binary, std::string(1025, 'b')), 1009},
    };
    Echo echo;
    test::TestServer server(echo.configure([](http::Server& s) { s.websocket_max_message_size = 1024; }));
    for (const Case& c : cases) {
        Client client(server.port());
        client.send(c.bytes);
        const Frames frames = client.read(1);
        BOOST_REQUIRE(frames.events.size() == 1u);
        BOOST_TEST((frames.events[0] == Event::close));
        BOOST_TEST(frames.close_code == c.code);
        BOOST_TEST(client.closed_by_server());
    }
    // At the limit, a message goes.
    Client at_limit(server.port());
    at_limit.send(client_frame(Opcode::binary, std::string(1024, 'b')));
    BOOST_TEST(at_limit.read(1).payloads.at(0).size() == 1024u);
}

BOOST_AUTO_TEST_CASE(a_callback_that_blocks_past_the_watchdog_loses_no_frame_of_those_behind_it) {
    // The first message's callback sends, then holds its thread long enough to be replaced while
    // the client's next frames wait in the socket. The send wakes the connection on the loop's
    // new owner, which must not read those frames while the callback is still inside the first.
    // (It did: it took up the reader where the blocked thread was, and the next frame's masked
    // bytes read as a header, "continuation frame without a message".)
    test::TestServer server([](http::Server& s) {
        s.io_threads = 1;
        http::Router router;
        router.websocket("/ws", [](http::Request&, http::WebSocket ws) {
            ws.on_message([](http::WebSocket& socket, const http::Message& m) {
                socket.send(m.data, m.binary);
                if (m.data == "slow")
                    std::this_thread::sleep_for(100ms);
            });
        });
        s.on_receive(router);
    });
    Client client(server.port());
    std::string burst = client_frame(Opcode::text, "slow");
    const std::string large(300'000, 'x');  // more than one read
    for (int i = 0; i < 5; ++i)
        burst += client_frame(Opcode::binary, large) + client_frame(Opcode::text, "after " + std::to_string(i));
    client.send(burst);
    const Frames frames = client.read(11);
    BOOST_REQUIRE(frames.events.size() == 11u);
    BOOST_TEST(frames.payloads[0] == "slow");
    for (int i = 0; i < 5; ++i) {
        BOOST_TEST(frames.payloads[1 + 2 * i] == large);
        BOOST_TEST(frames.payloads[2 + 2 * i] == "after " + std::to_string(i));
    }
    BOOST_TEST((std::count(frames.events.begin(), frames.events.end(), Event::message) == 11));
}

BOOST_AUTO_TEST_CASE(compressed_messages_both_ways_and_the_rules_of_compression) {
    // Autobahn's groups 12 and 13, in short: permessage-deflate agreed, messages compressed both
    // ways; a compressed control frame is a protocol error (RFC 7692, Section 6); a bomb stops at
    // the message limit.
    Echo echo;
    test::TestServer server(echo.configure([](http::Server& s) { s.websocket_max_message_size = 1 << 20; }));
    const http::detail::websocket::DeflateParameters agreed{true, true, 15, 15};
    const auto compressed_frame = [&](Opcode opcode, std::string_view message) {
        http::detail::PerMessageDeflate deflater(agreed, http::detail::websocket::Role::client);
        std::string compressed;
        deflater.deflate(message, compressed);
        std::string out;
        http::detail::websocket::write_frame(out, opcode, compressed, true, true, mask);
        return out;
    };
    const std::string offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    {
        http::detail::PerMessageDeflate inflater(agreed, http::detail::websocket::Role::client);
        Client client(server.port(), "/ws", offer, &inflater);
        BOOST_TEST(client.response().header("Sec-WebSocket-Extensions").find("permessage-deflate") != std::string::npos);
        const std::string text(50'000, 'w');
        client.send(compressed_frame(Opcode::text, text) + client_frame(Opcode::text, "plain"));
        const Frames frames = client.read(2);
        BOOST_REQUIRE(frames.events.size() == 2u);
        BOOST_TEST(frames.payloads[0] == text);  // the echo came compressed, and inflated here
        BOOST_TEST(frames.payloads[1] == "plain");
    }
    {
        Client client(server.port(), "/ws", offer);
        std::string ping;
        http::detail::websocket::write_frame(ping, Opcode::ping, "p", true, true, mask);  // RSV1 on a control frame
        client.send(ping);
        const Frames frames = client.read(1);
        BOOST_REQUIRE(frames.events.size() == 1u);
        BOOST_TEST(frames.close_code == 1002);
    }
    {
        // 64 MiB of zeros, about 64 KiB compressed: stopped at 1 MiB (1009).
        Client client(server.port(), "/ws", offer);
        client.send(compressed_frame(Opcode::binary, std::string(64 << 20, '\0')));
        const Frames frames = client.read(1);
        BOOST_REQUIRE(frames.events.size() == 1u);
        BOOST_TEST(frames.close_code == 1009);
    }
}

BOOST_AUTO_TEST_CASE(a_callback_that_throws_closes_with_1011_and_is_reported) {
    test::TestServer server([](http::Server& s) {
        http::Router router;
        router.websocket("/ws", [](http::Request&, http::WebSocket ws) {
            ws.on_message([](http::WebSocket&, const http::Message&) { throw std::runtime_error("callback failed"); });
        });
        s.on_receive(router);
    });
    Client client(server.port());
    client.send(client_frame(Opcode::text, "boom"));
    const Frames frames = client.read(1);
    BOOST_TEST(frames.close_code == 1011);
    const auto errors = server.take_errors();
    BOOST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0] == "callback failed");
}

BOOST_AUTO_TEST_CASE(sends_from_other_threads_arrive_whole_and_in_order_per_thread) {
    std::mutex mutex;
    std::vector<http::WebSocket> sockets;
    test::TestServer server([&](http::Server& s) {
        http::Router router;
        router.websocket("/ws", [&](http::Request&, http::WebSocket ws) {
            const std::lock_guard lock(mutex);
            sockets.push_back(ws);
        });
        s.on_receive(router);
    });
    Client client(server.port());
    {
        const std::lock_guard lock(mutex);
        BOOST_REQUIRE(sockets.size() == 1u);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i)
                sockets[0].send(std::to_string(t) + ":" + std::to_string(i));
        });
    for (auto& thread : threads)
        thread.join();
    const Frames frames = client.read(400);
    BOOST_REQUIRE(frames.events.size() == 400u);
    int next[4] = {0, 0, 0, 0};
    for (const std::string& payload : frames.payloads) {
        const int t = payload[0] - '0';
        BOOST_TEST(payload == std::to_string(t) + ":" + std::to_string(next[t]));
        ++next[t];
    }
    BOOST_TEST(sockets[0].close(http::CloseCode::NORMAL_CLOSURE, "bye"));
    BOOST_TEST(!sockets[0].send("after the close"));
    BOOST_TEST(!sockets[0].is_open());
    const Frames closing = client.read(1);
    BOOST_TEST(closing.close_code == 1000);
    client.send(client_frame(Opcode::close, http::detail::websocket::close_payload(1000, "")));
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(a_quiet_client_is_pinged_and_one_that_does_not_answer_is_let_go) {
    Echo echo;
    test::TestServer server(echo.configure([](http::Server& s) {
        s.websocket_ping_interval = 100ms;
        s.read_timeout = 200ms;
    }));
    // One that answers each ping stays: three pings, each answered, then a message echoed.
    Client answering(server.port());
    for (int i = 0; i < 3; ++i) {
        const Frames ping = answering.read(1);
        BOOST_REQUIRE(ping.events.size() == 1u);
        BOOST_TEST((ping.events[0] == Event::ping));
        answering.send(client_frame(Opcode::pong, ""));
    }
    answering.send(client_frame(Opcode::text, "still here"));
    const Frames echoed = answering.read(1);
    BOOST_REQUIRE(echoed.events.size() == 1u);
    BOOST_TEST(echoed.payloads[0] == "still here");

    // One that does not is closed with 1001 after read_timeout, and let go.
    Client silent(server.port());
    const Frames frames = silent.read(2);
    BOOST_REQUIRE(frames.events.size() == 2u);
    BOOST_TEST((frames.events[0] == Event::ping));
    BOOST_TEST((frames.events[1] == Event::close));
    BOOST_TEST(frames.close_code == 1001);
    BOOST_TEST(silent.closed_by_server());
}

BOOST_AUTO_TEST_CASE(a_client_that_reads_nothing_is_disconnected_past_the_buffer_and_sends_say_so) {
    std::mutex mutex;
    std::vector<http::WebSocket> sockets;
    test::TestServer server([&](http::Server& s) {
        s.stream_buffer_size = 64 * 1024;
        http::Router router;
        router.websocket("/ws", [&](http::Request&, http::WebSocket ws) {
            const std::lock_guard lock(mutex);
            sockets.push_back(ws);
        });
        s.on_receive(router);
    });
    Client client(server.port());  // never reads again
    {
        const std::lock_guard lock(mutex);
        BOOST_REQUIRE(sockets.size() == 1u);
    }
    bool refused = false;
    for (int i = 0; i < 100000 && !refused; ++i)  // bounded: far more than socket buffers hold
        refused = !sockets[0].send(std::string(16 * 1024, 'z'), true);
    BOOST_TEST(refused);
    BOOST_TEST(!sockets[0].is_open());
}

BOOST_AUTO_TEST_CASE(closing_the_server_sends_going_away) {
    Echo echo;
    auto server = std::make_unique<test::TestServer>(echo.configure());
    Client client(server->port());
    std::thread closer([&] { server->server().close(); });
    const Frames frames = client.read(1);
    BOOST_REQUIRE(frames.events.size() == 1u);
    BOOST_TEST(frames.close_code == 1001);
    client.send(client_frame(Opcode::close, http::detail::websocket::close_payload(1001, "")));
    closer.join();
    server.reset();
    BOOST_TEST(echo.wait_close().first == 1001);
}

BOOST_AUTO_TEST_SUITE_END()
