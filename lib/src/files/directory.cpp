// A directory served under a prefix, with no way out of it: the request's raw segments are
// checked before they are decoded, and the real path after symbolic links must stay under the
// root.
#include <http/failure.hpp>

#include "files/send_file.hpp"
#include "proto/message/problem.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/url/percent.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

ServedDirectory::ServedDirectory(std::filesystem::path root) : root_(std::move(root)) {
    fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd_ >= 0) {
        // Does this kernel (and its seccomp filter) have openat2? Probe once.
        open_how how{};
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH;
        const long probe = ::syscall(SYS_openat2, fd_, ".", &how, sizeof how);
        if (probe >= 0) {
            ::close(static_cast<int>(probe));
        } else {
            ::close(fd_);
            fd_ = -1;
        }
    }
}

ServedDirectory::~ServedDirectory() {
    if (fd_ >= 0)
        ::close(fd_);
}

int ServedDirectory::open(const std::string& relative) const {
    if (fd_ >= 0) {
        // One system call: the kernel refuses any step (a symbolic link, say) out of the root.
        open_how how{};
        how.flags = O_RDONLY | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        const auto fd = static_cast<int>(::syscall(SYS_openat2, fd_, relative.empty() ? "." : relative.c_str(), &how, sizeof how));
        // EXDEV: a step would leave the root, or is an absolute symbolic link, which may still
        // point inside it: the real path decides.
        if (fd >= 0 || errno != EXDEV)
            return fd;
    }
    std::error_code error;
    const std::filesystem::path real = std::filesystem::canonical(root_ / relative, error);
    if (error || !within(real, root_))
        return -1;  // absent, or a symbolic link out of the root
    return ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
}

void serve_directory(const Request& req, Response& res, const ServedDirectory& root, std::string_view rest,
                     const FileOptions& options) {
    std::string relative;
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
        const std::string segment = raw.find('%') == std::string_view::npos ? std::string(raw) : percent_decode(raw);
        if (segment == "." || segment == "..")
            throw BadRequest("the path leaves the served directory");
        if (segment.find('\0') != std::string::npos || segment.find('\\') != std::string::npos)
            throw BadRequest("the path holds a '\\' or NUL");
        if (segment.starts_with('.') && !options.dotfiles)
            throw NotFound();
        if (!relative.empty())
            relative += '/';
        relative += segment;
    }
    const int fd = root.open(relative);
    if (fd < 0)
        throw NotFound();  // absent, or out of the root
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        ::close(fd);
        throw NotFound();
    }
    if (!S_ISDIR(info.st_mode)) {
        send_open_file(req, res, fd, info, relative, options);
        return;
    }
    ::close(fd);
    if (!req.path.ends_with('/')) {
        std::string location = req.path + "/";
        if (const std::size_t query = req.request_uri.find('?'); query != std::string::npos)
            location += req.request_uri.substr(query);
        res.redirect(std::move(location), Status::PERMANENT_REDIRECT);
        return;
    }
    if (!options.index.empty()) {
        const std::string index = relative.empty() ? options.index : relative + "/" + options.index;
        if (const int index_fd = root.open(index); index_fd >= 0) {
            struct stat index_info {};
            if (::fstat(index_fd, &index_info) == 0 && S_ISREG(index_info.st_mode)) {
                send_open_file(req, res, index_fd, index_info, options.index, options);
                return;
            }
            ::close(index_fd);
        }
    }
    if (!options.list_directories)
        throw NotFound();
    list_directory(root.root() / relative, req.path, options, res);
}

}  // namespace http::detail
