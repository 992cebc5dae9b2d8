// Where Client::download() writes: a download never deletes what it did not write.
//
// A regular file, or a path where nothing is yet, is written through a temporary file beside it
// (same directory, so same file system) and renamed over it only on success: a failed download
// leaves what was there as it was and removes only its own temporary. A FIFO, a terminal, a
// device (/dev/null), or a file named through a descriptor (/dev/stdout, /proc/self/fd/N) cannot
// be replaced by a rename, and are not ours to remove: they are written in place and never
// removed, whatever happens.
#pragma once

#include <filesystem>
#include <string_view>

namespace http::detail {

class DownloadTarget {
public:
    /// Opens where `path` is written. Throws std::system_error (a missing directory, no
    /// permission, ...) or std::invalid_argument (a directory).
    explicit DownloadTarget(const std::filesystem::path& path);
    /// Removes the temporary file unless commit() succeeded; never touches the target.
    ~DownloadTarget();
    DownloadTarget(const DownloadTarget&) = delete;
    DownloadTarget& operator=(const DownloadTarget&) = delete;

    /// Appends `data`. Throws std::system_error. A FIFO whose reader went away is an EPIPE error
    /// here, never a SIGPIPE for the process.
    void write(std::string_view data);
    /// All written: closes the file and renames the temporary over the target. Throws
    /// std::system_error (then the temporary is removed and the target left as it was).
    void commit();

    /// The file being written: the temporary, or the target itself when written in place.
    const std::filesystem::path& writing() const noexcept { return temporary_.empty() ? target_ : temporary_; }
    bool in_place() const noexcept { return temporary_.empty(); }

private:
    void discard() noexcept;

    std::filesystem::path target_;     // with symbolic links followed
    std::filesystem::path temporary_;  // empty: written in place
    int fd_ = -1;
};

}  // namespace http::detail
