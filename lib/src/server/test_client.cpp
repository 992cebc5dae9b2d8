#include <http/router.hpp>
#include <http/testing.hpp>

#include "proto/message/serialize.hpp"
#include "proto/parser/response_parser.hpp"
#include "server/loop.hpp"
#include "server/memory_exchange.hpp"
#include "server/metrics.hpp"

#include <stdexcept>

namespace http {

namespace {

// The response a client reads from `wire`: what the server sent, framed by Content-Length (or
// without content).
Response read_response(std::string_view wire, bool head_request) {
    detail::ResponseHeadParser parser;
    detail::ResponseHead head;
    if (parser.parse(wire, head, head_request) != detail::ResponseHeadParser::Result::complete)
        throw std::logic_error("http::TestClient: the server's response could not be read back");
    Response response;
    response.status = static_cast<Status>(head.status);
    response.version = head.version_minor == 0 ? "1.0" : "1.1";
    for (const detail::Field& field : head.fields) {
        response.headers.add(std::string(field.name), std::string(field.value));
        if (iequals(field.name, "set-cookie"))
            response.cookies.emplace_back(field.value);
    }
    if (head.framing == detail::Framing::content_length)
        response.body.assign(wire.substr(head.size, head.content_length));
    return response;
}

}  // namespace

struct TestClient::Impl {
    detail::ServerConfig config = detail::default_config();
    detail::ServerShared shared{config};
    detail::LoopMetrics metrics;
};

namespace {

// A plain handler as the server keeps it; an empty one stays empty.
std::function<Task<>(Request&, Response&)> as_hook(std::function<void(Request&, Response&)> handler) {
    if (!handler)
        return nullptr;
    return [handler = std::move(handler)](Request& req, Response& res) {
        handler(req, res);
        return Task<>();
    };
}

}  // namespace

TestClient::TestClient(std::function<void(Request&, Response&)> handler) : TestClient(as_hook(std::move(handler)), 0) {}

TestClient::TestClient(std::function<Task<>(Request&, Response&)> handler, int) : impl_(std::make_unique<Impl>()) {
    if (!handler)
        throw std::invalid_argument("http::TestClient: an empty handler");
    impl_->config.receive_hooks.push_back(std::move(handler));
}

TestClient::TestClient(const Router& router)
    : TestClient([router](Request& req, Response& res) { return router.serve(req, res); }, 0) {
    // Its stream_body() routes' sinks, as Server::on_receive(router) installs them.
    impl_->config.body_hooks.push_back([router](Request& req) { return router.start_body(req); });
}

TestClient::~TestClient() = default;
TestClient::TestClient(TestClient&&) noexcept = default;
TestClient& TestClient::operator=(TestClient&&) noexcept = default;

void TestClient::on_error(std::function<void(const std::exception&, const ClientInfo&)> fn) {
    impl_->config.error_hooks.push_back(std::move(fn));
}

Response TestClient::get(std::string_view target, const Headers& headers) {
    return send_request("GET", target, {}, headers);
}

Response TestClient::post(std::string_view target, std::string_view body, const Headers& headers) {
    return send_request("POST", target, body, headers);
}

Response TestClient::send_request(std::string_view method, std::string_view target, std::string_view body,
                                  const Headers& headers) {
    std::string raw;
    detail::RequestFraming framing;
    framing.method = method;
    framing.target = target;
    framing.host = headers.get("Host", "localhost");
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        framing.content_length = body.size();
    detail::serialize_request(framing, headers, raw);
    raw += body;

    impl_->config.compression = compression;
    const ClientInfo client{ip, 0};
    detail::MemoryExchange exchange({impl_->config, impl_->shared, impl_->metrics, nullptr}, client);
    exchange.read(raw);  // refused: the response is the server's answer
    return read_response(exchange.respond(), method == "HEAD");
}

}  // namespace http
