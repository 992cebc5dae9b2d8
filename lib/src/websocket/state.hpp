// What an http::WebSocket handle reaches: the server's end (server/websocket.hpp) or the
// client's (client/websocket.cpp). The handle checks its arguments; each end does the rest.
#pragma once

#include <http/websocket.hpp>

#include <stdexcept>

namespace http::detail {

class WebSocketState {
public:
    virtual ~WebSocketState() = default;

    /// `data` is valid UTF-8 when not `binary` (checked by the handle).
    virtual bool send(std::string_view data, bool binary) = 0;
    virtual bool ping(std::string_view payload) = 0;
    virtual bool close(std::uint16_t code, std::string_view reason) = 0;
    virtual bool is_open() const = 0;
    virtual std::string subprotocol() const = 0;

    virtual void on_message(std::function<void(WebSocket&, const Message&)>) {
        throw std::logic_error("http::WebSocket::on_message: a client's WebSocket is read with receive()");
    }
    virtual void on_close(std::function<void(WebSocket&, CloseCode, std::string_view)>) {
        throw std::logic_error("http::WebSocket::on_close: a client's WebSocket is read with receive()");
    }
    virtual std::optional<Message> receive() {
        throw std::logic_error("http::WebSocket::receive: a server's WebSocket is read with on_message()");
    }
};

}  // namespace http::detail
