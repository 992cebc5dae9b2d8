// What the server reads and sets in a Response beyond its public members: the context its
// handlers run in (for the streams and WebSockets they make) and a WebSocket a 101 carries.
#pragma once

#include <http/response.hpp>

#include <memory>
#include <utility>

namespace http::detail {

struct ResponseAccess {
    static const StreamContext* context(const Response& response) noexcept { return response.stream_context_; }
    static void set_context(Response& response, const StreamContext* context) noexcept {
        response.stream_context_ = context;
    }
    static void set_websocket(Response& response, std::shared_ptr<ServerWebSocket> websocket) noexcept {
        response.websocket_ = std::move(websocket);
    }
    static std::shared_ptr<ServerWebSocket> take_websocket(Response& response) noexcept {
        return std::move(response.websocket_);
    }
};

}  // namespace http::detail
