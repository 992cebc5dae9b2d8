// A server on a kernel-chosen loopback port, started for one test and stopped with it.
#pragma once

#include <http/server.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace test {

class TestServer {
public:
    /// `configure` sets limits, timeouts and hooks before the server starts.
    explicit TestServer(const std::function<void(http::Server&)>& configure) : server_(0, "127.0.0.1") {
        server_.io_threads = 2;
        server_.on_error([this](const std::exception& error, const http::ClientInfo&) {
            const std::lock_guard lock(mutex_);
            errors_.emplace_back(error.what());
        });
        configure(server_);
        server_.start();
    }
    ~TestServer() {
        server_.close();
        server_.wait();
    }

    std::uint16_t port() const { return server_.port(); }
    http::Server& server() { return server_; }

    /// What reached on_error so far.
    std::vector<std::string> errors() const {
        const std::lock_guard lock(mutex_);
        return errors_;
    }

private:
    http::Server server_;
    mutable std::mutex mutex_;
    std::vector<std::string> errors_;
};

/// A handler that answers every request with its method and path.
inline void echo_path(http::Request& req, http::Response& res) { res.body = req.method + " " + req.path; }

}  // namespace test
