#include "proto/multipart/multipart.hpp"

#include "proto/message/parameters.hpp"

#include <http/headers.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

namespace http {

std::string UploadedFile::read() const {
    if (in_memory())
        return content;
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.eof() && in.fail())
        throw std::runtime_error("http::UploadedFile: cannot read " + path);
    return bytes;
}

namespace detail {

namespace {

// A spooled upload's file, removed when the last UploadedFile holding it goes.
class TempFile {
public:
    explicit TempFile(std::string path) : path_(std::move(path)) {}
    ~TempFile() { ::unlink(path_.c_str()); }
    TempFile(const TempFile&) = delete;  // one owner removes the file, once
    TempFile& operator=(const TempFile&) = delete;

private:
    std::string path_;
};

// Padding allowed after a delimiter before its CRLF (RFC 2046, "transport-padding").
constexpr std::size_t max_padding = 64;

}  // namespace

MultipartReader::MultipartReader(std::string_view boundary, Fields& form, Files& files, const MultipartLimits& limits)
    : form_(form), files_(files), limits_(limits), delimiter_("\r\n--" + std::string(boundary)), pending_("\r\n") {
    // The first delimiter may open the body without the CRLF before it: one is assumed there.
    if (boundary.empty() || boundary.size() > 70)
        fail(Status::BAD_REQUEST, "multipart boundary must be 1 to 70 characters");
}

MultipartReader::~MultipartReader() {
    if (fd_ >= 0)
        ::close(fd_);
}

MultipartReader::Result MultipartReader::fail(Status status, std::string_view reason) {
    error_ = {status, reason};
    failed_ = true;
    return Result::error;
}

MultipartReader::Result MultipartReader::feed(std::string_view data) {
    if (failed_)
        return Result::error;
    if (state_ == State::epilogue)
        return Result::complete;  // whatever follows the closing delimiter is ignored
    pending_.append(data);
    while (true) {
        switch (state_) {
        case State::preamble: {
            const std::size_t at = pending_.find(delimiter_);
            if (at == std::string::npos) {
                // The preamble is dropped, keeping what could begin a delimiter.
                if (pending_.size() >= delimiter_.size())
                    pending_.erase(0, pending_.size() - (delimiter_.size() - 1));
                return Result::incomplete;
            }
            pending_.erase(0, at + delimiter_.size());
            state_ = State::after_delimiter;
            break;
        }
        case State::after_delimiter: {
            if (pending_.size() < 2)
                return Result::incomplete;
            if (pending_.compare(0, 2, "--") == 0) {
                state_ = State::epilogue;
                pending_.clear();
                return Result::complete;
            }
            std::size_t i = 0;
            while (i < pending_.size() && (pending_[i] == ' ' || pending_[i] == '\t'))
                ++i;
            if (i > max_padding)
                return fail(Status::BAD_REQUEST, "malformed multipart boundary line");
            if (i + 2 > pending_.size())
                return Result::incomplete;
            if (pending_.compare(i, 2, "\r\n") != 0)
                return fail(Status::BAD_REQUEST, "malformed multipart boundary line");
            pending_.erase(0, i + 2);
            if (++parts_ > limits_.max_parts)
                return fail(Status::CONTENT_TOO_LARGE, "too many multipart parts");
            state_ = State::headers;
            break;
        }
        case State::headers: {
            // Part headers end with an empty line; a part may have none at all.
            std::size_t end;
            if (pending_.size() >= 2 && pending_.compare(0, 2, "\r\n") == 0) {
                end = 2;
            } else {
                const std::size_t blank = pending_.find("\r\n\r\n");
                if (blank == std::string::npos) {
                    if (pending_.size() > limits_.max_part_header_size)
                        return fail(Status::BAD_REQUEST, "multipart part headers too large");
                    return Result::incomplete;
                }
                end = blank + 4;
            }
            if (end > limits_.max_part_header_size)
                return fail(Status::BAD_REQUEST, "multipart part headers too large");
            if (!start_part(std::string_view(pending_).substr(0, end)))
                return Result::error;
            pending_.erase(0, end);
            state_ = State::content;
            break;
        }
        case State::content: {
            const std::size_t at = pending_.find(delimiter_);
            if (at == std::string::npos) {
                // All but what could begin a delimiter is content.
                const std::size_t keep = delimiter_.size() - 1;
                if (pending_.size() > keep) {
                    if (!write_content(std::string_view(pending_).substr(0, pending_.size() - keep)))
                        return Result::error;
                    pending_.erase(0, pending_.size() - keep);
                }
                return Result::incomplete;
            }
            if (!write_content(std::string_view(pending_).substr(0, at)))
                return Result::error;
            end_part();
            pending_.erase(0, at + delimiter_.size());
            state_ = State::after_delimiter;
            break;
        }
        case State::epilogue:
            return Result::complete;
        }
    }
}

MultipartReader::Result MultipartReader::finish() {
    if (failed_)
        return Result::error;
    if (state_ == State::epilogue)
        return Result::complete;
    return fail(Status::BAD_REQUEST, state_ == State::preamble ? "multipart body has no boundary"
                                                               : "multipart body ends without its closing boundary");
}

bool MultipartReader::start_part(std::string_view header_section) {
    std::vector<Field> headers;
    if (header_section.size() > 2 && !parse_field_lines(header_section, headers, 100, error_)) {
        failed_ = true;
        return false;
    }
    std::string_view disposition;
    std::string_view content_type = "text/plain";
    for (const Field& h : headers) {
        if (iequals(h.name, "content-disposition"))
            disposition = h.value;
        else if (iequals(h.name, "content-type"))
            content_type = h.value;
    }
    const ParameterizedValue parsed = parse_parameterized(disposition);
    const std::string* name = parsed.find("name");
    if (!iequals(parsed.value, "form-data") || !name) {
        fail(Status::BAD_REQUEST, "multipart part without Content-Disposition: form-data; name=...");
        return false;
    }
    name_ = *name;
    const std::string* filename = parsed.find("filename");
    is_file_ = filename != nullptr;
    field_.clear();
    file_ = UploadedFile{};
    if (is_file_) {
        file_.filename = *filename;
        file_.content_type = std::string(content_type);
    }
    return true;
}

bool MultipartReader::write_content(std::string_view bytes) {
    if (bytes.empty())
        return true;
    if (!is_file_) {
        if (field_.size() + bytes.size() > limits_.max_in_memory) {
            fail(Status::CONTENT_TOO_LARGE, "a multipart form field is larger than the server keeps in memory");
            return false;
        }
        field_.append(bytes);
        return true;
    }
    file_.size += bytes.size();
    if (fd_ < 0 && file_.content.size() + bytes.size() <= limits_.max_in_memory) {
        file_.content.append(bytes);
        return true;
    }
    if (fd_ < 0) {
        // Too large for memory: to a temporary file, with what was kept so far.
        std::string directory = limits_.temp_directory;
        if (directory.empty()) {
            const char* tmp = std::getenv("TMPDIR");
            directory = tmp && *tmp ? tmp : "/tmp";
        }
        std::string path = directory + "/httpkit-upload-XXXXXX";
        fd_ = ::mkostemp(path.data(), O_CLOEXEC);
        if (fd_ < 0) {
            fail(Status::INSUFFICIENT_STORAGE, "cannot create a temporary file for an upload");
            return false;
        }
        file_.spool = std::make_shared<TempFile>(path);
        file_.path = std::move(path);
        const std::string kept = std::exchange(file_.content, {});
        if (!write_content_to_file(kept))
            return false;
    }
    return write_content_to_file(bytes);
}

bool MultipartReader::write_content_to_file(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(Status::INSUFFICIENT_STORAGE, "cannot write an upload to its temporary file");
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void MultipartReader::end_part() {
    if (is_file_) {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        files_.insert_or_assign(name_, std::move(file_));
    } else {
        form_.insert_or_assign(name_, std::move(field_));
    }
    file_ = UploadedFile{};
    field_.clear();
}

bool parse_multipart(std::string_view body, std::string_view boundary, Fields& form, Files& files, ParseError& error,
                     const MultipartLimits& limits) {
    MultipartReader reader(boundary, form, files, limits);
    const bool ok = reader.feed(body) != MultipartReader::Result::error && reader.finish() == MultipartReader::Result::complete;
    if (!ok)
        error = reader.error();
    return ok;
}

}  // namespace detail

}  // namespace http
