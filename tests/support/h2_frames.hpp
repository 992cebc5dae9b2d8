// HTTP/2 frames written and read byte by byte, for tests that talk to the server with a
// RawConnection: what a client sends (a frame, the preface, a request's header block) and what
// the server answers, parsed into frames.
#pragma once

#include "support/raw_connection.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace test::h2 {

enum Type : std::uint8_t {
    DATA = 0,
    HEADERS = 1,
    PRIORITY = 2,
    RST_STREAM = 3,
    SETTINGS = 4,
    PING = 6,
    GOAWAY = 7,
    WINDOW_UPDATE = 8,
    CONTINUATION = 9,
};
enum Flag : std::uint8_t { END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIORITY_FLAG = 0x20 };
// The error codes (RFC 9113, Section 7) the tests look for.
enum Code : std::uint32_t {
    NO_ERROR = 0x0,
    PROTOCOL_ERROR = 0x1,
    FLOW_CONTROL_ERROR = 0x3,
    STREAM_CLOSED = 0x5,
    CANCEL = 0x8,
};

inline const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A 32-bit number, big-endian.
inline std::string u32(std::uint32_t value) {
    return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
            static_cast<char>(value)};
}

/// A frame: 24-bit length, type, flags, stream.
inline std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, std::string_view payload = {}) {
    std::string out;
    out += static_cast<char>(payload.size() >> 16);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size());
    out += static_cast<char>(type);
    out += static_cast<char>(flags);
    out += u32(stream);
    out += payload;
    return out;
}

/// A field in HPACK, a literal not indexed with a literal name (both shorter than 127 bytes).
inline std::string literal(std::string_view name, std::string_view value) {
    return std::string(1, '\0') + static_cast<char>(name.size()) + std::string(name) + static_cast<char>(value.size()) +
           std::string(value);
}

/// Request header blocks in HPACK: :method, :scheme http, :path, :authority localhost.
inline const std::string get_root = std::string("\x82\x86\x84", 3) + literal(":authority", "localhost");
/// POST /up, its content to follow in DATA frames.
inline const std::string post_up =
    std::string("\x83\x86", 2) + literal(":path", "/up") + literal(":authority", "localhost");

/// The priority fields of PRIORITY, or of HEADERS with the PRIORITY flag: exclusive bit clear.
inline std::string depends_on(std::uint32_t stream, std::uint8_t weight = 15) {
    return u32(stream) + static_cast<char>(weight);
}

struct Frame {
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::uint32_t stream = 0;
    std::string payload;

    /// RST_STREAM's error code, or GOAWAY's.
    std::uint32_t code() const { return number(type == GOAWAY ? 4 : 0); }
    /// GOAWAY's last stream id.
    std::uint32_t last_stream() const { return number(0) & 0x7fffffff; }
    /// SETTINGS: the value of `identifier`, if the frame sets it.
    std::optional<std::uint32_t> setting(std::uint16_t identifier) const {
        for (std::size_t at = 0; at + 6 <= payload.size(); at += 6)
            if ((static_cast<std::uint8_t>(payload[at]) << 8 | static_cast<std::uint8_t>(payload[at + 1])) == identifier)
                return number(at + 2);
        return std::nullopt;
    }

private:
    std::uint32_t number(std::size_t at) const {
        if (payload.size() < at + 4)
            return 0xffffffff;
        std::uint32_t value = 0;
        for (std::size_t i = at; i < at + 4; ++i)
            value = value << 8 | static_cast<std::uint8_t>(payload[i]);
        return value;
    }
};

/// What a server sends on one connection, read frame by frame.
class Reader {
public:
    explicit Reader(RawConnection& connection) : connection_(connection) {}

    /// Reads until a frame satisfies `wanted` (returned) or the connection ends or stays quiet
    /// past its timeout (nullptr). Every frame read is kept in frames().
    const Frame* until(const std::function<bool(const Frame&)>& wanted) {
        while (true) {
            while (next_ < frames_.size())
                if (wanted(frames_[next_++]))
                    return &frames_[next_ - 1];
            const std::string more = connection_.read_some();
            if (more.empty())
                return nullptr;
            bytes_ += more;
            parse();
        }
    }
    /// The first frame of `type` on `stream` (nullptr if none comes).
    const Frame* until(std::uint8_t type, std::uint32_t stream) {
        return until([=](const Frame& f) { return f.type == type && f.stream == stream; });
    }
    /// The end of the response on `stream`: its last DATA (or HEADERS) frame.
    const Frame* response_end(std::uint32_t stream) {
        return until([=](const Frame& f) {
            return (f.type == DATA || f.type == HEADERS) && f.stream == stream && (f.flags & END_STREAM);
        });
    }
    /// Everything until the server closes; true if it did (not a timeout).
    bool until_closed() {
        until([](const Frame&) { return false; });
        return connection_.closed_by_server();
    }
    const std::vector<Frame>& frames() const { return frames_; }
    /// How many frames of `type` came (on any stream).
    std::size_t count(std::uint8_t type) const {
        std::size_t n = 0;
        for (const Frame& f : frames_)
            n += f.type == type;
        return n;
    }

private:
    void parse() {
        std::string_view rest(bytes_);
        while (rest.size() >= 9) {
            const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(rest[i]); };
            const std::size_t length = std::size_t{byte(0)} << 16 | std::size_t{byte(1)} << 8 | byte(2);
            if (rest.size() < 9 + length)
                break;
            Frame f;
            f.type = byte(3);
            f.flags = byte(4);
            f.stream = (std::uint32_t{byte(5)} << 24 | std::uint32_t{byte(6)} << 16 | std::uint32_t{byte(7)} << 8 |
                        byte(8)) & 0x7fffffff;
            f.payload = std::string(rest.substr(9, length));
            frames_.push_back(std::move(f));
            rest.remove_prefix(9 + length);
        }
        bytes_.erase(0, bytes_.size() - rest.size());
    }

    RawConnection& connection_;
    std::string bytes_;
    std::vector<Frame> frames_;
    std::size_t next_ = 0;
};

/// A client connection: the preface and an empty SETTINGS are sent on connecting.
struct Client {
    explicit Client(std::uint16_t port) : connection(port), reader(connection) {
        connection.send(preface + frame(SETTINGS, 0, 0));
    }
    void send(std::string_view bytes) { connection.send(bytes); }

    test::RawConnection connection;
    Reader reader;
};

}  // namespace test::h2
