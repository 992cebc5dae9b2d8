// The client's WebSocket (RFC 6455, with permessage-deflate, RFC 7692): the opening handshake
// over a connection the client opened (client.cpp: URL, proxy, TLS, cookies, as for any
// request), then frames both ways through the protocol core's MessageReader and write_frame,
// the same ones the server uses.
#pragma once

#include "client/stream.hpp"

#include <http/headers.hpp>
#include <http/response.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace http::detail {

class WebSocketState;

/// What the opening handshake asks for.
struct WebSocketOpening {
    std::string url;        ///< for messages: "GET ws://host/chat"
    std::string target;     ///< origin-form
    std::string authority;  ///< the Host field
    /// The client's fields and the caller's (Sec-WebSocket-Protocol, say); the handshake's own
    /// (Upgrade, Connection, Sec-WebSocket-Key, -Version, -Extensions) are added here.
    Headers fields;
    bool compression = true;             ///< offer permessage-deflate
    std::size_t max_message_size = 0;    ///< the most a received message may hold, decompressed
    std::chrono::milliseconds receive_timeout{0};
};

/// Sends the opening handshake over `stream` and reads the answer into `answer` (its status and
/// fields; for a status other than 101, its body too, up to 1 MiB). On 101, checks it (the
/// accept key, the subprotocol and extensions against what was offered) and returns the
/// WebSocket that now owns `stream`; otherwise returns null. Throws NetFailure for an answer
/// that is not a valid one.
std::shared_ptr<WebSocketState> open_websocket(std::unique_ptr<Stream> stream, const WebSocketOpening& opening,
                                               Response& answer);

}  // namespace http::detail
