// A directory served under a prefix, with no way out of it: the request's raw segments are
// checked before they are decoded, and the real path after symbolic links must stay under the
// root.
#include <http/failure.hpp>

#include "files/send_file.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/url/percent.hpp"

#include <algorithm>
#include <system_error>
#include <vector>

namespace http::detail {

namespace {

bool contains_escape(std::string_view segment, std::string_view escape) {
    for (std::size_t at = segment.find('%'); at != std::string_view::npos; at = segment.find('%', at + 1))
        if (segment.size() - at >= 3 && equals_lower(segment.substr(at + 1, 2), escape))
            return true;
    return false;
}

// True if `path` is `root` or below it (both canonical).
bool within(const std::filesystem::path& path, const std::filesystem::path& root) {
    auto p = path.begin();
    for (auto r = root.begin(); r != root.end(); ++r, ++p)
        if (p == path.end() || *p != *r)
            return false;
    return true;
}

void append_html_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
}

void list_directory(const std::filesystem::path& directory, std::string_view shown_path, const FileOptions& options,
                    Response& res) {
    std::vector<std::pair<std::string, bool>> entries;  // name, is a directory
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with('.') && !options.dotfiles)
            continue;
        entries.emplace_back(std::move(name), entry.is_directory(error));
    }
    if (error)
        throw NotFound();
    std::sort(entries.begin(), entries.end());
    std::string& html = res.body;
    html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ";
    append_html_escaped(html, shown_path);
    html += "</title></head>\n<body><h1>Index of ";
    append_html_escaped(html, shown_path);
    html += "</h1>\n<ul>\n";
    if (shown_path != "/")
        html += "<li><a href=\"../\">../</a></li>\n";
    for (const auto& [name, is_directory] : entries) {
        html += "<li><a href=\"";
        append_html_escaped(html, percent_encode(name) + (is_directory ? "/" : ""));
        html += "\">";
        append_html_escaped(html, name + (is_directory ? "/" : ""));
        html += "</a></li>\n";
    }
    html += "</ul>\n</body></html>\n";
    res.status = Status::OK;
    res.content_type("text/html; charset=utf-8");
}

}  // namespace

void serve_directory(const Request& req, Response& res, const std::filesystem::path& root, std::string_view rest,
                     const FileOptions& options) {
    std::filesystem::path path = root;
    while (!rest.empty()) {
        if (rest.front() == '/') {
            rest.remove_prefix(1);
            continue;
        }
        const std::string_view raw = rest.substr(0, rest.find('/'));
        rest.remove_prefix(raw.size());
        // Escaped separators and NUL would make one segment into several, or end a C string.
        if (contains_escape(raw, "2f") || contains_escape(raw, "5c") || contains_escape(raw, "00"))
            throw BadRequest("the path holds an escaped '/', '\\' or NUL");
        const std::string segment = percent_decode(raw);
        if (segment == "." || segment == "..")
            throw BadRequest("the path leaves the served directory");
        if (segment.find('\0') != std::string::npos || segment.find('\\') != std::string::npos)
            throw BadRequest("the path holds a '\\' or NUL");
        if (segment.starts_with('.') && !options.dotfiles)
            throw NotFound();
        path /= segment;
    }
    std::error_code error;
    const std::filesystem::path real = std::filesystem::canonical(path, error);
    if (error || !within(real, root))
        throw NotFound();  // absent, or a symbolic link out of the root
    if (!std::filesystem::is_directory(real, error)) {
        send_file(req, res, real, options);
        return;
    }
    if (!req.path.ends_with('/')) {
        std::string location = req.path + "/";
        if (const std::size_t query = req.request_uri.find('?'); query != std::string::npos)
            location += req.request_uri.substr(query);
        res.redirect(std::move(location), Status::PERMANENT_REDIRECT);
        return;
    }
    if (!options.index.empty()) {
        const std::filesystem::path index = real / options.index;
        if (std::filesystem::is_regular_file(index, error)) {
            send_file(req, res, index, options);
            return;
        }
    }
    if (!options.list_directories)
        throw NotFound();
    list_directory(real, req.path, options, res);
}

}  // namespace http::detail
