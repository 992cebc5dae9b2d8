// The server's WebSocket (RFC 6455, permessage-deflate): the handshake a route answers
// (accept_websocket), the end the application's handles reach (ServerWebSocket), and what the
// connection runs once the 101 is out (WebSocketSession).
//
// An upgrade is one more thing the exchange hands off: the route's handler answers 101 with the
// WebSocket attached to the response, the exchange passes it on (Outgoing::websocket) with the
// response's framing, and the protocol, once the 101 is written, reads frames into the session
// and writes what the application sends. Application code (the handler, on_message, on_close)
// runs on the connection's loop as handlers do, guarded, with the watchdog's hand-off.
//
// What is sent goes through a StreamState, as an event stream's events do: framed by the sender
// (any thread), taken by the connection as it can write, bounded by stream_buffer_size with the
// same rule (past it, the client is not reading: it is disconnected, and sends return false).
#pragma once

#include "coding/permessage_deflate.hpp"
#include "proto/websocket/frames.hpp"
#include "server/loop.hpp"
#include "server/stream_state.hpp"
#include "websocket/state.hpp"

#include <http/request.hpp>
#include <http/response.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace http::detail {

class ServerWebSocket final : public WebSocketState, public std::enable_shared_from_this<ServerWebSocket> {
public:
    /// Made by the route's handler: `context` is the server's (from the response), `deflate` the
    /// agreed permessage-deflate, if any.
    ServerWebSocket(const StreamContext* context, std::string subprotocol,
                    std::optional<websocket::DeflateParameters> deflate);

    bool send(std::string_view data, bool binary) override;
    bool ping(std::string_view payload) override;
    bool close(std::uint16_t code, std::string_view reason) override;
    bool is_open() const override;
    std::string subprotocol() const override { return subprotocol_; }
    void on_message(std::function<void(WebSocket&, const Message&)> fn) override;
    void on_close(std::function<void(WebSocket&, CloseCode, std::string_view)> fn) override;

    // The connection's side (its loop's thread).
    StreamState& out() noexcept { return *out_; }
    const std::shared_ptr<StreamState>& out_state() const noexcept { return out_; }
    PerMessageDeflate* deflate() noexcept { return deflate_ ? &*deflate_ : nullptr; }
    /// A control frame the connection answers with (a pong, a close): false once a close was sent.
    bool send_control(websocket::Opcode opcode, std::string_view payload);
    /// A close this end began: true if it is the first (the caller then waits for the peer's).
    bool closed_by_us() const noexcept { return close_sent_.load(std::memory_order_acquire); }
    /// The connection has ended: sends return false.
    void gone() noexcept;
    std::function<void(WebSocket&, const Message&)> message_callback() const;
    std::function<void(WebSocket&, CloseCode, std::string_view)> close_callback() const;

private:
    bool write(websocket::Opcode opcode, std::string_view payload, bool rsv1, bool closing);

    std::shared_ptr<StreamState> out_;
    const std::string subprotocol_;
    std::optional<PerMessageDeflate> deflate_;
    mutable std::mutex mutex_;  // the callbacks; and a frame written after a close
    std::atomic<bool> close_sent_{false};
    std::atomic<bool> gone_{false};
    std::function<void(WebSocket&, const Message&)> on_message_;
    std::function<void(WebSocket&, CloseCode, std::string_view)> on_close_;
};

/// Answers a WebSocket opening handshake (a route of router.websocket()): checks it (426 with
/// Sec-WebSocket-Version: 13 for another version or no upgrade at all, 400 for a bad key),
/// agrees a subprotocol from `subprotocols` and permessage-deflate, runs `handler` with the new
/// WebSocket, and makes `res` the 101 that carries it. Throws the failures above.
void accept_websocket(Request& req, Response& res, const std::vector<std::string>& subprotocols,
                      const std::function<void(Request&, WebSocket)>& handler);

/// One WebSocket connection's protocol once the 101 is out: frames in, the application's
/// callbacks, control frames answered, the closing handshake.
class WebSocketSession {
public:
    WebSocketSession(Loop& loop, const ClientInfo& client, std::shared_ptr<ServerWebSocket> socket);
    ~WebSocketSession();
    WebSocketSession(const WebSocketSession&) = delete;
    WebSocketSession& operator=(const WebSocketSession&) = delete;

    enum class Result : std::uint8_t {
        more,  ///< all of the input was read: wait for more
        away,  ///< this thread lost the loop in a callback: return, touching nothing
        done   ///< the connection is to close once what is queued is written
    };
    /// Reads what `input` holds; `used` says how much of it was taken.
    Result receive(std::string_view input, std::size_t& used);

    ServerWebSocket& socket() noexcept { return *socket_; }
    /// Whether this end closed (or failed) and waits for nothing more from the peer.
    bool done() const noexcept { return done_; }
    /// This end sent a close and waits for the peer's.
    bool awaiting_close() const noexcept { return !done_ && socket_->closed_by_us(); }
    /// Sends a ping (a connection quiet for the ping interval).
    void ping();
    /// Closes with `code` (the server shuts down, a peer that did not answer a ping).
    void close(CloseCode code, std::string_view reason);
    /// The connection ended: on_close, if it has not run, with ABNORMAL_CLOSURE.
    void lost();
    /// The peer does not answer: nothing more is read; the connection ends once what is queued
    /// is out (then lost()).
    void give_up() noexcept { done_ = true; }

private:
    bool deliver(Message&& message);
    void finish(std::uint16_t code, std::string_view reason);

    Loop& loop_;
    const ClientInfo client_;  // a copy: lost() may run after its connection is gone
    std::shared_ptr<ServerWebSocket> socket_;
    websocket::MessageReader reader_;
    bool done_ = false;
    bool closed_reported_ = false;
};

}  // namespace http::detail
