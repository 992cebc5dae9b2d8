// WebSocket over HTTP/2 (RFC 8441) as raw frames: SETTINGS_ENABLE_CONNECT_PROTOCOL, the
// extended CONNECT answered 200 by the same router.websocket() handler that answers HTTP/1.1's
// upgrade, WebSocket frames in the stream's DATA both ways, the closing handshake ending the
// stream, and the refusals (a protocol other than websocket, a route that is not a WebSocket).
#include "proto/websocket/frames.hpp"
#include "support/h2_frames.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <http/router.hpp>
#include <http/websocket.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace test::h2;
using http::detail::websocket::Opcode;
using Event = http::detail::websocket::MessageReader::Event;

// An extended CONNECT for `path` with `protocol`, as RFC 8441's example has it.
std::string extended_connect(std::string_view path, std::string_view protocol = "websocket") {
    return literal(":method", "CONNECT") + literal(":protocol", protocol) + literal(":scheme", "http") +
           literal(":path", path) + literal(":authority", "localhost") + literal("sec-websocket-version", "13");
}

std::string client_frame(Opcode opcode, std::string_view payload) {
    static const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::string out;
    http::detail::websocket::write_frame(out, opcode, payload, true, false, mask);
    return out;
}

// The WebSocket frames in the DATA the server sent on `stream` so far, read as a client reads.
struct Received {
    std::vector<Event> events;
    std::vector<std::string> payloads;
    std::uint16_t close_code = 0;
};
Received websocket_frames(const Reader& reader, std::uint32_t stream) {
    std::string bytes;
    for (const Frame& f : reader.frames())
        if (f.type == DATA && f.stream == stream)
            bytes += f.payload;
    Received out;
    http::detail::websocket::MessageReader ws(http::detail::websocket::Role::client, 1 << 20);
    std::string_view rest = bytes;
    while (true) {
        std::size_t used = 0;
        const Event event = ws.next(rest, used);
        rest.remove_prefix(used);
        if (event == Event::need_input)
            break;
        out.events.push_back(event);
        out.payloads.push_back(event == Event::message ? ws.message() : ws.control());
        if (event == Event::close)
            out.close_code = ws.close_code();
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(websocket_http2, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(an_extended_connect_opens_a_websocket_on_its_stream) {
    std::atomic<int> closes{0};
    std::atomic<int> close_code{0};
    std::atomic<bool> saw_extended_connect{false};  // Boost.Test's checks are for the test's thread
    test::TestServer server([&](http::Server& s) {
        http::Router router;
        router.websocket("/ws", [&](http::Request& req, http::WebSocket ws) {
            saw_extended_connect = req.method == "CONNECT" && req.protocol == "websocket";
            ws.send("welcome");
            ws.on_message([](http::WebSocket& socket, const http::Message& m) { socket.send(m.data, m.binary); });
            ws.on_close([&](http::WebSocket&, http::CloseCode code, std::string_view) {
                close_code = static_cast<int>(code);
                ++closes;
            });
        });
        s.on_receive(router);
    });
    Client client(server.port());
    // The server says it speaks extended CONNECT (RFC 8441, Section 3): setting 0x8 = 1.
    const Frame* settings = client.reader.until([](const Frame& f) { return f.type == SETTINGS && !(f.flags & ACK); });
    BOOST_REQUIRE(settings);
    const std::optional<std::uint32_t> enable_connect_protocol = settings->setting(0x8);
    BOOST_REQUIRE(enable_connect_protocol.has_value());
    BOOST_TEST(*enable_connect_protocol == 1u);

    client.send(frame(HEADERS, END_HEADERS, 1, extended_connect("/ws")));
    const Frame* head = client.reader.until(HEADERS, 1);
    BOOST_REQUIRE(head);
    BOOST_TEST(static_cast<unsigned char>(head->payload.at(0)) == 0x88u);  // :status 200, HPACK's index 8
    BOOST_TEST(!(head->flags & END_STREAM));                             // the stream stays open
    BOOST_TEST(saw_extended_connect.load());

    client.send(frame(DATA, 0, 1, client_frame(Opcode::text, "hello") + client_frame(Opcode::ping, "p")));
    BOOST_REQUIRE(client.reader.until([&](const Frame&) { return websocket_frames(client.reader, 1).events.size() >= 3; }));
    Received got = websocket_frames(client.reader, 1);
    BOOST_TEST(got.payloads[0] == "welcome");
    BOOST_TEST(got.payloads[1] == "hello");
    BOOST_TEST((got.events[2] == Event::pong));
    BOOST_TEST(got.payloads[2] == "p");

    // The closing handshake: the server echoes the close and ends its side of the stream.
    client.send(frame(DATA, 0, 1, client_frame(Opcode::close, http::detail::websocket::close_payload(1000, "done"))));
    const Frame* end = client.reader.until([](const Frame& f) { return f.type == DATA && f.stream == 1 && (f.flags & END_STREAM); });
    BOOST_REQUIRE(end);
    got = websocket_frames(client.reader, 1);
    BOOST_TEST((got.events.back() == Event::close));
    BOOST_TEST(got.close_code == 1000);
    client.send(frame(DATA, END_STREAM, 1));
    for (int i = 0; i < 200 && closes.load() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(closes.load() == 1);
    BOOST_TEST(close_code.load() == 1000);

    // The connection goes on: another stream, a plain request.
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, get_root));
    BOOST_TEST(client.reader.response_end(3));
}

BOOST_AUTO_TEST_CASE(a_client_that_ends_its_side_without_a_close_frame_ends_the_websocket) {
    std::atomic<int> close_code{0};
    test::TestServer server([&](http::Server& s) {
        http::Router router;
        router.websocket("/ws", [&](http::Request&, http::WebSocket ws) {
            ws.on_close([&](http::WebSocket&, http::CloseCode code, std::string_view) { close_code = static_cast<int>(code); });
        });
        s.on_receive(router);
    });
    Client client(server.port());
    client.send(frame(HEADERS, END_HEADERS, 1, extended_connect("/ws")));
    BOOST_REQUIRE(client.reader.until(HEADERS, 1));
    client.send(frame(DATA, END_STREAM, 1));
    BOOST_REQUIRE(client.reader.response_end(1));  // the server ends its side too
    for (int i = 0; i < 200 && close_code.load() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(close_code.load() == static_cast<int>(http::CloseCode::ABNORMAL_CLOSURE));
}

BOOST_AUTO_TEST_CASE(another_protocol_or_a_route_that_is_not_a_websocket_is_refused) {
    test::TestServer server([](http::Server& s) {
        http::Router router;
        router.websocket("/ws", [](http::Request&, http::WebSocket) {});
        router.get("/plain", [](http::Request&, http::Response& res) { res.body = "plain"; });
        s.on_receive(router);
    });
    Client client(server.port());
    client.send(frame(HEADERS, END_HEADERS, 1, extended_connect("/ws", "chat")));
    const Frame* refused = client.reader.until(HEADERS, 1);
    BOOST_REQUIRE(refused);
    BOOST_TEST(static_cast<unsigned char>(refused->payload.at(0)) != 0x88u);  // not a 200
    BOOST_REQUIRE(client.reader.response_end(1));
    // A route that speaks no WebSocket has no CONNECT: 405.
    client.send(frame(HEADERS, END_HEADERS, 3, extended_connect("/plain")));
    const Frame* not_allowed = client.reader.until(HEADERS, 3);
    BOOST_REQUIRE(not_allowed);
    BOOST_TEST(static_cast<unsigned char>(not_allowed->payload.at(0)) != 0x88u);
    BOOST_REQUIRE(client.reader.response_end(3));
    // The connection goes on.
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, 5, get_root));
    BOOST_TEST(client.reader.response_end(5));
}

BOOST_AUTO_TEST_SUITE_END()
