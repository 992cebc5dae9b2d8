// permessage-deflate (RFC 7692) for one end of one WebSocket connection, with zlib: messages
// compressed whole, messages inflated a piece at a time within the room the message limit leaves
// (websocket::Inflater), so that a bomb stops at the limit.
//
// Memory: an end that keeps no context between messages (the server always asks both ends not
// to: websocket::negotiate_deflate) holds no zlib state while idle. It deflates with its thread's
// one compressor, reset after each message (a message is compressed in one call, so connections
// on the same thread cannot interleave), and inflates with a stream it takes from its thread's
// spares at a message's first piece and gives back at its last. An end that keeps its context
// (a client whose server allows it) keeps its own streams.
#pragma once

#include "proto/websocket/frames.hpp"
#include "proto/websocket/handshake.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace http::detail {

class PerMessageDeflate final : public websocket::Inflater {
public:
    /// The agreed `parameters`, seen from `role`'s end.
    PerMessageDeflate(const websocket::DeflateParameters& parameters, websocket::Role role);
    ~PerMessageDeflate();
    PerMessageDeflate(const PerMessageDeflate&) = delete;
    PerMessageDeflate& operator=(const PerMessageDeflate&) = delete;

    bool inflate(std::string_view input, bool last, std::string& out, std::size_t room, bool& too_large) override;

    /// Whether a message this long is worth compressing (and allowed: a window of 8 bits cannot
    /// be kept to by zlib, so then nothing is compressed).
    bool compresses(std::size_t size) const noexcept;
    /// Appends the compressed `message` (a frame's payload, for a frame with RSV1) to `out`.
    void deflate(std::string_view message, std::string& out);

    struct Stream;

private:
    bool keep_inflating_;  // the peer keeps its context: so must this end's inflater
    bool keep_deflating_;  // this end may keep its context
    int deflate_bits_;
    std::unique_ptr<Stream> inflating_;  // during a message, or always when kept
    std::unique_ptr<Stream> deflating_;  // only when kept
};

}  // namespace http::detail
