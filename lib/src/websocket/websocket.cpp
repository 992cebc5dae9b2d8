#include <http/websocket.hpp>

#include "proto/websocket/frames.hpp"
#include "websocket/state.hpp"

#include <stdexcept>

namespace http {

bool WebSocket::send(std::string_view data, bool binary) {
    if (!binary && !detail::websocket::valid_utf8(data))
        throw std::invalid_argument("http::WebSocket::send: a text message must be UTF-8 (send it as binary)");
    return state_ && state_->send(data, binary);
}

bool WebSocket::ping(std::string_view payload) {
    if (payload.size() > 125)
        throw std::invalid_argument("http::WebSocket::ping: a ping's payload is 125 bytes at the most");
    return state_ && state_->ping(payload);
}

bool WebSocket::close(CloseCode code, std::string_view reason) {
    const auto value = static_cast<std::uint16_t>(code);
    if (!may_send_close_code(value))
        throw std::invalid_argument("http::WebSocket::close: " + std::to_string(value) +
                                    " may not be sent in a close frame (RFC 6455, Section 7.4)");
    return state_ && state_->close(value, reason);
}

bool WebSocket::is_open() const { return state_ && state_->is_open(); }

std::string WebSocket::subprotocol() const { return state_ ? state_->subprotocol() : std::string(); }

void WebSocket::on_message(std::function<void(WebSocket&, const Message&)> fn) {
    if (state_)
        state_->on_message(std::move(fn));
}

void WebSocket::on_close(std::function<void(WebSocket&, CloseCode, std::string_view)> fn) {
    if (state_)
        state_->on_close(std::move(fn));
}

std::optional<Message> WebSocket::receive() { return state_ ? state_->receive() : std::nullopt; }

}  // namespace http
