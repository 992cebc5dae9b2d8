// http::Request: an HTTP request as the server received it.
#pragma once

#include <http/failure.hpp>
#include <http/headers.hpp>

#include <any>
#include <cstdint>
#include <http/detail/function.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace http {

/// Name/value pairs decoded from a query string, a form, or a Cookie header.
using Fields = std::map<std::string, std::string, std::less<>>;

/// Takes a request's content as it arrives, a piece at a time, instead of req.body: see
/// Router::stream_body() and Server::on_body().
using BodySink = std::function<void(std::string_view piece)>;

class Route;  // <http/router.hpp>

/// A file sent in a multipart/form-data request (RFC 7578). Small files are kept in `content`;
/// one larger than the server's `max_upload_in_memory` is written to a temporary file instead,
/// named by `path`, and removed when the last copy of this object is gone.
struct UploadedFile {
    std::string filename;
    std::string content_type;
    std::string content;     ///< the bytes, when kept in memory
    std::string path;        ///< the temporary file holding the bytes, when spooled to disk
    std::uint64_t size = 0;  ///< the file's size either way
    std::shared_ptr<void> spool;  ///< owns the temporary file

    bool in_memory() const noexcept { return path.empty(); }
    /// The bytes, from memory or from the temporary file. Throws std::runtime_error if the
    /// file cannot be read.
    std::string read() const;
};

/// What a load balancer's PROXY protocol header said of a connection (Server::proxy_protocol),
/// besides the client's address and port, which are req.ip and req.port. Empty without one, and
/// for a balancer's own connections (health checks).
struct ProxyHeader {
    std::string destination_ip;         ///< the address the client connected to (the balancer's)
    std::uint16_t destination_port = 0;  ///< and its port
    std::string alpn;         ///< v2: the protocol the client chose by ALPN with the balancer ("h2"), or empty
    std::string server_name;  ///< v2: the host name the client asked the balancer's TLS for (SNI), or empty
};

class Request {
public:
    std::string request_uri;   ///< the request-target as sent: "/users?sort=desc"
    std::string path;          ///< its path, not percent-decoded: "/users"
    std::string method;        ///< "GET", "POST" ... (case-sensitive, as sent)
    std::string host;          ///< the target's or Host's authority; from a trusted proxy, the forwarded host
    std::string ip;            ///< the peer's address; from a trusted proxy, the client's (Server::trusted_proxies)
    std::string scheme = "http";  ///< "http" or "https": the connection's, or from a trusted proxy, the client's
    std::uint16_t port = 0;    ///< the peer's port
    /// What the balancer's PROXY protocol header said (Server::proxy_protocol); req.ip and
    /// req.port are then the client's from it.
    ProxyHeader proxy_header;
    std::string http_version = "1.1";
    /// HTTP/2's extended CONNECT (RFC 8441): the protocol the stream is opened for ("websocket",
    /// with method "CONNECT"); empty otherwise.
    std::string protocol;
    Headers headers;           ///< the header section, in order, without trailers
    Headers trailers;          ///< trailer fields of a chunked body
    Fields queries;            ///< the query string, percent- and '+'-decoded; a repeated name keeps its last value
    Fields cookies;            ///< the Cookie header (RFC 6265, Section 5.4)
    Fields form;               ///< urlencoded or multipart/form-data fields
    Fields params;             ///< path parameters of the http::Router route that matched, percent-decoded
    /// The http::Router route that matched (route->pattern(): "/api/v1/users/{id}", with its
    /// group's prefix), set by the router before its middleware runs; null if none did (404,
    /// 405, an OPTIONS or a redirect the router answers itself) or the handler is no Router.
    /// server.metrics() labels responses with its pattern. It points into the router, which must
    /// outlive the request.
    const Route* route = nullptr;
    std::map<std::string, UploadedFile, std::less<>> files;  ///< multipart uploads, by field name
    /// The content, raw bytes (chunked framing removed). Empty for multipart/form-data, which is
    /// parsed as it arrives into `form` and `files`.
    std::string body;
    /// The application's own per-request state: what a body sink hands its handler, what
    /// middleware passes on. Empty for each new request.
    std::any locals;

    /// The path parameter `name` (req.params) as a T: an integer (decimal digits, '-' for a
    /// signed type), a floating-point number (decimal or exponent form, finite), std::string or
    /// std::string_view (a view into params). A parameter missing, not of that form, or out of
    /// T's range throws http::NotFound whose detail names it: "/users/abc" is no user.
    ///
    ///     router.get("/users/{id}", [](http::Request& req, http::Response& res) {
    ///         const auto id = req.param<std::uint64_t>("id");   // 404 for /users/abc
    ///         ...
    ///     });
    template <class T>
    T param(std::string_view name) const;

    /// A whole raw request, head and content as sent on the wire, read as the server reads one
    /// (Blade's HttpRequest.parse): the same parser, target, cookie, form and multipart rules and
    /// the server's default limits. Throws the typed failure the server would answer with
    /// (http::BadRequest for a malformed or incomplete request, ContentTooLarge, UriTooLong,
    /// RequestHeaderFieldsTooLarge, NotImplemented, HttpVersionNotSupported ...). What follows
    /// the first request in `raw` is not read. Part of httpkit::httpkit (not httpkit::proto).
    ///
    ///     http::Request req = http::Request::parse("POST /notes?draft=1 HTTP/1.1\r\nHost: a\r\n"
    ///                                              "Content-Length: 7\r\n\r\ntext=hi");
    ///     // req.path == "/notes", req.queries["draft"] == "1", req.body == "text=hi"
    static Request parse(std::string_view raw);
};

namespace detail {

// What req.param<T>() does, compiled once in the library (src/proto/message/param.cpp) rather
// than in every file that asks for a parameter: the text of the parameter `name`, or
// http::NotFound when it is missing; the text as a number, or http::NotFound when it is not one
// of T's (digits, range, a finite value).
const std::string& param_text(const Fields& params, std::string_view name);
void parse_param(std::string_view name, const std::string& text, char& value);
void parse_param(std::string_view name, const std::string& text, signed char& value);
void parse_param(std::string_view name, const std::string& text, unsigned char& value);
void parse_param(std::string_view name, const std::string& text, short& value);
void parse_param(std::string_view name, const std::string& text, unsigned short& value);
void parse_param(std::string_view name, const std::string& text, int& value);
void parse_param(std::string_view name, const std::string& text, unsigned& value);
void parse_param(std::string_view name, const std::string& text, long& value);
void parse_param(std::string_view name, const std::string& text, unsigned long& value);
void parse_param(std::string_view name, const std::string& text, long long& value);
void parse_param(std::string_view name, const std::string& text, unsigned long long& value);
void parse_param(std::string_view name, const std::string& text, float& value);
void parse_param(std::string_view name, const std::string& text, double& value);
void parse_param(std::string_view name, const std::string& text, long double& value);

}  // namespace detail

template <class T>
T Request::param(std::string_view name) const {
    static_assert((std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) || std::is_same_v<T, std::string> ||
                      std::is_same_v<T, std::string_view>,
                  "req.param<T>: T is an integer, a floating-point type, std::string or std::string_view");
    const std::string& text = detail::param_text(params, name);
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
        return T(text);
    } else {
        T value{};
        detail::parse_param(name, text, value);
        return value;
    }
}

}  // namespace http
