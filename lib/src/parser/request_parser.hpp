// The request-head parser: request-line, header section and message framing (RFC 9112).
//
// Incremental: give it every byte received since the request began, as often as more arrive.
// Each line is parsed once, when its LF has arrived, and refused at once if it is bad; a
// partial line is only searched for its LF, so a head trickling in a byte at a time costs no
// more than one arriving whole. Nothing is copied: the finished head views the caller's buffer.
//
// Line ends: CRLF, or LF alone (RFC 9112, Section 2.2 allows a recipient to accept it) — but not
// a mix of the two in one head, which is where a CRLF-only intermediary and this parser would
// disagree about where a field ends (request smuggling).
#pragma once

#include "parser/line_scanner.hpp"

#include <http/status.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace http::detail {

struct HeadRules {
    std::size_t max_request_target = 8 * 1024;
    std::size_t max_header_size = 16 * 1024;
    std::size_t max_header_fields = 100;
    /// HTTP/1.1 requests need exactly one Host (RFC 9112, Section 3.2). Off only to compare the
    /// parser with others that leave this rule to the server.
    bool require_host = true;
};

struct Field {
    std::string_view name;
    std::string_view value;
};

enum class Framing : std::uint8_t { none, content_length, chunked };

/// Why a message was refused: the status to answer with and a short reason for people.
struct ParseError {
    Status status = Status::BAD_REQUEST;
    std::string_view reason;
};

struct RequestHead {
    std::string_view method;
    std::string_view target;
    int version_minor = 1;  ///< HTTP/1.<minor>
    std::vector<Field> fields;
    Framing framing = Framing::none;
    std::uint64_t content_length = 0;
    bool keep_alive = true;
    bool expect_continue = false;
    /// The authority of an absolute-form target, else the Host field value.
    std::string_view host;
    /// Bytes the head takes in the input, from its first byte to its empty line, including any
    /// empty lines that came before the request-line.
    std::size_t size = 0;
};

class RequestHeadParser {
public:
    enum class Result : std::uint8_t { incomplete, complete, error };

    explicit RequestHeadParser(HeadRules rules = {}) : rules_(rules) {}

    /// `input` begins with the first byte of the request and holds everything received so far;
    /// call again with more appended after `incomplete` (the bytes may have moved). On
    /// `complete`, `head` views `input`; on `error`, error() says why.
    Result parse(std::string_view input, RequestHead& head);

    const ParseError& error() const noexcept { return error_; }
    /// Forgets a partial head, to parse the next request.
    void reset() noexcept;

    const HeadRules& rules() const noexcept { return rules_; }

private:
    struct Span {
        std::uint32_t offset;
        std::uint32_t length;
    };
    struct FieldSpan {
        Span name;
        Span value;
    };

    Result fail(Status status, std::string_view reason) noexcept;
    Result check_partial_line(std::string_view input);
    Result check_line_start(std::string_view input);
    Result request_line(std::string_view input, std::size_t begin, std::size_t end);
    Result field_line(std::string_view input, std::size_t begin, std::size_t end);
    Result finish(std::string_view input, RequestHead& head);

    HeadRules rules_;
    ParseError error_;

    // Where the scan stands.
    LineScanner lines_;
    std::size_t start_ = 0;           // first byte of the request-line (after leading empty lines)
    std::size_t method_checked_ = 0;  // bytes of an unfinished request-line checked as method

    // What the lines said so far, as offsets: the input may move between calls.
    Span method_{};
    Span target_{};
    int version_minor_ = 1;
    bool have_request_line_ = false;
    std::vector<FieldSpan> fields_;

    // Framing facts gathered field by field (RFC 9112, Section 6).
    std::size_t hosts_ = 0;
    Span host_{};
    bool has_length_ = false;
    std::uint64_t content_length_ = 0;
    bool has_transfer_encoding_ = false;
    int chunked_count_ = 0;
    bool chunked_last_ = false;
    bool unknown_coding_ = false;
    bool close_ = false;
    bool keep_alive_token_ = false;
    bool expect_continue_ = false;
};

/// Parses one field line, "name: value" without its line end (RFC 9112, Section 5).
bool parse_field_line(std::string_view line, Field& field, ParseError& error) noexcept;

/// Parses a field section (trailers, multipart part headers) up to and including its empty line.
/// Lines end in CRLF: these sections sit inside CRLF-only framing (chunked, multipart). Returns
/// false with `error` set on the first bad line.
bool parse_field_lines(std::string_view lines, std::vector<Field>& fields, std::size_t max_fields, ParseError& error);

/// Content-Length: 1*DIGIT, no sign, no overflow; returns false if malformed.
bool parse_content_length(std::string_view value, std::uint64_t& length) noexcept;

/// A Content-Length field value, added to what earlier ones said (`seen`, `length`): a list of
/// identical values is one value (RFC 9112, Section 6.3); false for an empty, malformed or
/// differing one, which could frame the body two ways.
bool add_content_length(std::string_view value, bool& seen, std::uint64_t& length) noexcept;

}  // namespace http::detail
