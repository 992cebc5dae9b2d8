// The response-head parser, for the client: status-line, header section and how the body is
// framed (RFC 9112, Sections 4 and 6.3), on the line rules shared with requests
// (head_parser.hpp). Every refusal is a 502 Bad Gateway: the server's answer was unusable.
#pragma once

#include "proto/parser/head_parser.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace http::detail {

/// The client's bounds on a response's header section, HTTP/1.1 and HTTP/2 alike: its bytes (for
/// HTTP/2, the decoded bytes as SETTINGS_MAX_HEADER_LIST_SIZE counts them) and its fields.
inline constexpr std::size_t response_max_header_size = 64 * 1024;
inline constexpr std::size_t response_max_header_fields = 200;
/// Interim (1xx) responses the client skips before a request's final one, HTTP/1.1 and HTTP/2
/// alike: a server may send 100 Continue and a 103 Early Hints or two, and one that goes on
/// sending them would otherwise hold the request as long as it likes (each renews the wait).
inline constexpr std::size_t response_max_interim = 5;

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

class ResponseHeadParser : public HeadParser<ResponseHeadParser> {
public:
    explicit ResponseHeadParser(std::size_t max_header_size = response_max_header_size,
                                std::size_t max_fields = response_max_header_fields)
        : max_header_size_(max_header_size), max_fields_(max_fields) {}

    /// `input` holds everything received since the response began. `head_request`: the response
    /// answers HEAD and has no body whatever its fields say.
    Result parse(std::string_view input, ResponseHead& head, bool head_request = false);
    void reset() noexcept;

private:
    friend class HeadParser<ResponseHeadParser>;

    // The line loop's questions (head_parser.hpp).
    Result start_line(std::string_view input, std::size_t begin, std::size_t end);
    Result check_start_line_prefix(std::string_view input, std::size_t at) noexcept;
    Result check_unfinished(std::string_view input) noexcept;
    Result too_large(std::string_view = {}) noexcept { return fail(Status::BAD_GATEWAY, "response header section too large"); }
    Result field(std::string_view, std::string_view, std::string_view, FramingFields::Verdict) noexcept {
        return Result::incomplete;
    }
    std::size_t max_header_size() const noexcept { return max_header_size_; }
    bool one_pass_lines() const noexcept { return true; }
    static std::size_t quick_start_line(std::string_view) noexcept { return std::string_view::npos; }
    std::size_t max_fields() const noexcept { return max_fields_; }

    Result finish(std::string_view input, ResponseHead& head, bool head_request);

    std::size_t max_header_size_;
    std::size_t max_fields_;
    int status_ = 0;
    int version_minor_ = 1;
    Span reason_{};
};

}  // namespace http::detail
