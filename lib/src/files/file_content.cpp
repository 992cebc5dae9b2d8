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

}  // namespace http
