// An exchange on bytes in memory, with no socket, no loop and no thread: http::TestClient's
// requests and Request::parse(). The bytes go through the server's own HTTP/1.1 session
// (proto/http1/server_session.hpp) and exchange (exchange.hpp), as from a connection; only the
// I/O is missing, and with it what needs a loop: a streamed response, a WebSocket, the watchdog.
#pragma once

#include "proto/http1/server_session.hpp"
#include "server/config.hpp"
#include "server/exchange.hpp"

#include <string>
#include <string_view>

namespace http::detail {

class MemoryExchange {
public:
    /// What `host` refers to, and `client`, outlive it.
    MemoryExchange(const ExchangeHost& host, const ClientInfo& client);

    /// Reads the request at the start of `raw` (all of it is there: a request cut short is
    /// incomplete) and admits it as a connection would: the target, the content, forms and
    /// multipart. False: refused, and response() holds the server's answer.
    bool read(std::string_view raw);
    Request& request() noexcept { return exchange_.request; }
    Response& response() { return exchange_.response(); }

    /// Runs the handlers (unless the request was refused) and finishes the response as the server
    /// does; returns the bytes the server would send. Throws std::logic_error when the handlers
    /// made a streamed response or a WebSocket, which need a server.
    std::string respond();

private:
    Http1ServerSession session_;
    Exchange exchange_;
};

/// The defaults of http::Server's settings, as a running server reads them.
const ServerConfig& default_config();

}  // namespace http::detail
