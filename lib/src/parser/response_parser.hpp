// The response-head parser, for the client: status-line, header section and how the body is
// framed (RFC 9112, Sections 4 and 6.3). Incremental like the request parser, with the same
// line rules; it does not copy either.
#pragma once

#include "parser/line_scanner.hpp"
#include "parser/request_parser.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace http::detail {

struct ResponseHead {
    int status = 0;
    std::string_view reason;
    int version_minor = 1;
    std::vector<Field> fields;
    Framing framing = Framing::none;
    std::uint64_t content_length = 0;
    bool until_close = false;  ///< the body runs to the end of the connection
    bool keep_alive = true;    ///< the connection can carry another request afterwards
    std::size_t size = 0;      ///< bytes of the head
};

class ResponseHeadParser {
public:
    enum class Result : std::uint8_t { incomplete, complete, error };

    explicit ResponseHeadParser(std::size_t max_header_size = 64 * 1024, std::size_t max_fields = 200)
        : max_header_size_(max_header_size), max_fields_(max_fields) {}

    /// `input` holds everything received since the response began. `head_request`: the response
    /// answers HEAD and has no body whatever its fields say.
    Result parse(std::string_view input, ResponseHead& head, bool head_request = false);
    const ParseError& error() const noexcept { return error_; }
    void reset() noexcept;

private:
    Result fail(std::string_view reason) noexcept {
        error_ = {Status::BAD_GATEWAY, reason};
        return Result::error;
    }
    Result status_line(std::string_view line);
    Result finish(std::string_view input, ResponseHead& head, bool head_request);

    std::size_t max_header_size_;
    std::size_t max_fields_;
    ParseError error_;
    LineScanner lines_;
    std::size_t start_ = 0;  // first byte of the status-line
    bool have_status_line_ = false;
    int status_ = 0;
    int version_minor_ = 1;
    std::uint32_t reason_offset_ = 0;
    std::uint32_t reason_length_ = 0;
    struct FieldSpan {
        std::uint32_t name_offset, name_length, value_offset, value_length;
    };
    std::vector<FieldSpan> fields_;
};

}  // namespace http::detail
