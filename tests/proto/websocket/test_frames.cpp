// The WebSocket frame reader and writer without a socket, by the Autobahn testsuite's case
// groups: 1 framing, 2 pings and pongs, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8,
// 7 close, 9 limits (12 and 13, compression, are in tests/coding and tests/server, with zlib).
#include "proto/websocket/frames.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace http::detail::websocket;
using Event = MessageReader::Event;
using http::CloseCode;

namespace {

const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};

// A frame as a client sends it (masked).
std::string client_frame(Opcode opcode, std::string_view payload, bool fin = true, bool rsv1 = false) {
    std::string out;
    write_frame(out, opcode, payload, fin, rsv1, key);
    return out;
}

struct Read {
    std::vector<Event> events;
    std::vector<std::string> payloads;  // of each message or control frame
    CloseCode error{};
    std::string reason;
    std::uint16_t close_code = 0;
};

// Feeds `bytes` `step` at a time, as a server reads them.
Read read(std::string_view bytes, std::size_t step = SIZE_MAX, std::size_t limit = 1 << 20, Role role = Role::server,
          Inflater* inflater = nullptr) {
    MessageReader reader(role, limit, inflater);
    Read out;
    std::string buffer;
    std::size_t offset = 0;
    while (true) {
        const std::size_t take = std::min(step, bytes.size() - offset);
        buffer.append(bytes.substr(offset, take));
        offset += take;
        while (true) {
            std::size_t used = 0;
            const Event event = reader.next(buffer, used);
            buffer.erase(0, used);
            if (event == Event::need_input)
                break;
            out.events.push_back(event);
            if (event == Event::message)
                out.payloads.push_back(reader.message());
            else if (event == Event::error) {
                out.error = reader.error_code();
                out.reason = reader.error_reason();
                return out;
            } else {
                out.payloads.push_back(reader.control());
                if (event == Event::close)
                    out.close_code = reader.close_code();
            }
        }
        if (offset == bytes.size())
            return out;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(websocket_frames)

BOOST_AUTO_TEST_CASE(group_1_text_and_binary_of_every_length_form_split_anywhere) {
    for (const std::size_t length : {0u, 1u, 125u, 126u, 127u, 128u, 65535u, 65536u, 100000u}) {
        std::string payload(length, 'x');
        for (std::size_t i = 0; i < length; ++i)
            payload[i] = static_cast<char>('a' + i % 26);
        for (const std::size_t step : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
            if (length > 1000 && step < 7)
                continue;
            const Read text = read(client_frame(Opcode::text, payload), step);
            BOOST_REQUIRE(text.events.size() == 1u);
            BOOST_TEST((text.events[0] == Event::message));
            BOOST_TEST(text.payloads[0] == payload);
        }
    }
    MessageReader reader(Role::server, 100);
    std::size_t used = 0;
    const std::string binary = client_frame(Opcode::binary, std::string("\0\xff\x01", 3));
    BOOST_TEST((reader.next(binary, used) == Event::message));
    BOOST_TEST(reader.binary());
    BOOST_TEST(reader.message() == std::string("\0\xff\x01", 3));
    BOOST_TEST(used == binary.size());
}

BOOST_AUTO_TEST_CASE(frames_are_written_in_their_shortest_form_and_a_server_does_not_mask) {
    std::string out;
    write_frame(out, Opcode::text, std::string(125, 'a'));
    BOOST_TEST(out.substr(0, 2) == std::string("\x81\x7d", 2));
    out.clear();
    write_frame(out, Opcode::binary, std::string(126, 'a'));
    BOOST_TEST(out.substr(0, 4) == std::string("\x82\x7e\x00\x7e", 4));
    out.clear();
    write_frame(out, Opcode::binary, std::string(65536, 'a'));
    BOOST_TEST(out.substr(0, 10) == std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
    // What a server writes, a client reads.
    const Read client = read(out, SIZE_MAX, 1 << 20, Role::client);
    BOOST_REQUIRE(client.events.size() == 1u);
    BOOST_TEST(client.payloads[0].size() == 65536u);
    // A length not in its shortest form is refused.
    const Read long_form = read(std::string("\x81\xfe\x00\x05", 4) + std::string(4, '\0') + "hello");
    BOOST_TEST((long_form.error == CloseCode::PROTOCOL_ERROR));
}

BOOST_AUTO_TEST_CASE(masking_is_required_of_a_client_and_refused_of_a_server) {
    std::string unmasked;
    write_frame(unmasked, Opcode::text, "hi");
    BOOST_TEST((read(unmasked).error == CloseCode::PROTOCOL_ERROR));
    BOOST_TEST((read(client_frame(Opcode::text, "hi"), SIZE_MAX, 100, Role::client).error == CloseCode::PROTOCOL_ERROR));
}

BOOST_AUTO_TEST_CASE(group_2_pings_and_pongs) {
    const Read ping = read(client_frame(Opcode::ping, "hello"));
    BOOST_REQUIRE(ping.events.size() == 1u);
    BOOST_TEST((ping.events[0] == Event::ping));
    BOOST_TEST(ping.payloads[0] == "hello");
    BOOST_TEST((read(client_frame(Opcode::ping, std::string(125, 'p'))).events[0] == Event::ping));
    const Read too_long = read(client_frame(Opcode::ping, std::string(126, 'p')));
    BOOST_TEST((too_long.error == CloseCode::PROTOCOL_ERROR));
    BOOST_TEST(too_long.reason == "a control frame longer than 125 bytes");
    BOOST_TEST((read(client_frame(Opcode::pong, "unsolicited")).events[0] == Event::pong));
    BOOST_TEST((read(client_frame(Opcode::ping, "x", false)).error == CloseCode::PROTOCOL_ERROR));  // fragmented
}

BOOST_AUTO_TEST_CASE(group_3_reserved_bits) {
    for (const unsigned char bits : {0x40, 0x20, 0x10, 0x70}) {
        std::string frame = client_frame(Opcode::text, "x");
        frame[0] = static_cast<char>(frame[0] | bits);
        BOOST_TEST((read(frame).error == CloseCode::PROTOCOL_ERROR), "bits " << int{bits});
    }
}

BOOST_AUTO_TEST_CASE(group_4_reserved_opcodes) {
    for (const unsigned opcode : {3u, 4u, 5u, 6u, 7u, 11u, 12u, 13u, 14u, 15u}) {
        std::string frame = client_frame(Opcode::text, "x");
        frame[0] = static_cast<char>(0x80 | opcode);
        const Read r = read(frame);
        BOOST_TEST((r.error == CloseCode::PROTOCOL_ERROR), "opcode " << opcode);
        BOOST_TEST(r.reason == "reserved opcode");
    }
}

BOOST_AUTO_TEST_CASE(group_5_fragmentation_with_control_frames_between) {
    const std::string fragmented = client_frame(Opcode::text, "Hello, ", false) + client_frame(Opcode::ping, "p") +
                                   client_frame(Opcode::continuation, "World", false) +
                                   client_frame(Opcode::continuation, "!");
    for (const std::size_t step : {std::size_t{1}, SIZE_MAX}) {
        const Read r = read(fragmented, step);
        BOOST_REQUIRE(r.events.size() == 2u);
        BOOST_TEST((r.events[0] == Event::ping));
        BOOST_TEST((r.events[1] == Event::message));
        BOOST_TEST(r.payloads[1] == "Hello, World!");
    }
    BOOST_TEST(read(client_frame(Opcode::continuation, "orphan")).reason == "a continuation frame without a message");
    BOOST_TEST(read(client_frame(Opcode::text, "a", false) + client_frame(Opcode::text, "b")).reason ==
               "a new message before the last one ended");
    // Empty fragments are fragments.
    const Read empty = read(client_frame(Opcode::binary, "", false) + client_frame(Opcode::continuation, "", false) +
                            client_frame(Opcode::continuation, "z"));
    BOOST_REQUIRE(empty.events.size() == 1u);
    BOOST_TEST(empty.payloads[0] == "z");
}

BOOST_AUTO_TEST_CASE(group_6_utf8_checked_as_it_arrives) {
    const std::string valid = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80";
    // Cut anywhere, across fragments too.
    for (std::size_t cut = 0; cut <= valid.size(); ++cut) {
        const Read r = read(client_frame(Opcode::text, valid.substr(0, cut), false) +
                            client_frame(Opcode::continuation, valid.substr(cut)));
        BOOST_REQUIRE(r.events.size() == 1u);
        BOOST_TEST(r.payloads[0] == valid);
    }
    const char* invalid[] = {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
                             "\xff", "\x80", "\xce"};
    for (const char* bytes : invalid) {
        const Read r = read(client_frame(Opcode::text, bytes));
        BOOST_TEST((r.error == CloseCode::INVALID_FRAME_PAYLOAD_DATA), bytes);
    }
    // Fail fast: a bad first fragment fails before the message's end ever comes.
    const Read early = read(client_frame(Opcode::text, "ok \xff", false));
    BOOST_TEST((early.error == CloseCode::INVALID_FRAME_PAYLOAD_DATA));
    // Binary messages are not text.
    BOOST_TEST(read(client_frame(Opcode::binary, "\xff")).payloads.at(0) == "\xff");
}

BOOST_AUTO_TEST_CASE(group_7_close_frames) {
    const Read plain = read(client_frame(Opcode::close, close_payload(1000, "bye")));
    BOOST_REQUIRE(plain.events.size() == 1u);
    BOOST_TEST((plain.events[0] == Event::close));
    BOOST_TEST(plain.close_code == 1000);
    const Read empty = read(client_frame(Opcode::close, ""));
    BOOST_TEST(empty.close_code == 1005);  // no status received
    BOOST_TEST((read(client_frame(Opcode::close, "\x03")).error == CloseCode::PROTOCOL_ERROR));
    for (const std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
        const std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
        const Read r = read(client_frame(Opcode::close, payload));
        BOOST_TEST((r.error == CloseCode::PROTOCOL_ERROR), "code " << code);
    }
    for (const std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999})
        BOOST_TEST(read(client_frame(Opcode::close, close_payload(code, ""))).close_code == code, "code " << code);
    const Read bad_reason = read(client_frame(Opcode::close, close_payload(1000, "\xce")));
    BOOST_TEST((bad_reason.error == CloseCode::INVALID_FRAME_PAYLOAD_DATA));
}

BOOST_AUTO_TEST_CASE(a_close_reason_is_cut_on_a_whole_code_point) {
    const std::string payload = close_payload(1000, std::string(122, 'a') + "\xce\xba");
    BOOST_TEST(payload.size() == 124u);  // the two-byte character would pass 125: left out whole
    BOOST_TEST(valid_utf8(payload.substr(2)));
    BOOST_TEST(close_payload(1005, "ignored").empty());
}

BOOST_AUTO_TEST_CASE(group_9_the_message_limit_at_it_and_one_past_it) {
    BOOST_TEST(read(client_frame(Opcode::binary, std::string(1000, 'b')), SIZE_MAX, 1000).payloads.at(0).size() == 1000u);
    const Read past = read(client_frame(Opcode::binary, std::string(1001, 'b')), SIZE_MAX, 1000);
    BOOST_TEST((past.error == CloseCode::MESSAGE_TOO_BIG));
    // Across fragments, refused at the header of the fragment that passes it.
    const Read fragments = read(client_frame(Opcode::binary, std::string(600, 'b'), false) +
                                    client_frame(Opcode::continuation, std::string(401, 'b')).substr(0, 8),
                                SIZE_MAX, 1000);
    BOOST_TEST((fragments.error == CloseCode::MESSAGE_TOO_BIG));
}

// An inflater that "inflates" each byte to itself, up to a '!', which is not deflate; as zlib's,
// it may append past the room it is given before it says the message is too large.
class CopyingInflater final : public Inflater {
public:
    bool inflate(std::string_view input, bool, std::string& out, std::size_t room, bool& too_large) override {
        too_large = false;
        const std::size_t bang = input.find('!');
        out.append(input.substr(0, bang));
        if (std::min(bang, input.size()) > room) {
            too_large = true;
            return false;
        }
        return bang == std::string_view::npos;
    }
};

BOOST_AUTO_TEST_CASE(a_compressed_text_message_fails_at_its_first_bad_byte_however_it_is_cut) {
    // Bad UTF-8 inflated, then bytes that do not inflate: in one read or a byte at a time, the
    // UTF-8 is what fails (the reader checked the inflater's output only when it succeeded, so a
    // whole frame failed as "does not inflate" and the same frame cut into bytes as not UTF-8).
    // Bad UTF-8 inflated, then more than the limit: 1007 either way (it was 1009 in one read).
    struct Case {
        std::string payload;
        std::size_t limit;
    };
    for (const Case& c : {Case{"ok \xff then !", 1000}, Case{"ok \xff" + std::string(300, 'a'), 100}}) {
        CopyingInflater whole_inflater, bytes_inflater;
        const std::string frame = client_frame(Opcode::text, c.payload, true, true);
        const Read whole = read(frame, SIZE_MAX, c.limit, Role::server, &whole_inflater);
        const Read bytes = read(frame, 1, c.limit, Role::server, &bytes_inflater);
        BOOST_TEST((whole.error == CloseCode::INVALID_FRAME_PAYLOAD_DATA));
        BOOST_TEST(whole.reason == "a text message that is not UTF-8");
        BOOST_TEST((bytes.error == whole.error));
        BOOST_TEST(bytes.reason == whole.reason);
    }
    // Valid text: the inflater's failures are reported as they were.
    CopyingInflater inflater;
    const Read bad = read(client_frame(Opcode::text, "fine!", true, true), SIZE_MAX, 1000, Role::server, &inflater);
    BOOST_TEST(bad.reason == "a compressed message that does not inflate");
    const Read big =
        read(client_frame(Opcode::text, std::string(101, 'a'), true, true), SIZE_MAX, 100, Role::server, &inflater);
    BOOST_TEST((big.error == CloseCode::MESSAGE_TOO_BIG));
    BOOST_TEST(
        read(client_frame(Opcode::text, "h\xc3\xa9", true, true), 1, 100, Role::server, &inflater).payloads.at(0) ==
        "h\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(an_error_is_final) {
    MessageReader reader(Role::server, 100);
    std::size_t used = 0;
    BOOST_TEST((reader.next(client_frame(Opcode::continuation, "x"), used) == Event::error));
    BOOST_TEST((reader.next(client_frame(Opcode::text, "fine"), used) == Event::error));
}

BOOST_AUTO_TEST_SUITE_END()
