// Content sent from an open file: whole, one range, or several ranges between multipart/byteranges
// part headers. The server writes file ranges with sendfile(2), so a file is never read into
// memory; the descriptor closes with the last reference (a client that leaves mid-file included).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace http {

class FileContent {
public:
    /// Text of the response's own (a multipart part header), or `length` bytes of the file
    /// from `offset`.
    struct Part {
        std::string text;
        std::uint64_t offset = 0;
        std::uint64_t length = 0;
        bool from_file() const noexcept { return text.empty(); }
        std::uint64_t size() const noexcept { return from_file() ? length : text.size(); }
    };

    /// Takes ownership of `fd`.
    explicit FileContent(int fd) noexcept : fd_(fd) {}
    ~FileContent();
    FileContent(const FileContent&) = delete;
    FileContent& operator=(const FileContent&) = delete;

    int fd() const noexcept { return fd_; }
    std::uint64_t size() const noexcept;
    /// Appends the content to `out`, its parts in order, the file's with bounded reads (for content
    /// small enough to hold); false if the file cannot be read (a read error, or it shrank).
    bool append_to(std::string& out) const;

    std::vector<Part> parts;

private:
    int fd_;
};

}  // namespace http
