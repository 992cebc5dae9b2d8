#include "client/websocket.hpp"

#include "coding/permessage_deflate.hpp"
#include "proto/message/base64.hpp"
#include "proto/message/parameters.hpp"
#include "proto/message/serialize.hpp"
#include "proto/parser/body_reader.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/parser/response_parser.hpp"
#include "proto/websocket/frames.hpp"
#include "proto/websocket/handshake.hpp"
#include "websocket/state.hpp"

#include <openssl/rand.h>

#include <atomic>
#include <mutex>
#include <optional>

namespace http::detail {

namespace {

using Kind = TransportError::Kind;
using websocket::Opcode;

void random_bytes(unsigned char* out, int size) {
    if (RAND_bytes(out, size) != 1)
        throw NetFailure(Kind::io, "no random bytes for the WebSocket key or mask");
}

// The client's end of one WebSocket connection. Sends may come from any thread while one
// receive() waits: the stream (a TLS session is not safe to use from two threads at once) is
// only touched under io_mutex_, and receive() waits for the socket without holding it.
class ClientWebSocket final : public WebSocketState {
public:
    ClientWebSocket(std::unique_ptr<Stream> stream, std::string received, const WebSocketOpening& opening,
                    std::string subprotocol, std::optional<websocket::DeflateParameters> deflate)
        : stream_(std::move(stream)),
          input_(std::move(received)),
          url_(opening.url),
          receive_timeout_(opening.receive_timeout),
          max_message_size_(opening.max_message_size),
          subprotocol_(std::move(subprotocol)) {
        if (deflate)
            deflate_.emplace(*deflate, websocket::Role::client);
        reader_.emplace(websocket::Role::client, opening.max_message_size, deflate_ ? &*deflate_ : nullptr);
    }

    bool send(std::string_view data, bool binary) override {
        const Opcode opcode = binary ? Opcode::binary : Opcode::text;
        const std::lock_guard lock(io_mutex_);
        if (deflate_ && deflate_->compresses(data.size())) {
            std::string compressed;  // under the lock: a compressor kept between messages is shared
            deflate_->deflate(data, compressed);
            return write_locked(opcode, compressed, true);
        }
        return write_locked(opcode, data, false);
    }

    bool ping(std::string_view payload) override {
        const std::lock_guard lock(io_mutex_);
        return write_locked(Opcode::ping, payload, false);
    }

    bool close(std::uint16_t code, std::string_view reason) override {
        const std::lock_guard lock(io_mutex_);
        return write_locked(Opcode::close, websocket::close_payload(code, reason), false);
    }

    bool is_open() const override {
        return !close_sent_.load(std::memory_order_acquire) && !ended_.load(std::memory_order_acquire);
    }

    std::string subprotocol() const override { return subprotocol_; }

    std::optional<Message> receive() override {
        const std::lock_guard reading(read_mutex_);  // one receiver at a time
        const Clock::time_point deadline = Clock::now() + receive_timeout_;
        while (!ended_.load(std::memory_order_acquire)) {
            std::size_t used = 0;
            const auto event = reader_->next(std::string_view(input_).substr(input_used_), used);
            input_used_ += used;
            switch (event) {
            case websocket::MessageReader::Event::message:
                return Message{std::move(reader_->message()), reader_->binary()};
            case websocket::MessageReader::Event::ping: {
                const std::lock_guard lock(io_mutex_);
                write_locked(Opcode::pong, reader_->control(), false);
                continue;
            }
            case websocket::MessageReader::Event::pong:
                continue;
            case websocket::MessageReader::Event::close: {
                // The answer echoes the code (RFC 6455, Section 5.5.1), unless this end closed
                // first; then the server ends the TCP connection, and so does this end.
                const std::lock_guard lock(io_mutex_);
                write_locked(Opcode::close, websocket::close_payload(reader_->close_code(), {}), false);
                end_locked();
                return std::nullopt;
            }
            case websocket::MessageReader::Event::error: {
                const std::string reason(reader_->error_reason());
                {
                    const std::lock_guard lock(io_mutex_);
                    write_locked(Opcode::close,
                                 websocket::close_payload(static_cast<std::uint16_t>(reader_->error_code()), reason),
                                 false);
                    end_locked();
                }
                if (reader_->error_code() == CloseCode::MESSAGE_TOO_BIG)
                    throw TransportError(Kind::too_large, url_,
                                         "GET " + url_ + ": " + reason + " (client.max_body_size, " +
                                             std::to_string(max_message_size_) + " bytes; closed with 1009)");
                throw TransportError(Kind::malformed_response, url_,
                                     "GET " + url_ + ": the server broke the WebSocket protocol (" +
                                         std::to_string(static_cast<int>(reader_->error_code())) + "): " + reason);
            }
            case websocket::MessageReader::Event::need_input:
                break;
            }
            if (!read_more(deadline))
                return std::nullopt;
        }
        return std::nullopt;
    }

private:
    // Writes one frame, masked with fresh random bytes (RFC 6455, Section 5.3). False once a close
    // went out or the connection ended.
    bool write_locked(Opcode opcode, std::string_view payload, bool rsv1) {
        if (close_sent_.load(std::memory_order_relaxed) || ended_.load(std::memory_order_relaxed))
            return false;
        unsigned char mask[4];
        random_bytes(mask, sizeof mask);
        frame_.clear();
        websocket::write_frame(frame_, opcode, payload, true, rsv1, mask);
        if (opcode == Opcode::close)
            close_sent_.store(true, std::memory_order_release);
        try {
            stream_->write_all(frame_, Clock::now() + receive_timeout_);
        } catch (const NetFailure&) {
            end_locked();  // the server is gone or does not read: this connection is over
            return false;
        }
        return true;
    }

    void end_locked() noexcept { ended_.store(true, std::memory_order_release); }

    // Waits for bytes until `deadline`, holding io_mutex_ only to read what is there, not while
    // it waits. False when the connection ended (a lost connection ends the WebSocket as a close
    // would); throws TransportError (timeout) past the deadline.
    bool read_more(Clock::time_point deadline) {
        char chunk[64 * 1024];
        while (true) {
            {
                const std::lock_guard lock(io_mutex_);
                if (ended_.load(std::memory_order_relaxed))
                    return false;
                if (stream_->wait_readable(Clock::now())) {
                    try {
                        // What is readable comes at once; a TLS record cut in two may need a moment.
                        const std::size_t n =
                            stream_->read_some(chunk, sizeof chunk, Clock::now() + std::chrono::milliseconds(100));
                        if (n == 0) {
                            end_locked();  // the end of the stream
                            return false;
                        }
                        input_.erase(0, input_used_);  // what the reader took, once per read
                        input_used_ = 0;
                        input_.append(chunk, n);
                        return true;
                    } catch (const NetFailure& failure) {
                        if (failure.kind != Kind::timeout) {
                            end_locked();
                            return false;
                        }
                    }
                }
            }
            if (Clock::now() >= deadline)
                throw TransportError(Kind::timeout, url_,
                                     "GET " + url_ + ": no WebSocket message within client.receive_timeout (" +
                                         std::to_string(receive_timeout_.count()) + " ms)");
            stream_->socket_readable(deadline);  // only the descriptor: no lock needed
        }
    }

    std::unique_ptr<Stream> stream_;
    std::string input_;            // received; reader_ has taken the first input_used_ bytes
    std::size_t input_used_ = 0;
    const std::string url_;
    const std::chrono::milliseconds receive_timeout_;
    const std::size_t max_message_size_;
    const std::string subprotocol_;
    std::optional<PerMessageDeflate> deflate_;
    std::optional<websocket::MessageReader> reader_;
    std::string frame_;
    std::mutex io_mutex_;    // the stream, frame_, and the frames' order
    std::mutex read_mutex_;  // reader_, input_
    std::atomic<bool> close_sent_{false};
    std::atomic<bool> ended_{false};
};

}  // namespace

std::shared_ptr<WebSocketState> open_websocket(std::unique_ptr<Stream> stream, const WebSocketOpening& opening,
                                               Response& answer) {
    unsigned char nonce[16];
    random_bytes(nonce, sizeof nonce);
    const std::string key = base64(std::string_view(reinterpret_cast<const char*>(nonce), sizeof nonce));
    Headers fields = opening.fields;
    for (const char* own : {"Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions"})
        fields.erase(own);
    fields.add("Upgrade", "websocket");
    fields.add("Sec-WebSocket-Key", key);
    fields.add("Sec-WebSocket-Version", "13");
    if (opening.compression)
        fields.add("Sec-WebSocket-Extensions", websocket::deflate_offer());
    RequestFraming framing;
    framing.method = "GET";
    framing.target = opening.target;
    framing.host = opening.authority;
    framing.upgrade = true;
    std::string head;
    try {
        serialize_request(framing, fields, head);
    } catch (const std::invalid_argument& e) {
        throw NetFailure(Kind::invalid_request, e.what());
    }
    stream->write_all(head, Clock::now() + opening.receive_timeout);

    // The answer's head (1xx other than 101 skipped, as for any request).
    std::string buffer;
    ResponseHeadParser parser;
    ResponseHead response;
    char chunk[16 * 1024];
    const auto read_more = [&] {
        const std::size_t n = stream->read_some(chunk, sizeof chunk, Clock::now() + opening.receive_timeout);
        buffer.append(chunk, n);
        return n;
    };
    while (true) {
        const auto result = parser.parse(buffer, response);
        if (result == ResponseHeadParser::Result::error)
            throw NetFailure(Kind::malformed_response, "malformed response: " + std::string(parser.error().reason));
        if (result == ResponseHeadParser::Result::incomplete) {
            if (read_more() == 0)
                throw NetFailure(Kind::closed, "the server closed the connection without answering the WebSocket handshake");
            continue;
        }
        if (response.status >= 200 || response.status == 101)
            break;
        buffer.erase(0, response.size);
        parser.reset();
    }
    answer.status = static_cast<Status>(response.status);
    answer.version = response.version_minor == 0 ? "1.0" : "1.1";
    for (const Field& f : response.fields)
        answer.headers.add(std::string(f.name), std::string(f.value));
    buffer.erase(0, response.size);

    if (response.status != 101) {
        // Refused: the body (a problem+json, say) is kept, up to 1 MiB, for the failure it makes.
        ChunkedLimits limits;
        limits.max_body_size = 1 << 20;
        BodyReader reader(limits);
        reader.start(response.framing, response.content_length, response.until_close);
        std::string_view pending = buffer;
        std::string piece;
        while (true) {
            std::size_t used = 0;
            const auto result = reader.feed(pending, used, piece);
            pending.remove_prefix(used);
            answer.body += piece;
            piece.clear();
            if (result != BodyReader::Result::incomplete)
                break;
            const std::size_t n = stream->read_some(chunk, sizeof chunk, Clock::now() + opening.receive_timeout);
            if (n == 0)
                break;
            pending = std::string_view(chunk, n);
        }
        return nullptr;
    }

    // Switched: the answer must be the one to this request (RFC 6455, Section 4.1).
    const auto fail = [](const std::string& what) -> NetFailure {
        return NetFailure(Kind::malformed_response, "the WebSocket handshake's answer " + what);
    };
    if (!list_has(answer.headers.get("Upgrade"), "websocket"))
        throw fail("has no Upgrade: websocket");
    if (!list_has(joined_values(answer.headers, "Connection"), "upgrade"))
        throw fail("has no Connection: Upgrade");
    if (answer.headers.get("Sec-WebSocket-Accept") != websocket::accept_key(key))
        throw fail("has a Sec-WebSocket-Accept that is not the one for its key");
    std::string subprotocol(answer.headers.get("Sec-WebSocket-Protocol"));
    if (!subprotocol.empty()) {
        bool offered = false;
        for_each_list_element(joined_values(opening.fields, "Sec-WebSocket-Protocol"),
                              [&](std::string_view element) { offered = offered || element == subprotocol; });
        if (!offered)
            throw fail("names a subprotocol that was not offered: " + subprotocol);
    }
    std::optional<websocket::DeflateParameters> deflate;
    const std::string extensions = joined_values(answer.headers, "Sec-WebSocket-Extensions");
    if (!extensions.empty()) {
        if (!opening.compression)
            throw fail("names an extension that was not offered: " + extensions);
        std::string error;
        deflate = websocket::accept_deflate_response(extensions, error);
        if (!error.empty())
            throw fail("is not one the offer allows: " + error);
    }
    return std::make_shared<ClientWebSocket>(std::move(stream), std::move(buffer), opening, std::move(subprotocol),
                                             deflate);
}

}  // namespace http::detail
