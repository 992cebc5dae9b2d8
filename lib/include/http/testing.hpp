// http::TestClient: requests to a Router or handler through the server's own exchange, in memory.
#pragma once

#include <http/headers.hpp>
#include <http/request.hpp>
#include <http/response.hpp>
#include <http/server.hpp>

#include <exception>
#include <http/detail/function.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace http {

class Router;

/// Sends requests to a Router (or any handler) as a client on a socket would, with no socket and
/// no thread: each request is written as HTTP/1.1 bytes, read by the server's own parser and
/// exchange (target and queries, cookies, forms and multipart, the limits), handled by the
/// middleware and routes on the calling thread, and the response finished as a server finishes
/// it (failures as problem bodies negotiated by Accept, HEAD without content, compression when
/// asked, the dataset's checks) and read back. raise_for_status() works on what it returns.
///
///     http::TestClient test(router);
///     http::Response r = test.get("/notes?page=2");
///     BOOST_TEST(r.status == http::OK);
///     test.post("/notes", R"({"text":"hi"})", {{"Content-Type", "application/json"}}).raise_for_status();
///
/// The server's settings are http::Server's defaults. A streamed response (res.stream(),
/// http::EventStream) needs a server: such a request throws std::logic_error; a WebSocket route
/// answers 501.
class TestClient {
public:
    explicit TestClient(const Router& router);
    explicit TestClient(std::function<void(Request&, Response&)> handler);
    /// A coroutine handler: each request drives it to its end (http::run()).
    template <TaskHandler F>
    explicit TestClient(F handler) : TestClient(std::function<Task<>(Request&, Response&)>(std::move(handler)), 0) {}
    ~TestClient();
    TestClient(TestClient&&) noexcept;
    TestClient& operator=(TestClient&&) noexcept;

    /// The client's address, as req.ip sees it.
    std::string ip = "127.0.0.1";
    /// As Server::compression: responses compressed as the request's Accept-Encoding asks.
    bool compression = false;
    /// As Server::on_error: what a handler threw other than a Failure (its response is a 500),
    /// and responses that lack a field their status requires.
    void on_error(std::function<void(const std::exception&, const ClientInfo&)> fn);

    Response get(std::string_view target, const Headers& headers = {});
    Response post(std::string_view target, std::string_view body, const Headers& headers = {});
    /// Any method; `target` in origin form ("/notes?page=2"). `headers` may set Host (else
    /// "localhost"); Content-Length is the body's. Throws std::invalid_argument for a method,
    /// target or field that cannot be sent.
    Response send_request(std::string_view method, std::string_view target, std::string_view body = {},
                          const Headers& headers = {});

private:
    TestClient(std::function<Task<>(Request&, Response&)> handler, int);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace http
