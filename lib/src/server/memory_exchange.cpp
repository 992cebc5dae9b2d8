#include "server/memory_exchange.hpp"

#include "files/file_content.hpp"
#include "proto/message/refusals.hpp"
#include "server/loop.hpp"
#include "server/metrics.hpp"

#include <http/server.hpp>

#include <stdexcept>

namespace http::detail {

namespace {

using State = Http1ServerSession::State;
using Event = Http1ServerSession::Event;

}  // namespace

const ServerConfig& default_config() {
    static const ServerConfig config = [] {
        ServerConfig defaults{};
        read_settings(Server(0), defaults);
        return defaults;
    }();
    return config;
}

MemoryExchange::MemoryExchange(const ExchangeHost& host, const ClientInfo& client)
    : session_(host.config.head_rules, host.config.chunked_limits), exchange_(host, client) {}

bool MemoryExchange::read(std::string_view raw) {
    session_.input_ended();  // all of it is here
    std::string interim;     // a 100 Continue: nobody waits for one here
    std::size_t at = 0;
    while (true) {
        std::size_t used = 0;
        const Event event = session_.next(raw.substr(at), used, exchange_.content_buffer());
        switch (event) {
        case Event::head: {
            const RequestHead& head = session_.head();
            exchange_.begin(Clock::now());
            exchange_.take_head(head, false);
            at += head.size;
            if (session_.state() == State::responding)
                return true;  // no content
            const std::optional<std::uint64_t> declared =
                head.framing == Framing::content_length ? std::optional(head.content_length) : std::nullopt;
            if (!exchange_.open_content(declared)) {
                session_.refuse();
                return false;
            }
            session_.read_content(exchange_.content_limit(), true, interim);
            break;
        }
        case Event::content:
        case Event::end:
            at += used;
            if (!exchange_.took_content() || !exchange_.feed_sink() ||
                (event == Event::end && !exchange_.end_content(session_.trailers()))) {
                session_.refuse();
                return false;
            }
            if (event == Event::end)
                return true;
            break;
        case Event::error:
            exchange_.refuse(session_.error());
            session_.refuse();
            return false;
        case Event::closed:  // not a byte of a request
            exchange_.refuse(refusals::incomplete_request);
            session_.refuse();
            return false;
        case Event::need_input:  // the input has ended: the session says so with an error
            return !exchange_.refused();
        }
    }
}

std::string MemoryExchange::respond() {
    if (!exchange_.refused())
        exchange_.run();  // on this thread, to the end: no loop to hand it to
    std::string out;
    bool needs_server = false;
    auto frame = [&](const Response& response, const Outgoing& shape) {
        out.clear();
        if (shape.stream || shape.websocket) {
            needs_server = true;
            return;
        }
        if (!session_.write_response(response, {shape.external_length, false, false, false}, out))
            return;
        if (!response.file)
            out += response.body;  // a large body, which a connection writes from the response
        else if (!response.file->append_to(out))
            throw std::runtime_error("httpkit: a file being sent could not be read");
    };
    const Outgoing outgoing = exchange_.finish(session_.head_request(), Delimiting::chunked, frame);
    if (needs_server) {
        if (outgoing.stream)
            outgoing.stream->detach();
        throw std::logic_error(outgoing.websocket ? "http::TestClient: a WebSocket needs a server"
                                                  : "http::TestClient: a streamed response (res.stream(), "
                                                    "http::EventStream) needs a server");
    }
    return out;
}

}  // namespace http::detail

namespace http {

Request Request::parse(std::string_view raw) {
    const detail::ServerConfig& config = detail::default_config();
    detail::ServerShared shared(config);
    detail::LoopMetrics metrics;
    const ClientInfo client;
    detail::MemoryExchange exchange({config, shared, metrics, nullptr}, client);
    if (!exchange.read(raw))
        exchange.response().raise_failure();  // the typed failure of the server's answer
    return std::move(exchange.request());
}

}  // namespace http
