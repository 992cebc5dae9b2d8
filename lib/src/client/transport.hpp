// Opening the client's connections: resolve, connect, and for https a verified TLS handshake,
// all bounded by one deadline, in a coroutine on the loop that runs the request (stream.hpp).
#pragma once

#include "client/stream.hpp"
#include "proto/url/url.hpp"

#include <memory>

namespace http::detail {

/// A connection to an origin, kept alive between requests.
struct ClientConnection {
    std::unique_ptr<Stream> stream;
    bool reused = false;  ///< taken from the idle pool rather than opened for this request
    std::string read_buffer;  ///< what responses are read into
};

/// An HTTP proxy: its URL (http://[user:password@]host:port) and the Proxy-Authorization
/// value its userinfo makes (empty without one).
struct Proxy {
    Url url;
    std::string authorization;
};

/// Resolves `url`'s host, connects, and for https completes a verified TLS handshake (`tls` is
/// null for http), all before `deadline`. `verify_host`: check the certificate names the host.
/// Through `proxy` when there is one: a plain connection to it for http (the request then names
/// the URL whole), a CONNECT tunnel for https, and for http too when `tunnel` (a WebSocket,
/// which a forwarding proxy would not carry). Throws NetFailure.
/// `offer_h2`: HTTP/2 is offered by ALPN (Stream::protocol() says whether the server took it).
Task<std::unique_ptr<ClientConnection>> open_connection(const Url& url, TlsContext* tls, bool verify_host,
                                                        Clock::time_point deadline, const Proxy* proxy = nullptr,
                                                        bool tunnel = false, bool offer_h2 = false);

}  // namespace http::detail
