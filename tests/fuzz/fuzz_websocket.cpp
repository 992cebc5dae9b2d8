// WebSocket frames (proto/websocket/frames.hpp) as a server and as a client reads them, with and
// without permessage-deflate (coding/permessage_deflate.hpp, as the server wires it in): the same
// events whether the bytes come whole, in two pieces or a byte at a time; every need_input takes
// all it was given; no message past the limit, no text message that is not UTF-8, no control
// payload past 125 bytes, no close code that may not be received; an error is final.
//
// The first byte after the split byte chooses the reader: bit 0 the client's role (else the
// server's), bit 1 permessage-deflate, bit 2 the peer keeping its compression context between
// messages, bits 3-4 the message limit.
#include "fuzz.hpp"

#include "coding/permessage_deflate.hpp"
#include "proto/websocket/frames.hpp"

#include <http/close_codes.hpp>

#include <memory>
#include <optional>
#include <string>

using namespace http::detail;
using websocket::MessageReader;
using Event = MessageReader::Event;

namespace {

struct Setup {
    websocket::Role role;
    bool deflate;
    bool peer_keeps_context;
    std::size_t limit;
};

Setup setup_from(unsigned char byte) {
    static constexpr std::size_t limits[] = {1 << 20, 0, 200, 70000};
    return {(byte & 1) ? websocket::Role::client : websocket::Role::server, (byte & 2) != 0, (byte & 4) != 0,
            limits[(byte >> 3) & 3]};
}

// One reader, fed piece by piece; what it reported, written down event by event.
class Run {
public:
    explicit Run(const Setup& setup) : setup_(setup) {
        if (setup.deflate) {
            websocket::DeflateParameters parameters;
            const bool server = setup.role == websocket::Role::server;
            // The peer's direction is the one inflated here.
            (server ? parameters.client_no_context_takeover : parameters.server_no_context_takeover) =
                !setup.peer_keeps_context;
            deflate_.emplace(parameters, setup.role);
        }
        reader_ = std::make_unique<MessageReader>(setup.role, setup.limit, deflate_ ? &*deflate_ : nullptr);
    }

    void feed(std::string_view bytes) {
        if (failed_)
            return;
        while (true) {
            std::size_t used = 0;
            const Event event = reader_->next(bytes, used);
            FUZZ_CHECK(used <= bytes.size());
            bytes.remove_prefix(used);
            if (event == Event::need_input) {
                FUZZ_CHECK(bytes.empty());  // a frame's bytes are taken as they come
                return;
            }
            record(event);
            if (event == Event::error) {
                std::size_t again = 0;
                FUZZ_CHECK(reader_->next(bytes, again) == Event::error);  // an error is final
                FUZZ_CHECK(again == 0);
                failed_ = true;
                return;
            }
        }
    }

    const std::string& log() const noexcept { return log_; }

private:
    void record(Event event) {
        log_ += static_cast<char>('0' + static_cast<int>(event));
        switch (event) {
        case Event::message: {
            const std::string& message = reader_->message();
            FUZZ_CHECK(message.size() <= setup_.limit);
            if (!reader_->binary())
                FUZZ_CHECK(websocket::valid_utf8(message));
            log_ += reader_->binary() ? 'b' : 't';
            log_ += std::to_string(message.size()) + ':' + message;
            // The reader may hand its message over; the next one starts empty all the same.
            const std::string taken = std::move(reader_->message());
            static_cast<void>(taken);
            break;
        }
        case Event::ping:
        case Event::pong:
            FUZZ_CHECK(reader_->control().size() <= 125);
            log_ += std::to_string(reader_->control().size()) + ':' + reader_->control();
            break;
        case Event::close: {
            const std::uint16_t code = reader_->close_code();
            FUZZ_CHECK(code == static_cast<std::uint16_t>(http::CloseCode::NO_STATUS_RCVD) ||
                       http::may_receive_close_code(code));
            FUZZ_CHECK(reader_->control().size() <= 125);
            FUZZ_CHECK(websocket::valid_utf8(reader_->close_reason()));
            log_ += std::to_string(code) + ':' + std::string(reader_->close_reason());
            break;
        }
        case Event::error:
            log_ += std::to_string(static_cast<int>(reader_->error_code())) + ':' +
                    std::string(reader_->error_reason());
            break;
        case Event::need_input:
            break;
        }
        log_ += '\n';
    }

    Setup setup_;
    std::optional<PerMessageDeflate> deflate_;
    std::unique_ptr<MessageReader> reader_;
    std::string log_;
    bool failed_ = false;
};

// The two logs must agree; when they do not, both are printed before the check stops the run.
void check_same(const std::string& a, const std::string& b, const char* how) {
    if (a != b)
        std::fprintf(stderr, "whole:\n%s\n%s:\n%s\n", a.c_str(), how, b.c_str());
    FUZZ_CHECK(a == b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input input = fuzz::split_input(data, size);
    if (input.bytes.empty())
        return 0;
    const Setup setup = setup_from(static_cast<unsigned char>(input.bytes[0]));
    const std::string_view frames = input.bytes.substr(1);
    const std::size_t split = input.split > frames.size() ? frames.size() : input.split;

    Run whole(setup);
    whole.feed(frames);

    Run cut(setup);
    cut.feed(frames.substr(0, split));
    cut.feed(frames.substr(split));
    check_same(whole.log(), cut.log(), "in two pieces");

    if (frames.size() <= 4096) {
        Run bytewise(setup);
        for (std::size_t i = 0; i < frames.size(); ++i)
            bytewise.feed(frames.substr(i, 1));
        check_same(whole.log(), bytewise.log(), "a byte at a time");
    }
    return 0;
}
