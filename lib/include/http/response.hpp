// http::Response: what a server handler fills in, and what the client returns.
#pragma once

#include <http/cookie.hpp>
#include <http/headers.hpp>
#include <http/status.hpp>
#include <http/stream.hpp>

#include <http/detail/chrono.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace http {

class FileContent;  // content sent from a file (send_file())
namespace detail {
struct StreamContext;  // what the server running a handler tells the streams it makes
class ServerWebSocket;
struct ResponseAccess;
}  // namespace detail

class Response {
public:
    Status status = Status::OK;
    Headers headers;
    std::string body;
    /// Set-Cookie field values: filled by set_cookie() on a server, by the response on a client.
    std::vector<std::string> cookies;
    /// Content sent from a file instead of `body` (send_file() sets it): written with
    /// sendfile(2) as the client reads it, never read into memory.
    std::shared_ptr<const FileContent> file;
    /// Content sent as it is written, through stream() or an EventStream; what the server
    /// sends from (set by them).
    std::shared_ptr<StreamState> stream_state;

    // Filled by http::Client.
    /// Trailer fields of a chunked response (RFC 9110, Section 6.5), apart from `headers`: a
    /// trailer never sets a cookie or redirects.
    Headers trailers;
    std::string version = "1.1";                   ///< the HTTP version of the response
    std::chrono::microseconds time_taken{0};       ///< from sending the first request to the last byte
    int redirects = 0;                             ///< how many redirects were followed
    std::string responder;                         ///< the URL that gave this response

    /// Appends to the body.
    void write(std::string_view data) { body.append(data); }

    /// Makes the body a stream, written while it goes out (see http::BodyStream): the handler may
    /// return before it ends. What `body` held goes first. Calling it again gives the same stream.
    BodyStream stream();

    /// Sets Content-Type.
    void content_type(std::string mime_type) { headers.set("Content-Type", std::move(mime_type)); }

    /// Adds a cookie, Blade-style: set_cookie("sid", "abc", "", "/", "", true).
    /// Throws std::invalid_argument as Cookie::to_set_cookie() does.
    void set_cookie(std::string key, std::string value, std::string domain = {}, std::string path = {},
                    std::string expires = {}, bool secure = false, std::string extras = {});
    /// Adds a cookie with every attribute (Max-Age, HttpOnly, SameSite ...).
    void set_cookie(const Cookie& cookie);

    /// Sets Location and a 3xx status, and clears the body. Throws std::invalid_argument for a
    /// status outside 300-399, or a location holding a control character (RFC 9110, Section 5.5).
    void redirect(std::string location, Status status = Status::FOUND);

    /// Throws the typed failure (http::NotFound ...) for a 4xx or 5xx status; does nothing otherwise.
    /// The failure carries the fields the dataset ties to the status (so e.retry_after(),
    /// e.allowed_methods() ... work) and, from an application/problem+json body, its members
    /// (e.problem()); its message is the problem's detail, or a short text body, else the phrase.
    void raise_for_status() const;
    /// The same for any 3xx-5xx status (a redirect that was not followed, say). Throws
    /// std::invalid_argument for other statuses.
    [[noreturn]] void raise_failure() const;

private:
    friend struct detail::ResponseAccess;  // the server's
    /// Set by the server while its handlers run: what stream() passes on to the stream it makes.
    const detail::StreamContext* stream_context_ = nullptr;
    /// A 101 that switches to a WebSocket carries it (router.websocket()).
    std::shared_ptr<detail::ServerWebSocket> websocket_;
};

}  // namespace http
