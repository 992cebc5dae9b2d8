// A plain TCP client for talking to a server byte by byte in tests, with a tiny response reader
// of its own, so that server tests do not depend on the library's client.
#pragma once

#include <boost/test/unit_test.hpp>

#include "support/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace test {

struct RawResponse {
    int status = 0;
    std::string reason;
    std::string version;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// The first value of `name` (ASCII case-insensitive), or "<absent>".
    std::string header(std::string_view name) const {
        for (const auto& [key, value] : headers)
            if (strncasecmp(key.c_str(), name.data(), name.size()) == 0 && key.size() == name.size())
                return value;
        return "<absent>";
    }
    std::size_t count(std::string_view name) const {
        std::size_t n = 0;
        for (const auto& [key, value] : headers)
            n += strncasecmp(key.c_str(), name.data(), name.size()) == 0 && key.size() == name.size();
        return n;
    }
};

class RawConnection {
public:
    /// Connects to 127.0.0.1:`port`, from `source` (another loopback address, "127.0.0.2") if given.
    explicit RawConnection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                           const char* source = nullptr)
        : timeout_(timeout) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0)
            throw std::runtime_error("socket() failed");
        if (source) {
            sockaddr_in from{};
            from.sin_family = AF_INET;
            ::inet_pton(AF_INET, source, &from.sin_addr);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
                ::close(fd_);
                throw std::runtime_error("bind() to the source address failed");
            }
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd_);  // the destructor does not run for a constructor that throws
            throw std::runtime_error("connect() failed");
        }
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~RawConnection() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    int fd() const { return fd_; }

    /// Sends everything; false if the server has closed its side.
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Sends a byte at a time.
    bool send_slowly(std::string_view bytes, std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
        for (const char c : bytes) {
            if (!send(std::string_view(&c, 1)))
                return false;
            if (pause.count())
                ::usleep(static_cast<useconds_t>(pause.count() * 1000));
        }
        return true;
    }

    void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

    /// Reads one response; fails the test (BOOST_REQUIRE) if the connection ends, or the timeout
    /// passes, before a complete one. `head_request`: the response to HEAD has no body whatever it
    /// announces.
    RawResponse read_response(bool head_request = false) {
        std::optional<RawResponse> response = try_read_response(head_request);
        BOOST_REQUIRE_MESSAGE(response.has_value(), "no complete response arrived");
        return std::move(*response);
    }

    /// Reads one response; nullopt if the connection ends (or the timeout passes) before a
    /// complete one.
    std::optional<RawResponse> try_read_response(bool head_request = false) {
        while (true) {
            if (auto response = parse(head_request))
                return response;
            if (!fill())
                return std::nullopt;
        }
    }

    /// True if the server closes the connection (EOF or reset) within the timeout, with nothing
    /// more to read first.
    bool closed_by_server() {
        while (buffer_.empty()) {
            if (!fill())
                return eof_;
        }
        return false;
    }

    /// What arrives next, waiting up to the timeout; empty if the connection ended or nothing came.
    std::string read_some() {
        if (buffer_.empty())
            fill();
        partial_.active = false;
        return std::exchange(buffer_, {});
    }

    /// Everything until the server closes.
    std::string read_until_close() {
        while (fill()) {
        }
        partial_.active = false;
        return std::exchange(buffer_, {});
    }

    const std::string& pending() const { return buffer_; }

private:
    bool fill() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0)
            return false;
        char chunk[65536];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    // Parses what the buffer holds of the next response, going on from where the last call
    // stopped: a long chunked body arrives over many reads, and parsing it again from its start
    // after each one would cost the square of its size.
    std::optional<RawResponse> parse(bool head_request) {
        Partial& p = partial_;
        if (!p.active) {
            const std::size_t end = buffer_.find("\r\n\r\n");
            if (end == std::string::npos)
                return std::nullopt;
            p = Partial{};
            p.active = true;
            RawResponse& r = p.response;
            std::string_view head(buffer_.data(), end);
            const std::size_t line_end = head.find("\r\n");
            const std::string_view status_line = head.substr(0, line_end);
            r.version = std::string(status_line.substr(0, 8));
            r.status = std::stoi(std::string(status_line.substr(9, 3)));
            r.reason = status_line.size() > 13 ? std::string(status_line.substr(13)) : std::string();
            std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
            while (!rest.empty()) {
                const std::size_t eol = rest.find("\r\n");
                const std::string_view line = rest.substr(0, eol);
                const std::size_t colon = line.find(':');
                std::string_view value = line.substr(colon + 1);
                while (!value.empty() && value.front() == ' ')
                    value.remove_prefix(1);
                r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
                if (eol == std::string_view::npos)
                    break;
                rest.remove_prefix(eol + 2);
            }
            p.position = end + 4;
            p.no_body = head_request || r.status < 200 || r.status == 204 || r.status == 304;
            p.chunked = r.header("Transfer-Encoding") == "chunked";
        }
        RawResponse& r = p.response;
        if (!p.no_body) {
            if (p.chunked) {
                while (true) {
                    const std::size_t eol = buffer_.find("\r\n", p.position);
                    if (eol == std::string::npos)
                        return std::nullopt;
                    const std::size_t size = std::stoul(buffer_.substr(p.position, eol - p.position), nullptr, 16);
                    if (size == 0) {
                        const std::size_t trailer_end = buffer_.find("\r\n", eol + 2);
                        if (trailer_end == std::string::npos)
                            return std::nullopt;
                        p.position = trailer_end + 2;
                        break;
                    }
                    if (buffer_.size() < eol + 2 + size + 2)
                        return std::nullopt;
                    r.body.append(buffer_, eol + 2, size);
                    p.position = eol + 2 + size + 2;  // this chunk is done with
                }
            } else if (const std::string length = r.header("Content-Length"); length != "<absent>") {
                const std::size_t n = std::stoul(length);
                if (buffer_.size() < p.position + n)
                    return std::nullopt;
                r.body = buffer_.substr(p.position, n);
                p.position += n;
            } else {
                if (!eof_)
                    return std::nullopt;  // delimited by the close
                r.body = buffer_.substr(p.position);
                p.position = buffer_.size();
            }
        }
        buffer_.erase(0, p.position);
        p.active = false;
        return std::move(r);
    }

    // A response parsed in part: its head, and its body up to `position` in the buffer.
    struct Partial {
        bool active = false;
        RawResponse response;
        std::size_t position = 0;
        bool no_body = false;
        bool chunked = false;
    };

    int fd_ = -1;
    std::chrono::milliseconds timeout_;
    std::string buffer_;
    bool eof_ = false;
    Partial partial_;
};

}  // namespace test

namespace test {

/// Sends `request` on a new connection and reads one response (BOOST_REQUIRE: there is one).
inline RawResponse exchange(std::uint16_t port, std::string_view request, bool head_request = false) {
    RawConnection connection(port);
    connection.send(request);
    return connection.read_response(head_request);
}

/// Sends `request` on a new connection and reads one response, if one comes: for a test that
/// allows none, or for a thread other than the test's (Boost.Test's checks are not thread-safe).
inline std::optional<RawResponse> try_exchange(std::uint16_t port, std::string_view request, bool head_request = false) {
    RawConnection connection(port);
    connection.send(request);
    return connection.try_read_response(head_request);
}

/// "GET <target> HTTP/1.1" with a Host, and `extra` header lines (each ending in CRLF).
inline std::string get(std::string_view target, std::string_view extra = {}) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

}  // namespace test
