// A server on a kernel-chosen loopback port, started for one test and stopped with it. A report
// to on_error that the test did not take (take_errors()) fails the test when the server stops.
#pragma once

#include <http/server.hpp>

#include <boost/test/unit_test.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace test {

// The message of a reported error. Not checked by UBSan's vptr check: that check reads the object
// through a pipe it opens, so in a process out of descriptors (descriptor_exhaustion's point)
// every virtual call would look like one on an invalid object.
__attribute__((no_sanitize("vptr"))) inline std::string message_of(const std::exception& error) { return error.what(); }

class TestServer {
public:
    /// `configure` sets limits, timeouts and hooks before the server starts.
    explicit TestServer(const std::function<void(http::Server&)>& configure) : server_(0, "127.0.0.1") {
        server_.io_threads = 2;
        server_.on_error([this](const std::exception& error, const http::ClientInfo&) {
            const std::lock_guard lock(mutex_);
            errors_.emplace_back(message_of(error));
        });
        configure(server_);
        server_.start();
    }
    ~TestServer() {
        server_.close();
        server_.wait();
        for (const std::string& error : errors_)
            BOOST_ERROR("unexpected on_error report: " << error);
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    std::uint16_t port() const { return server_.port(); }
    http::Server& server() { return server_; }

    /// What reached on_error so far, which the test thereby expects: taken, they are forgotten.
    std::vector<std::string> take_errors() {
        const std::lock_guard lock(mutex_);
        return std::exchange(errors_, {});
    }

private:
    http::Server server_;
    mutable std::mutex mutex_;
    std::vector<std::string> errors_;
};

/// A handler that answers every request with its method and path.
inline void echo_path(http::Request& req, http::Response& res) { res.body = req.method + " " + req.path; }

}  // namespace test
