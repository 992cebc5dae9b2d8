// multipart/form-data bodies (RFC 7578, on the syntax of RFC 2046, Section 5.1.1), parsed as they
// arrive: the body is never held whole, and a file part larger than a threshold goes to a
// temporary file instead of memory.
#pragma once

#include "proto/parser/head_parser.hpp"

#include <http/request.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace http::detail {

using Files = std::map<std::string, UploadedFile, std::less<>>;

struct MultipartLimits {
    std::size_t max_parts = 1000;
    std::size_t max_part_header_size = 8 * 1024;
    /// A file part larger than this is spooled to a temporary file; a field (a part without a
    /// filename) larger than this is refused with 413.
    std::size_t max_in_memory = 1024 * 1024;
    /// Where spooled parts go; empty: $TMPDIR, else /tmp.
    std::string temp_directory;
};

class MultipartReader {
public:
    enum class Result : std::uint8_t { incomplete, complete, error };

    /// Parts go to `form` (fields) and `files` (parts with a filename); both must outlive the reader.
    MultipartReader(std::string_view boundary, Fields& form, Files& files, const MultipartLimits& limits = {});
    ~MultipartReader();
    MultipartReader(const MultipartReader&) = delete;
    MultipartReader& operator=(const MultipartReader&) = delete;

    /// The next bytes of the body, in any pieces.
    Result feed(std::string_view data);
    /// The body ended: complete if the closing delimiter came, an error otherwise.
    Result finish();
    const ParseError& error() const noexcept { return error_; }

private:
    enum class State : std::uint8_t { preamble, after_delimiter, headers, content, epilogue };

    Result fail(Status status, std::string_view reason);
    bool start_part(std::string_view header_section);
    bool write_content(std::string_view bytes);
    bool write_content_to_file(std::string_view bytes);
    void end_part();

    Fields& form_;
    Files& files_;
    MultipartLimits limits_;
    ParseError error_;
    std::string delimiter_;  // "\r\n--" + boundary
    std::string pending_;    // received bytes not yet decided
    State state_ = State::preamble;
    bool failed_ = false;
    std::size_t parts_ = 0;

    // The part being read.
    std::string name_;
    bool is_file_ = false;
    UploadedFile file_;
    std::string field_;
    int fd_ = -1;  // the temporary file of a spooled part
};

/// Parses a whole multipart body at once (for bodies already in memory). Returns false, with
/// `error` naming the problem, when it is not well-formed.
bool parse_multipart(std::string_view body, std::string_view boundary, Fields& form, Files& files, ParseError& error,
                     const MultipartLimits& limits = {});

}  // namespace http::detail
