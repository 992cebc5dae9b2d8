// HTTP/2 where RFC 9113 says MUST and libnghttp2's defaults are lenient: frames on streams that
// are closed (and how they closed), stream ids that go back, PRIORITY on stream 0 or on its own
// stream, and a SETTINGS_INITIAL_WINDOW_SIZE that overflows an open stream's window. Each case is
// sent as raw frames; the test asserts the exact frame the server answers (GOAWAY with its code
// and last stream id, or RST_STREAM with its code), and that the connection (for a stream error)
// or the server (for a connection error) goes on. What nghttp2 already answers strictly is in
// test_http2.cpp and tests/examples/test_http2.py.
#include "support/h2_frames.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace test::h2;

test::TestServer echo_server() {
    return test::TestServer([](http::Server& s) { s.on_receive(test::echo_path); });
}

// A connection error: GOAWAY with `code` and `last` as the last stream id, then the close.
void expect_goaway(Client& client, std::uint32_t code, std::uint32_t last) {
    const Frame* goaway = client.reader.until(GOAWAY, 0);
    BOOST_REQUIRE_MESSAGE(goaway, "no GOAWAY came");
    BOOST_TEST(goaway->code() == code);
    BOOST_TEST(goaway->last_stream() == last);
    BOOST_TEST(client.reader.until_closed());
}

// A stream error: RST_STREAM on `stream` with `code`.
void expect_reset(Client& client, std::uint32_t stream, std::uint32_t code) {
    const Frame* reset = client.reader.until(RST_STREAM, stream);
    BOOST_REQUIRE_MESSAGE(reset, "no RST_STREAM came on stream " << stream);
    BOOST_TEST(reset->code() == code);
}

// The connection goes on: a GET on `stream` is answered. Whatever the server made of the frames
// sent before it was sent before its answer.
void expect_served(Client& client, std::uint32_t stream) {
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, stream, get_root));
    const Frame* end = client.reader.response_end(stream);
    BOOST_REQUIRE_MESSAGE(end, "stream " << stream << " was not answered");
    BOOST_TEST(end->payload == "GET /");
}

// The server goes on: another connection is answered.
void serves_others(std::uint16_t port) {
    Client other(port);
    expect_served(other, 1);
}

// A PING answered: the server has taken every frame sent before it.
void round_trip(Client& client) {
    client.send(frame(PING, 0, 0, "strict!!"));
    BOOST_REQUIRE_MESSAGE(client.reader.until([](const Frame& f) { return f.type == PING && (f.flags & ACK) && f.payload == "strict!!"; }),
                          "no PING ACK came");
}

// A GET on `stream`, answered whole: the stream is closed both ways.
void get(Client& client, std::uint32_t stream) {
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, stream, get_root));
    BOOST_REQUIRE_MESSAGE(client.reader.response_end(stream), "stream " << stream << " was not answered");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http2_strict, *boost::unit_test::label("threads"))

// RFC 9113, Section 5.1 (RFC 7540's MUST: a stream error STREAM_CLOSED). nghttp2 forgets a stream
// once closed and ignored these.
BOOST_AUTO_TEST_CASE(data_or_headers_after_the_clients_own_rst_stream_get_rst_stream_stream_closed) {
    auto server = echo_server();
    Client client(server.port());
    // Stream 1 open (its request taken) before the reset and the DATA come, together.
    client.send(frame(HEADERS, END_HEADERS, 1, post_up));
    round_trip(client);
    client.send(frame(RST_STREAM, 0, 1, u32(CANCEL)) + frame(DATA, 0, 1, "late"));
    expect_reset(client, 1, STREAM_CLOSED);
    // Stream 3 opened, reset and sent trailers at once.
    client.send(frame(HEADERS, END_HEADERS, 3, post_up) + frame(RST_STREAM, 0, 3, u32(CANCEL)) +
                frame(HEADERS, END_HEADERS | END_STREAM, 3, literal("x-trailer", "1")));
    expect_reset(client, 3, STREAM_CLOSED);
    // One RST_STREAM a stream (Section 5.4.2): what more comes on it is dropped, and the
    // connection goes on (its header compression state intact).
    client.send(frame(DATA, 0, 1, "later"));
    expect_served(client, 5);
    BOOST_TEST(client.reader.count(RST_STREAM) == 2u);
    BOOST_TEST(client.reader.count(GOAWAY) == 0u);
}

// Section 5.1: frames after both END_STREAMs, a connection error STREAM_CLOSED (nghttp2 ignored
// them; it answers so only while the response is still going, half-closed (remote)).
BOOST_AUTO_TEST_CASE(data_on_a_stream_both_sides_ended_gets_goaway_stream_closed) {
    auto server = echo_server();
    Client client(server.port());
    get(client, 1);
    client.send(frame(DATA, 0, 1, "late"));
    expect_goaway(client, STREAM_CLOSED, 1);
    serves_others(server.port());
}

BOOST_AUTO_TEST_CASE(headers_on_a_stream_both_sides_ended_get_goaway_stream_closed) {
    auto server = echo_server();
    Client client(server.port());
    get(client, 1);
    get(client, 3);
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, get_root));
    expect_goaway(client, STREAM_CLOSED, 3);
    serves_others(server.port());
}

// Section 5.1.1: a new stream's id must be above every one the client opened; an unexpected id
// is a connection error PROTOCOL_ERROR (nghttp2 ignored the frame).
BOOST_AUTO_TEST_CASE(headers_on_a_stream_id_below_one_opened_get_goaway_protocol_error) {
    auto server = echo_server();
    Client client(server.port());
    get(client, 3);
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, get_root));
    expect_goaway(client, PROTOCOL_ERROR, 3);
    BOOST_TEST(client.reader.response_end(1) == nullptr);  // never answered
    serves_others(server.port());
}

// The id skipped is closed (Section 5.1.1): DATA on it, a connection error STREAM_CLOSED.
BOOST_AUTO_TEST_CASE(data_on_a_stream_id_skipped_gets_goaway_stream_closed) {
    auto server = echo_server();
    Client client(server.port());
    get(client, 3);
    client.send(frame(DATA, END_STREAM, 1, "x"));
    expect_goaway(client, STREAM_CLOSED, 3);
    serves_others(server.port());
}

// A stream far enough back is no longer remembered: DATA on it is dropped (as nghttp2 does), but
// HEADERS still cannot open it.
BOOST_AUTO_TEST_CASE(a_stream_id_too_far_back_to_remember_cannot_be_opened) {
    auto server = echo_server();
    Client client(server.port());
    get(client, 4001);
    client.send(frame(DATA, 0, 1, "x"));
    expect_served(client, 4003);
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, get_root));
    expect_goaway(client, PROTOCOL_ERROR, 4003);
}

// Section 6.3: PRIORITY on stream 0, a connection error PROTOCOL_ERROR (with RFC 7540 priorities
// off, nghttp2 skipped every PRIORITY frame unread).
BOOST_AUTO_TEST_CASE(priority_on_stream_0_gets_goaway_protocol_error) {
    auto server = echo_server();
    Client client(server.port());
    get(client, 1);
    client.send(frame(PRIORITY, 0, 0, depends_on(1)));
    expect_goaway(client, PROTOCOL_ERROR, 1);
    serves_others(server.port());
}

// RFC 7540, Section 5.3.1 (kept by RFC 9113, Section 5.3.2): a stream that depends on itself, a
// stream error PROTOCOL_ERROR.
BOOST_AUTO_TEST_CASE(priority_on_its_own_open_stream_gets_rst_stream_protocol_error) {
    auto server = echo_server();
    Client client(server.port());
    client.send(frame(HEADERS, END_HEADERS, 1, post_up) + frame(PRIORITY, 0, 1, depends_on(1)));
    expect_reset(client, 1, PROTOCOL_ERROR);
    // The request's end, sent before the client saw the reset, is dropped.
    client.send(frame(DATA, END_STREAM, 1, "body"));
    expect_served(client, 3);
    BOOST_TEST(client.reader.count(RST_STREAM) == 1u);
    BOOST_TEST(client.reader.count(GOAWAY) == 0u);
    // Its handler never ran: stream 1's answer would have come before stream 3's.
    for (const Frame& f : client.reader.frames())
        BOOST_TEST(!(f.type == HEADERS && f.stream == 1));
}

// On a stream that is not open, no RST_STREAM may go (Sections 5.1 and 6.4): the stream error is
// a connection error.
BOOST_AUTO_TEST_CASE(priority_on_its_own_idle_or_closed_stream_gets_goaway_protocol_error) {
    auto server = echo_server();
    {
        Client client(server.port());
        client.send(frame(PRIORITY, 0, 5, depends_on(5)));
        expect_goaway(client, PROTOCOL_ERROR, 0);
    }
    {
        Client client(server.port());
        get(client, 1);
        client.send(frame(PRIORITY, 0, 1, depends_on(1)));
        expect_goaway(client, PROTOCOL_ERROR, 1);
    }
    serves_others(server.port());
}

// PRIORITY is allowed on a stream in any state (Section 6.3): idle, open, closed.
BOOST_AUTO_TEST_CASE(priority_frames_are_taken_on_streams_in_any_state) {
    auto server = echo_server();
    Client client(server.port());
    client.send(frame(PRIORITY, 0, 9, depends_on(0)));  // idle
    client.send(frame(HEADERS, END_HEADERS, 1, post_up) + frame(PRIORITY, 0, 1, depends_on(9)) +
                frame(DATA, END_STREAM, 1, "body"));  // open
    BOOST_REQUIRE(client.reader.response_end(1));
    client.send(frame(PRIORITY, 0, 1, depends_on(3, 200)));  // closed
    expect_served(client, 3);
    BOOST_TEST(client.reader.count(RST_STREAM) == 0u);
    BOOST_TEST(client.reader.count(GOAWAY) == 0u);
}

// HEADERS with the PRIORITY flag that depends on its own stream: nghttp2 ends the connection for
// a request's HEADERS (PROTOCOL_ERROR); trailers get the same (nghttp2 took them).
BOOST_AUTO_TEST_CASE(headers_that_depend_on_their_own_stream_get_goaway_protocol_error) {
    auto server = echo_server();
    {
        Client client(server.port());
        client.send(frame(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1, depends_on(1) + get_root));
        expect_goaway(client, PROTOCOL_ERROR, 0);
    }
    {
        Client client(server.port());
        client.send(frame(HEADERS, END_HEADERS, 1, post_up) +
                    frame(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1, depends_on(1) + literal("x-trailer", "1")));
        expect_goaway(client, PROTOCOL_ERROR, 1);
        BOOST_TEST(client.reader.response_end(1) == nullptr);
    }
    serves_others(server.port());
}

// Section 6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE that takes an open stream's window past 2^31-1 is a
// connection error FLOW_CONTROL_ERROR (nghttp2 reset the stream, FLOW_CONTROL_ERROR, and went on).
BOOST_AUTO_TEST_CASE(an_initial_window_that_overflows_an_open_streams_window_gets_goaway_flow_control_error) {
    auto server = echo_server();
    const std::uint32_t max_window = 0x7fffffff;
    {
        // Stream 1's window (65,535 at first) raised to the most there is, then the initial
        // window by one.
        Client client(server.port());
        client.send(frame(HEADERS, END_HEADERS, 1, post_up) + frame(WINDOW_UPDATE, 0, 1, u32(max_window - 65535)) +
                    frame(SETTINGS, 0, 0, std::string("\x00\x04", 2) + u32(65536)));
        expect_goaway(client, FLOW_CONTROL_ERROR, 1);
        BOOST_TEST(client.reader.count(RST_STREAM) == 0u);
    }
    {
        // To the most there is, not past it: taken.
        Client client(server.port());
        client.send(frame(HEADERS, END_HEADERS, 1, post_up) + frame(WINDOW_UPDATE, 0, 1, u32(max_window - 65536)) +
                    frame(SETTINGS, 0, 0, std::string("\x00\x04", 2) + u32(65536)) + frame(DATA, END_STREAM, 1, "body"));
        BOOST_TEST(client.reader.response_end(1) != nullptr);
        expect_served(client, 3);
        BOOST_TEST(client.reader.count(GOAWAY) == 0u);
    }
    serves_others(server.port());
}

// Section 5.1: what comes on a stream after this side reset it may have been in flight, and is
// discarded, DATA and trailers alike, whatever the stream's id is behind.
BOOST_AUTO_TEST_CASE(frames_in_flight_after_the_servers_rst_stream_are_discarded) {
    test::TestServer server([](http::Server& s) {
        s.max_body_size = 1000;
        s.on_receive(test::echo_path);
    });
    Client client(server.port());
    // A declared length past max_body_size: 413 at once, then, as the content comes, RST_STREAM
    // NO_ERROR (the rest would not fit the stream's window).
    client.send(frame(HEADERS, END_HEADERS, 1, post_up + literal("content-length", "99999999")));
    BOOST_REQUIRE(client.reader.response_end(1));
    client.send(frame(DATA, 0, 1, std::string(1000, 'd')));
    expect_reset(client, 1, NO_ERROR);
    client.send(frame(DATA, 0, 1, std::string(1000, 'd')) +
                frame(HEADERS, END_HEADERS | END_STREAM, 1, literal("x-trailer", "1")));
    expect_served(client, 3);
    BOOST_TEST(client.reader.count(RST_STREAM) == 1u);
    BOOST_TEST(client.reader.count(GOAWAY) == 0u);
}

// Section 5.1: WINDOW_UPDATE and RST_STREAM after END_STREAM was sent are ignored (the client
// may have sent them before it saw the end).
BOOST_AUTO_TEST_CASE(window_update_and_rst_stream_after_both_end_streams_are_ignored) {
    auto server = echo_server();
    Client client(server.port());
    get(client, 1);
    client.send(frame(WINDOW_UPDATE, 0, 1, u32(100)) + frame(RST_STREAM, 0, 1, u32(CANCEL)));
    expect_served(client, 3);
    BOOST_TEST(client.reader.count(RST_STREAM) == 0u);
    BOOST_TEST(client.reader.count(GOAWAY) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
