#include "files/file_content.hpp"

#include <unistd.h>

namespace http {

FileContent::~FileContent() {
    if (fd_ >= 0)
        ::close(fd_);
}

std::uint64_t FileContent::size() const noexcept {
    std::uint64_t total = 0;
    for (const Part& part : parts)
        total += part.size();
    return total;
}

bool FileContent::append_to(std::string& out) const {
    for (const Part& part : parts) {
        if (!part.from_file()) {
            out += part.text;
            continue;
        }
        const std::size_t at = out.size();
        out.resize(at + part.length);
        std::size_t done = 0;
        while (done < part.length) {
            const ssize_t n =
                ::pread(fd_, out.data() + at + done, part.length - done, static_cast<off_t>(part.offset + done));
            if (n <= 0)
                return false;  // a read error, or the file shrank
            done += static_cast<std::size_t>(n);
        }
    }
    return true;
}

}  // namespace http
