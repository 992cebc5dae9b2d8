// The parts of send_file() and router.files() that tests reach directly.
#pragma once

#include <http/request.hpp>
#include <http/response.hpp>
#include <http/files.hpp>

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

namespace http::detail {

/// A Range field for a representation of `length` bytes: `present` when it is one to use (a
/// well-formed bytes range set, 64 ranges at most); `satisfiable` when a range overlaps the
/// content; `ranges` sorted, overlapping and adjacent ones merged, each [first, last].
struct RangeRequest {
    bool present = false;
    bool satisfiable = false;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
};
RangeRequest parse_range(std::string_view value, std::uint64_t length);

/// send_file() for a file already open (`fd`, which it takes over, and its fstat()): `name`
/// gives the Content-Type.
void send_open_file(const Request& req, Response& res, int fd, const struct stat& info, std::string_view name,
                    const FileOptions& options);

/// A directory served by router.files(): its canonical path, and a descriptor of it for openat2()
/// (-1 where the kernel has no openat2, or a seccomp filter refuses it).
class ServedDirectory {
public:
    explicit ServedDirectory(std::filesystem::path root);
    ~ServedDirectory();
    ServedDirectory(const ServedDirectory&) = delete;
    ServedDirectory& operator=(const ServedDirectory&) = delete;

    const std::filesystem::path& root() const noexcept { return root_; }
    /// Opens `relative` (no ".." segments, checked by the caller) read-only, never outside the
    /// root: openat2(RESOLVE_BENEATH) where it can (one system call), else, and for absolute
    /// symbolic links, the real path checked against the root; -1 if it cannot.
    int open(const std::string& relative) const;

private:
    std::filesystem::path root_;
    int fd_ = -1;
};

/// Answers a request under router.files(prefix, root): `rest` is the raw path after the prefix.
/// Refuses (400) a segment that is "..", ".", or hides '/', '\' or NUL in escapes; hides (404)
/// dotfiles unless allowed, and anything whose real path (symbolic links resolved) is outside
/// `root`. A directory: 308 to its path with a trailing slash, then its index, a listing, or 404.
void serve_directory(const Request& req, Response& res, const ServedDirectory& root, std::string_view rest,
                     const FileOptions& options);

}  // namespace http::detail
