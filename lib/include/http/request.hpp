// http::Request: an HTTP request as the server received it.
#pragma once

#include <http/headers.hpp>

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace http {

/// Name/value pairs decoded from a query string, a form, or a Cookie header.
using Fields = std::map<std::string, std::string, std::less<>>;

/// Takes a request's content as it arrives, a piece at a time, instead of req.body: see
/// Router::stream_body() and Server::on_body().
using BodySink = std::function<void(std::string_view piece)>;

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

class Request {
public:
    std::string request_uri;   ///< the request-target as sent: "/users?sort=desc"
    std::string path;          ///< its path, not percent-decoded: "/users"
    std::string method;        ///< "GET", "POST" ... (case-sensitive, as sent)
    std::string host;          ///< the target's or Host's authority; from a trusted proxy, the forwarded host
    std::string ip;            ///< the peer's address; from a trusted proxy, the client's (Server::trusted_proxies)
    std::string scheme = "http";  ///< "http" or "https": the connection's, or from a trusted proxy, the client's
    std::uint16_t port = 0;    ///< the peer's port
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
    std::map<std::string, UploadedFile, std::less<>> files;  ///< multipart uploads, by field name
    /// The content, raw bytes (chunked framing removed). Empty for multipart/form-data, which is
    /// parsed as it arrives into `form` and `files`.
    std::string body;
    /// The application's own per-request state: what a body sink hands its handler, what
    /// middleware passes on. Empty for each new request.
    std::any locals;
};

}  // namespace http
