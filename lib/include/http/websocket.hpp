// http::WebSocket (RFC 6455, with permessage-deflate, RFC 7692): the server's, made by
// router.websocket(), and the client's, made by client.websocket().
#pragma once

#include <http/close_codes.hpp>

#include <http/detail/function.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace http {

/// A whole WebSocket message.
struct Message {
    std::string data;
    bool binary = false;  ///< a binary message; otherwise text, valid UTF-8
};

namespace detail {
class WebSocketState;
}

/// One WebSocket connection. A handle: copies share it.
///
///     router.websocket("/chat", [](http::Request& req, http::WebSocket ws) {
///         ws.on_message([](http::WebSocket& ws, const http::Message& m) { ws.send(m.data, m.binary); });
///         ws.on_close([](http::WebSocket&, http::CloseCode code, std::string_view reason) {});
///     });
///
/// On a server, the callbacks run on the server's I/O thread (a callback that blocks hands the
/// loop to another thread, as a handler does); a message whose callback throws closes the
/// connection with 1011. send(), ping() and close() may be called from any thread, and never
/// wait: a client that does not read what is sent is disconnected once the unsent bytes pass
/// server.stream_buffer_size (a single message larger than that still goes, alone), and they
/// return false from then on, as once the connection is closed.
class WebSocket {
public:
    /// A WebSocket of no connection: sends return false.
    WebSocket() = default;
    explicit WebSocket(std::shared_ptr<detail::WebSocketState> state) noexcept : state_(std::move(state)) {}

    /// A message as text (it must be UTF-8: std::invalid_argument otherwise), or as binary.
    /// False once closed.
    bool send(std::string_view data, bool binary = false);
    /// A ping with up to 125 bytes of payload (std::invalid_argument past it); the peer answers
    /// with a pong. False once closed.
    bool ping(std::string_view payload = {});
    /// Starts the closing handshake with `code` (one that may be sent: RFC 6455, Section 7.4;
    /// std::invalid_argument otherwise) and `reason` (cut to fit the frame). False if it was
    /// closed already.
    bool close(CloseCode code = CloseCode::NORMAL_CLOSURE, std::string_view reason = {});
    /// Neither end has begun to close it, and the connection is there.
    bool is_open() const;
    /// The subprotocol agreed in the handshake, or empty.
    std::string subprotocol() const;

    /// Server: runs `fn` for each message that arrives, on the I/O thread.
    void on_message(std::function<void(WebSocket&, const Message&)> fn);
    /// Server: runs `fn` once when the connection ends: with the close code the peer sent
    /// (NO_STATUS_RCVD when it gave none), the code this end closed with for an error, or
    /// ABNORMAL_CLOSURE when the connection was lost without a closing handshake.
    void on_close(std::function<void(WebSocket&, CloseCode, std::string_view reason)> fn);

    /// Client: the next message, waiting up to client.receive_timeout (pings are answered
    /// meanwhile); nullopt once the connection is closed. Throws http::TransportError when the
    /// server breaks the protocol (after closing with the code that says why) or the wait
    /// times out.
    std::optional<Message> receive();

private:
    std::shared_ptr<detail::WebSocketState> state_;
};

}  // namespace http
