// http::Request: an HTTP request as the server received it (or as a client builds it).
#pragma once

#include <http/headers.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace http {

/// Name/value pairs decoded from a query string, a form, or a Cookie header.
using Fields = std::map<std::string, std::string, std::less<>>;

/// A file sent in a multipart/form-data request (RFC 7578).
struct UploadedFile {
    std::string filename;
    std::string content_type;
    std::string content;  ///< the file's bytes
};

class Request {
public:
    std::string request_uri;   ///< the request-target as sent: "/users?sort=desc"
    std::string path;          ///< its path, not percent-decoded: "/users"
    std::string method;        ///< "GET", "POST" ... (case-sensitive, as sent)
    std::string host;          ///< the first X-Forwarded-Host value, else the target's or Host's authority
    std::string ip;            ///< the peer's address
    std::uint16_t port = 0;    ///< the peer's port
    std::string http_version = "1.1";
    Headers headers;           ///< the header section, in order, without trailers
    Headers trailers;          ///< trailer fields of a chunked body
    Fields queries;            ///< the query string, percent- and '+'-decoded; a repeated name keeps its last value
    Fields cookies;            ///< the Cookie header (RFC 6265, Section 5.4)
    Fields form;               ///< urlencoded or multipart/form-data fields
    std::map<std::string, UploadedFile, std::less<>> files;  ///< multipart uploads, by field name
    std::string body;          ///< the content, raw bytes (chunked framing removed)
};

}  // namespace http
