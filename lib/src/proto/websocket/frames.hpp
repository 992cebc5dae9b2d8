// WebSocket framing (RFC 6455, Section 5), without I/O: bytes in, messages and control frames
// out; frames out as bytes. The server and the client read with the same MessageReader, each in
// its role (a server reads masked frames, a client unmasked ones).
//
// The reader checks every rule as the bytes come, so that a bad frame fails at its first wrong
// byte, not once its message is whole: reserved bits and opcodes, masking, control frames (at
// most 125 bytes, never fragmented, allowed between the fragments of a message), fragments that
// continue no message or interrupt one, the message size limit (counted on what the message
// will hold, decompressed), the UTF-8 of text messages and close reasons (validated as it
// arrives), and close frames' codes. Each failure says the close code to answer with: 1002 for
// the protocol, 1007 for bad UTF-8, 1009 past the size limit.
//
// permessage-deflate (RFC 7692) is left to an Inflater the caller gives: the protocol core has no
// zlib. A compressed message's pieces go through it as they arrive, with the room left under the
// limit, so that a small message that inflates to gigabytes stops at the limit.
#pragma once

#include <http/close_codes.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace http::detail::websocket {

enum class Opcode : std::uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xa };

/// Which end reads: a server's frames from the client are masked, a client's from the server not.
enum class Role : std::uint8_t { server, client };

/// Decompresses a permessage-deflate message as its pieces come (coding/permessage_deflate.hpp).
class Inflater {
public:
    /// Appends what `input` (a piece of a compressed message; `last` for its end) inflates to,
    /// `room` bytes at the most, to `out`. False: the data is not deflate, or it would inflate
    /// past `room` (then `too_large` is set).
    virtual bool inflate(std::string_view input, bool last, std::string& out, std::size_t room, bool& too_large) = 0;

protected:
    ~Inflater() = default;
};

/// UTF-8 checked a piece at a time (a code point may be cut between pieces).
class Utf8Validator {
public:
    /// False as soon as the bytes cannot be the start of valid UTF-8.
    bool feed(std::string_view bytes) noexcept;
    /// True when what was fed ends on a whole code point.
    bool complete() const noexcept { return state_ == 0; }
    void reset() noexcept { state_ = 0; }

private:
    std::uint32_t state_ = 0;
};

/// Whether `text` is valid UTF-8, whole.
bool valid_utf8(std::string_view text) noexcept;

class MessageReader {
public:
    enum class Event : std::uint8_t {
        need_input,  ///< nothing whole in the input: receive more
        message,     ///< a data message is whole: message(), binary()
        ping,        ///< control(): its payload
        pong,
        close,       ///< close_code() (NO_STATUS_RCVD when it had none), close_reason()
        error        ///< error_code() to close with, error_reason()
    };

    /// `max_message_size`: the most a message may hold (decompressed). `inflater`: the
    /// negotiated permessage-deflate, or null (then RSV1 is a protocol error).
    MessageReader(Role role, std::size_t max_message_size, Inflater* inflater = nullptr) noexcept
        : role_(role), max_message_size_(max_message_size), inflater_(inflater) {}

    /// The next event from `input`; `used` says how many of its bytes it took (also for
    /// need_input: a frame's header and payload are taken as they come).
    Event next(std::string_view input, std::size_t& used);

    /// The data message just read. Taking it (std::move) is allowed; the next message starts
    /// empty either way.
    std::string& message() noexcept { return message_; }
    bool binary() const noexcept { return binary_; }
    const std::string& control() const noexcept { return control_; }
    std::uint16_t close_code() const noexcept { return close_code_; }
    std::string_view close_reason() const noexcept;
    CloseCode error_code() const noexcept { return error_code_; }
    std::string_view error_reason() const noexcept { return error_reason_; }

private:
    Event fail(CloseCode code, std::string_view reason) noexcept;
    Event start_frame();
    Event take_payload(std::string_view piece);
    Event inflate(std::string_view input, bool last);
    Event end_frame();

    enum class State : std::uint8_t { header, payload, failed };

    Role role_;
    std::size_t max_message_size_;
    Inflater* inflater_;
    State state_ = State::header;
    // The frame being read.
    unsigned char header_[14] = {};
    std::size_t header_have_ = 0;
    bool fin_ = false;
    Opcode opcode_ = Opcode::continuation;
    std::uint64_t remaining_ = 0;
    unsigned char mask_[4] = {};
    bool masked_ = false;
    std::uint64_t mask_offset_ = 0;
    // The message being assembled.
    bool in_message_ = false;
    bool binary_ = false;
    bool compressed_ = false;
    std::string message_;
    std::string piece_;  // a compressed message's piece, unmasked, before inflating
    Utf8Validator utf8_;
    // Control frames.
    std::string control_;
    std::uint16_t close_code_ = 0;
    CloseCode error_code_ = CloseCode::PROTOCOL_ERROR;
    std::string_view error_reason_;
};

/// Appends a frame to `out`: a client masks with `mask` (4 bytes; null for a server).
void write_frame(std::string& out, Opcode opcode, std::string_view payload, bool fin = true, bool rsv1 = false,
                 const unsigned char* mask = nullptr);
/// A close frame's payload: the code, then the reason (cut to fit 125 bytes, on a whole code
/// point); none for NO_STATUS_RCVD.
std::string close_payload(std::uint16_t code, std::string_view reason);

}  // namespace http::detail::websocket
