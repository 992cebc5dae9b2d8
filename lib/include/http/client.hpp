// http::Client: an HTTP/1.1 client over http and https, in the style of Blade's HttpClient.
#pragma once

#include <http/cookie_jar.hpp>
#include <http/event.hpp>
#include <http/failure.hpp>
#include <http/headers.hpp>
#include <http/response.hpp>
#include <http/task.hpp>
#include <http/websocket.hpp>

#include <http/detail/chrono.hpp>
#include <cstdint>
#include <filesystem>
#include <http/detail/function.hpp>
#include <optional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace http {

/// A request that got no (complete) response: what failed, for which URL.
///
///     catch (const http::TransportError& e) { if (e.kind() == http::TransportError::Kind::timeout) ... }
class TransportError : public std::runtime_error {
public:
    enum class Kind {
        invalid_url,         ///< the URL cannot be used
        invalid_request,     ///< the request cannot be sent as asked: a method that is not a token, a
                             ///< header field with a bad name or a control character in its value
        dns,                 ///< the host name did not resolve
        connect,             ///< no connection (refused, unreachable, timed out)
        tls,                 ///< TLS handshake or certificate verification failed
        timeout,             ///< no response data within receive_timeout, or the request past client.timeout
        closed,              ///< the server closed the connection before the response was complete
        malformed_response,  ///< the server's bytes are not an HTTP/1.x response
        too_large,           ///< the body passed max_body_size, or grew past max_decoding_ratio when decoded
        too_many_redirects,  ///< more than max_redirects redirects
        io,                  ///< another socket error, or a file to upload or download that failed
        aborted,             ///< on_progress returned false
    };

    /// The message reads "<METHOD> <url>: <what happened>".
    TransportError(Kind kind, std::string url, const std::string& message)
        : std::runtime_error(message), kind_(kind), url_(std::move(url)) {}

    Kind kind() const noexcept { return kind_; }
    const std::string& url() const noexcept { return url_; }

private:
    Kind kind_;
    std::string url_;
};

/// How far a request has got, for Client::on_progress. Totals are known when the server says
/// (Content-Length) and for every upload.
struct Progress {
    std::uint64_t downloaded = 0;                  ///< content bytes of the response received so far
    std::optional<std::uint64_t> download_total;   ///< the response's Content-Length, if it has one
    std::uint64_t uploaded = 0;                    ///< content bytes of the request sent so far
    std::optional<std::uint64_t> upload_total;     ///< the request's content length
};

/// How a Client answers a server's 401 (as Blade's Auth).
enum class Auth {
    any,     ///< the strongest scheme the server's challenge offers: Digest SHA-256, Digest MD5, Basic
    basic,   ///< Basic, sent with the first request (no challenge needed)
    digest,  ///< Digest only (RFC 7616), in answer to the challenge
};

/// An HTTP client. Connections are kept alive and reused per origin.
///
///     http::Client client;
///     client.headers["Authorization"] = "Bearer " + token;
///     http::Response r = client.get("https://api.example.com/items?page=2");
///     r.raise_for_status();                    // throws http::NotFound ... for 4xx/5xx
///
/// Every request method throws TransportError when no complete response arrives; a 4xx or 5xx
/// response is a response (see Response::raise_for_status()).
///
/// Each blocking call has a coroutine twin, async_get() ... async_send_request(), with the same
/// options, redirects, retries, cookies, authentication, proxies and failures: the blocking call
/// is the coroutine driven to its end with http::run(). Awaited in a server's handler, a request
/// runs on that handler's loop and holds no thread while it waits; several may be in flight at
/// once (http::when_all), on one Client, which must outlive them. A Client's requests, async or
/// from several threads, may run at once as long as its settings are not changed meanwhile.
class Client {
public:
    Client();
    ~Client();
    /// Copies every setting, not the open connections nor what was learnt of servers'
    /// authentication (the copy starts afresh); a cookie_jar is shared, being a pointer.
    Client(const Client& other);
    Client& operator=(const Client& other);
    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;

    std::string user_agent = "httpkit/0.1";
    bool follow_redirect = true;
    int max_redirects = 10;
    /// Accept a certificate for another host name (the chain is still verified).
    bool skip_hostname_verification = false;
    /// Accept any certificate: for tests against self-signed servers only.
    bool skip_peer_verification = false;
    /// HTTP/2 (RFC 9113) where the server speaks it: offered by ALPN over TLS, else HTTP/1.1.
    /// Concurrent requests to one origin (async ones, on one loop) share one connection as
    /// streams; Response::version is "2". A request through a proxy, or a file upload(), goes
    /// over HTTP/1.1.
    bool http2 = true;
    /// HTTP/2 in plain text too (h2c), by prior knowledge: for http:// URLs to servers known to
    /// speak it (curl --http2-prior-knowledge). A server that does not fails the request.
    bool http2_prior_knowledge = false;
    /// Sent as Referer when not empty.
    std::string referer;
    /// A PEM file of CA certificates to trust instead of the system store.
    std::string ca_cert;
    /// For resolving the host and opening the connection (and the TLS handshake).
    std::chrono::milliseconds connect_timeout{60000};
    /// The longest wait for the next bytes of a response.
    std::chrono::milliseconds receive_timeout{300000};
    /// Sent with every request (before per-request defaults such as Content-Type).
    Headers headers;
    /// Never send Expect: 100-continue (sent otherwise for bodies of 1 MiB and more).
    bool no_expect = false;
    /// The largest body held in Response::body (1 GiB), counted as it is decoded (gzip, deflate,
    /// br, zstd) and checked against a Content-Length before any is read; an event of events()
    /// is held to it too. A body that goes to a file (download()) or a callback (send_request()
    /// with on_body) has no limit: nothing holds it. TransportError (too_large) past it.
    std::uint64_t max_body_size = std::uint64_t{1} << 30;
    /// A guard against decompression bombs wherever the client decodes a body (Response::body,
    /// on_body, events()): a body that decodes to more than this many times the bytes it came
    /// in is refused with TransportError (too_large) as soon as it does, once it is past 1 MiB
    /// decoded (smaller bodies are never refused for their ratio). Text and JSON compress by 3
    /// to 20 and rarely past 50; a bomb by about 1,000 (gzip's limit is 1,032) to millions (br,
    /// zstd). 0: no ratio check (max_body_size still holds).
    std::uint32_t max_decoding_ratio = 100;
    /// Times a request is sent again when that can help, by the status dataset's rules
    /// (http::retry_rule()): 408, 425, 429 and 503 for any method, 502 and 504 (and a connection
    /// that failed) for idempotent ones only. It waits for the response's Retry-After where the
    /// rule honours it, else 250 ms doubling each time. The last response is returned as usual.
    /// A request whose body has begun to reach a sink (download()'s file, on_body, events()) is
    /// not repeated: what went there cannot be taken back.
    int retries = 0;
    /// The longest wait before a retry, whatever Retry-After asks (a server may ask for a day).
    std::chrono::seconds max_retry_after{60};
    /// A deadline for the whole request, redirects and retries included; 0: none. A server that
    /// drips a byte at a time cannot hold a request past it (receive_timeout is per read).
    /// TransportError (timeout) past it.
    std::chrono::milliseconds timeout{0};
    /// Credentials for the origin of the URL asked (a redirect elsewhere never gets them), used
    /// as auth_method says; credentials in the URL ("https://user:pass@host/") come first.
    std::string username;
    std::string password;
    /// How to authenticate. With `any` or `digest` the first request goes without credentials
    /// and a 401's challenge is answered once (again if a Digest nonce went stale); later
    /// requests to that origin authenticate at once (Digest counting its nonce up).
    Auth auth_method = Auth::any;
    /// An HTTP proxy, "http://[user:password@]host:port" ("host:port" will do): plain http
    /// requests go to it whole, https through a CONNECT tunnel (TLS stays end to end). Empty: the
    /// environment as curl reads it: http_proxy (lower case only, as curl: a CGI program's
    /// HTTP_PROXY can come from a request's Proxy header), HTTPS_PROXY or https_proxy, ALL_PROXY;
    /// NO_PROXY (or no_proxy) lists hosts and domains to reach directly, "*" for all.
    std::string proxy;
    /// Where cookies are kept between requests (RFC 6265): each response's Set-Cookie fields
    /// are stored, redirects included, and each request sends what applies. Null: no cookies
    /// kept (the default). Share one jar between clients to share their cookies.
    std::shared_ptr<CookieJar> cookie_jar;
    /// Called as content goes out and comes in; returning false aborts the request
    /// (TransportError, aborted). Runs on the calling thread (an async request's loop thread).
    std::function<bool(const Progress&)> on_progress;

    /// Sends `method` to `url` with `data` as the content, follows redirects, and returns the
    /// final response, its body decoded. `request_headers` go with this request only, after
    /// `headers` and replacing any of the same name there; without a Content-Type, data goes as
    /// application/x-www-form-urlencoded (as curl -d and HTML forms send it):
    ///
    ///     client.post(url, R"({"name":"ada"})", {{"Content-Type", "application/json"}});
    ///
    /// Throws TransportError.
    Response send_request(std::string_view url, std::string_view method = "GET", std::string_view data = {},
                          const Headers& request_headers = {});
    Response get(std::string_view url, const Headers& request_headers = {}) {
        return send_request(url, "GET", {}, request_headers);
    }
    Response post(std::string_view url, std::string_view data = {}, const Headers& request_headers = {}) {
        return send_request(url, "POST", data, request_headers);
    }
    Response put(std::string_view url, std::string_view data = {}, const Headers& request_headers = {}) {
        return send_request(url, "PUT", data, request_headers);
    }
    Response del(std::string_view url, const Headers& request_headers = {}) {
        return send_request(url, "DELETE", {}, request_headers);
    }

    /// send_request() as a coroutine: co_await it in a handler (or another Task), or drive it
    /// with http::run(). The arguments are kept by the task, so temporaries will do.
    ///
    ///     auto [a, b] = co_await http::when_all(client.async_get(u1), client.async_get(u2));
    Task<Response> async_send_request(std::string url, std::string method = "GET", std::string data = {},
                                      Headers request_headers = {});
    Task<Response> async_get(std::string url, Headers request_headers = {}) {
        return async_send_request(std::move(url), "GET", {}, std::move(request_headers));
    }
    Task<Response> async_post(std::string url, std::string data = {}, Headers request_headers = {}) {
        return async_send_request(std::move(url), "POST", std::move(data), std::move(request_headers));
    }
    Task<Response> async_put(std::string url, std::string data = {}, Headers request_headers = {}) {
        return async_send_request(std::move(url), "PUT", std::move(data), std::move(request_headers));
    }
    Task<Response> async_del(std::string url, Headers request_headers = {}) {
        return async_send_request(std::move(url), "DELETE", {}, std::move(request_headers));
    }
    /// As send_request(), but the final response's body goes to `on_body` as it arrives, decoded,
    /// a piece at a time, and is never held: the returned Response has an empty body. No
    /// max_body_size applies (max_decoding_ratio does). Returning false from `on_body` aborts
    /// the request (TransportError, aborted); what it throws goes through. Bodies of redirects
    /// followed and of 401s answered are not handed to it.
    ///
    ///     client.send_request(url, "GET", {}, {}, [&](std::string_view piece) { out << piece; return bool(out); });
    Response send_request(std::string_view url, std::string_view method, std::string_view data,
                          const Headers& request_headers, const std::function<bool(std::string_view)>& on_body);

    /// GETs `url` and writes the final response's body to `path` as it arrives (never held in
    /// memory; asked for uncoded, and stored as it came), whatever the status: check it. The
    /// returned Response has an empty body.
    ///
    /// A regular file (or a path where nothing is yet) is written through a temporary file
    /// beside it, ".NAME.XXXXXX", renamed over it only once the whole body arrived: a failed
    /// download leaves what was there untouched and no temporary behind; a file replaced keeps
    /// its permissions (and, where the process may, its owner). A symbolic link is followed: the
    /// file it names is replaced, the link kept. Anything else (a FIFO, a terminal, /dev/null) is
    /// written in place and never removed. Throws TransportError if the transfer fails or the
    /// file cannot be written (io: a directory, a missing directory, no permission).
    Response download(std::string_view url, const std::filesystem::path& path, const Headers& request_headers = {});
    /// Sends the file at `path` as the content (PUT by default; application/octet-stream unless
    /// the headers say otherwise), read as it is sent. Throws TransportError.
    Response upload(std::string_view url, const std::filesystem::path& path, std::string_view method = "PUT",
                    const Headers& request_headers = {});

    /// Reads the Server-Sent Events at `url` (GET, Accept: text/event-stream), calling `fn` for
    /// each on the calling thread until it returns false. When the connection ends or goes quiet
    /// for receive_timeout, it reconnects after the server's retry: delay (3 s until one is
    /// given), sending Last-Event-ID. It returns when `fn` returns false or the server answers
    /// 204 No Content; a response that is not a 200 event stream throws (the typed failure for a
    /// 4xx or 5xx, else TransportError malformed_response), as does a first connection that
    /// fails. client.timeout, when set, bounds the whole call (TransportError timeout).
    void events(std::string_view url, const std::function<bool(const Event&)>& fn, const Headers& request_headers = {});

    /// Opens a WebSocket (RFC 6455) to a ws:// or wss:// URL, offering permessage-deflate:
    ///
    ///     http::WebSocket ws = client.websocket("wss://example.com/chat", {{"Sec-WebSocket-Protocol", "chat"}});
    ///     ws.send("hello");
    ///     std::optional<http::Message> m = ws.receive();
    ///
    /// The handshake goes as a request to the URL would (headers, user_agent, cookies, Basic
    /// credentials, a proxy: through a CONNECT tunnel, for ws too), within connect_timeout and
    /// receive_timeout. A server that does not switch protocols raises the typed failure of its
    /// status for a 4xx or 5xx, else TransportError (malformed_response), as does an answer that
    /// is not the one to this handshake. receive() waits up to receive_timeout; a message may
    /// hold up to max_body_size. Redirects are not followed (a browser does not either).
    WebSocket websocket(std::string_view url, const Headers& request_headers = {});

    class Impl;

private:
    // Open connections and what was learnt of servers' authentication: a copy of the Client
    // starts with none.
    struct Connections {
        Connections();
        ~Connections();
        Connections(const Connections&);
        Connections& operator=(const Connections&);
        Connections(Connections&&) noexcept;
        Connections& operator=(Connections&&) noexcept;
        Impl& get();
        std::unique_ptr<Impl> impl;
    };
    Connections connections_;
};

/// One-off requests with a default Client.
Response get(std::string_view url);
Response post(std::string_view url, std::string_view data = {});
Response put(std::string_view url, std::string_view data = {});
Response del(std::string_view url);

/// A Client that sends `headers` with every request: http::set_headers({{"X-Key", "1"}}).get(url).
Client set_headers(Headers headers);

}  // namespace http
