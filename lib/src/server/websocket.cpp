#include "server/websocket.hpp"

#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/websocket/handshake.hpp"
#include "server/response_access.hpp"

#include <http/failure.hpp>

namespace http::detail {

using websocket::Opcode;

// --- ServerWebSocket ------------------------------------------------------------------------------

ServerWebSocket::ServerWebSocket(const StreamContext* context, std::string subprotocol,
                                 std::optional<websocket::DeflateParameters> deflate)
    : out_(std::make_shared<StreamState>(false, context)), subprotocol_(std::move(subprotocol)) {
    if (deflate)
        deflate_.emplace(*deflate, websocket::Role::server);
}

bool ServerWebSocket::write(Opcode opcode, std::string_view payload, bool rsv1, bool closing) {
    std::string frame;
    websocket::write_frame(frame, opcode, payload, true, rsv1);
    // Under the lock, so that no frame follows the close frame, whatever thread sends it.
    const std::lock_guard lock(mutex_);
    if (close_sent_.load(std::memory_order_relaxed) || gone_.load(std::memory_order_relaxed))
        return false;
    const bool written = out_->write(frame);
    if (closing) {
        close_sent_.store(true, std::memory_order_release);
        out_->close();  // nothing may follow it
    }
    return written;
}

bool ServerWebSocket::send(std::string_view data, bool binary) {
    const Opcode opcode = binary ? Opcode::binary : Opcode::text;
    if (deflate_ && deflate_->compresses(data.size())) {
        std::string compressed;
        deflate_->deflate(data, compressed);  // the calling thread's compressor: no lock needed
        return write(opcode, compressed, true, false);
    }
    return write(opcode, data, false, false);
}

bool ServerWebSocket::ping(std::string_view payload) { return write(Opcode::ping, payload, false, false); }

bool ServerWebSocket::close(std::uint16_t code, std::string_view reason) {
    return write(Opcode::close, websocket::close_payload(code, reason), false, true);
}

bool ServerWebSocket::send_control(Opcode opcode, std::string_view payload) {
    return write(opcode, payload, false, opcode == Opcode::close);
}

bool ServerWebSocket::is_open() const {
    return !close_sent_.load(std::memory_order_acquire) && !gone_.load(std::memory_order_acquire) && out_->is_open();
}

void ServerWebSocket::gone() noexcept {
    gone_.store(true, std::memory_order_release);
    out_->detach();
}

void ServerWebSocket::on_message(std::function<void(WebSocket&, const Message&)> fn) {
    const std::lock_guard lock(mutex_);
    on_message_ = std::move(fn);
}

void ServerWebSocket::on_close(std::function<void(WebSocket&, CloseCode, std::string_view)> fn) {
    const std::lock_guard lock(mutex_);
    on_close_ = std::move(fn);
}

std::function<void(WebSocket&, const Message&)> ServerWebSocket::message_callback() const {
    const std::lock_guard lock(mutex_);
    return on_message_;
}

std::function<void(WebSocket&, CloseCode, std::string_view)> ServerWebSocket::close_callback() const {
    const std::lock_guard lock(mutex_);
    return on_close_;
}

// --- The handshake --------------------------------------------------------------------------------

namespace {

[[noreturn]] void upgrade_required(std::string message) {
    throw_failure(Status::UPGRADE_REQUIRED, std::move(message),
                  Headers{{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}});
}

}  // namespace

void accept_websocket(Request& req, Response& res, const std::vector<std::string>& subprotocols,
                      const std::function<void(Request&, WebSocket)>& handler) {
    const StreamContext* context = ResponseAccess::context(res);
    if (!context)
        throw NotImplemented("a WebSocket is answered by the server, not outside it");
    // HTTP/2 opens a WebSocket on a stream with an extended CONNECT (RFC 8441, Section 5): no
    // key, no Upgrade, and a 200 where HTTP/1.1 has its 101.
    const bool over_http2 = req.http_version == "2";
    if (over_http2) {
        if (req.method != "CONNECT" || req.protocol != "websocket")
            throw BadRequest("this resource is a WebSocket: over HTTP/2, ask for it with an extended CONNECT "
                             "(:protocol websocket, RFC 8441)");
    } else if (req.method != "GET" || req.http_version != "1.1" || !list_has(req.headers.get("Upgrade"), "websocket") ||
               !list_has(req.headers.get("Connection"), "upgrade")) {
        upgrade_required("this resource is a WebSocket: ask for it with Upgrade: websocket");
    }
    if (req.headers.get("Sec-WebSocket-Version") != "13")
        upgrade_required("WebSocket version 13 (RFC 6455) only");
    const std::string_view key = req.headers.get("Sec-WebSocket-Key");
    if (!over_http2 && !websocket::valid_key(key))
        throw BadRequest("Sec-WebSocket-Key is not 16 bytes in base64");
    std::string subprotocol = websocket::choose_subprotocol(joined_values(req.headers, "Sec-WebSocket-Protocol"), subprotocols);
    std::optional<websocket::DeflateParameters> deflate;
    if (context->websocket_compression)
        deflate = websocket::negotiate_deflate(joined_values(req.headers, "Sec-WebSocket-Extensions"));

    auto socket = std::make_shared<ServerWebSocket>(context, subprotocol, deflate);
    handler(req, WebSocket(socket));  // what it sends goes out after the 101 (or the 200)

    res.body.clear();
    if (over_http2) {
        res.status = Status::OK;
    } else {
        res.status = Status::SWITCHING_PROTOCOLS;
        res.headers.set("Upgrade", "websocket");
        res.headers.set("Sec-WebSocket-Accept", websocket::accept_key(key));
    }
    if (!subprotocol.empty())
        res.headers.set("Sec-WebSocket-Protocol", subprotocol);
    if (deflate)
        res.headers.set("Sec-WebSocket-Extensions", websocket::deflate_response(*deflate));
    ResponseAccess::set_websocket(res, std::move(socket));
}

// --- WebSocketSession -----------------------------------------------------------------------------

WebSocketSession::WebSocketSession(Loop& loop, const ClientInfo& client, std::shared_ptr<ServerWebSocket> socket)
    : loop_(loop),
      client_(client),
      socket_(std::move(socket)),
      reader_(websocket::Role::server, loop.config().websocket_max_message_size, socket_->deflate()) {}

WebSocketSession::~WebSocketSession() { socket_->gone(); }

WebSocketSession::Result WebSocketSession::receive(std::string_view input, std::size_t& used) {
    used = 0;
    while (!done_) {
        std::size_t taken = 0;
        const auto event = reader_.next(input.substr(used), taken);
        used += taken;
        switch (event) {
        case websocket::MessageReader::Event::need_input:
            return Result::more;
        case websocket::MessageReader::Event::message:
            if (!deliver(Message{std::move(reader_.message()), reader_.binary()}))
                return Result::away;
            break;
        case websocket::MessageReader::Event::ping:
            socket_->send_control(Opcode::pong, reader_.control());
            break;
        case websocket::MessageReader::Event::pong:
            break;
        case websocket::MessageReader::Event::close: {
            // The answer echoes the code (RFC 6455, Section 5.5.1), unless this end closed first.
            const std::uint16_t code = reader_.close_code();
            socket_->send_control(Opcode::close, websocket::close_payload(code, {}));
            const std::string reason(reader_.close_reason());
            finish(code, reason);
            return loop_.on_owner_thread() ? Result::done : Result::away;
        }
        case websocket::MessageReader::Event::error: {
            const auto code = static_cast<std::uint16_t>(reader_.error_code());
            socket_->close(code, reader_.error_reason());
            finish(code, reader_.error_reason());
            return loop_.on_owner_thread() ? Result::done : Result::away;
        }
        }
    }
    return Result::done;
}

bool WebSocketSession::deliver(Message&& message) {
    const auto callback = socket_->message_callback();
    if (!callback)
        return true;
    {
        Loop::UserCode user_code(loop_);
        WebSocket handle(socket_);
        try {
            callback(handle, message);
        } catch (const std::exception& error) {
            loop_.shared().report(error, client_);
            socket_->close(static_cast<std::uint16_t>(CloseCode::INTERNAL_ERROR), "the server met an unexpected condition");
            finish(static_cast<std::uint16_t>(CloseCode::INTERNAL_ERROR), "the server met an unexpected condition");
        } catch (...) {
            loop_.shared().report(std::runtime_error("an on_message callback threw a non-std exception"), client_);
            socket_->close(static_cast<std::uint16_t>(CloseCode::INTERNAL_ERROR), "the server met an unexpected condition");
            finish(static_cast<std::uint16_t>(CloseCode::INTERNAL_ERROR), "the server met an unexpected condition");
        }
    }
    return loop_.on_owner_thread();
}

void WebSocketSession::finish(std::uint16_t code, std::string_view reason) {
    done_ = true;
    if (closed_reported_)
        return;
    closed_reported_ = true;
    const auto callback = socket_->close_callback();
    if (!callback)
        return;
    Loop::UserCode user_code(loop_);
    WebSocket handle(socket_);
    try {
        callback(handle, static_cast<CloseCode>(code), reason);
    } catch (const std::exception& error) {
        loop_.shared().report(error, client_);
    } catch (...) {
        loop_.shared().report(std::runtime_error("an on_close callback threw a non-std exception"), client_);
    }
}

void WebSocketSession::ping() { socket_->ping({}); }

void WebSocketSession::close(CloseCode code, std::string_view reason) {
    socket_->close(static_cast<std::uint16_t>(code), reason);
}

void WebSocketSession::lost() {
    socket_->gone();
    finish(static_cast<std::uint16_t>(CloseCode::ABNORMAL_CLOSURE), {});
}

}  // namespace http::detail
