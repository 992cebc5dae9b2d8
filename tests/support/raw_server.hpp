// A misbehaving server for client tests: accepts on a loopback port and hands each connection
// to a function that writes whatever the test wants (garbage, half a response, nothing).
#pragma once

#include "support/nginx.hpp"

#include <arpa/inet.h>
#include <poll.h>

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace test {

class RawServer {
public:
    explicit RawServer(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        ::listen(fd_, 16);
        thread_ = std::thread([this] {
            while (!stop_) {
                pollfd p{fd_, POLLIN, 0};
                if (::poll(&p, 1, 50) <= 0)
                    continue;
                const int client = ::accept(fd_, nullptr, nullptr);
                if (client < 0)
                    continue;
                serve_(client);
                ::close(client);
            }
        });
    }
    ~RawServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    std::string url(std::string_view path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }

    /// What one read brings within 5 s: empty when nothing came or the client closed.
    static std::string read_once(int fd) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0)
            return {};
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }
    /// Reads until the end of a request head (or the client gives up).
    static std::string read_head(int fd) {
        std::string head;
        while (head.find("\r\n\r\n") == std::string::npos) {
            const std::string more = read_once(fd);
            if (more.empty())
                break;
            head += more;
        }
        return head;
    }
    /// What `reads` reads bring (fewer when the client closes or nothing comes for 5 s).
    static std::string read_some(int fd, int reads = 1) {
        std::string out;
        for (int i = 0; i < reads; ++i) {
            const std::string more = read_once(fd);
            if (more.empty())
                break;
            out += more;
        }
        return out;
    }
    static void send_all(int fd, std::string_view data) { ::send(fd, data.data(), data.size(), MSG_NOSIGNAL); }

private:
    std::function<void(int)> serve_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace test
