// Serving files: http::send_file() for a handler, and what router.files() serves with.
#pragma once

#include <http/request.hpp>
#include <http/response.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace http {

/// How router.files() and send_file() serve a directory. Every member has a default, so that
/// designated initializers may leave any out: `{.list_directories = true}`.
struct FileOptions {
    /// Serve names that start with '.' (.env, .git/...). Off: they are 404 like absent files.
    bool dotfiles = false;
    /// A directory without index.html lists its entries (HTML, names escaped); off: 404.
    bool list_directories = false;
    /// The file a directory serves, when present.
    std::string index = "index.html";
    /// Cache-Control for files served; empty: none.
    std::string cache_control{};
};

/// Answers `req` with the file at `path`: Content-Type by extension, ETag and Last-Modified,
/// the conditional headers (If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since, in
/// RFC 9110 Section 13.2.2's order: 412 or 304), Range (206 with one range, multipart/byteranges
/// for several, 416 when none can be satisfied) and If-Range. The content is sent from the file
/// as the client reads it, never read whole into memory. `options.cache_control`, if set, is
/// sent too. Throws http::NotFound if there is no regular file there, and the failures above
/// (PreconditionFailed, RangeNotSatisfiable with the length) for the client's conditions.
void send_file(const Request& req, Response& res, const std::filesystem::path& path, const FileOptions& options = {});

/// The media type for a file name's extension ("index.html" -> "text/html; charset=utf-8");
/// application/octet-stream for one it does not know.
std::string_view content_type_for(std::string_view file_name) noexcept;

}  // namespace http
