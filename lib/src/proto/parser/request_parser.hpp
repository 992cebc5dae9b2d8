// The request-head parser: request-line, header section and message framing (RFC 9112), on the
// line rules shared with responses (head_parser.hpp).
#pragma once

#include "proto/parser/head_parser.hpp"

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
    /// Whole, ordinary field lines are found and checked in one pass (HeadParser::quick_line).
    /// Off only to check, in tests, that the general path gives the same results.
    bool one_pass_lines = true;
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

class RequestHeadParser : public HeadParser<RequestHeadParser> {
public:
    explicit RequestHeadParser(HeadRules rules = {}) : rules_(rules) {}

    /// `input` begins with the first byte of the request and holds everything received so far;
    /// call again with more appended after `incomplete` (the bytes may have moved). On
    /// `complete`, `head` views `input`; on `error`, error() says why.
    Result parse(std::string_view input, RequestHead& head);

    /// Forgets a partial head, to parse the next request.
    void reset() noexcept;

    const HeadRules& rules() const noexcept { return rules_; }

private:
    friend class HeadParser<RequestHeadParser>;

    // The line loop's questions (head_parser.hpp).
    Result start_line(std::string_view input, std::size_t begin, std::size_t end);
    Result check_start_line_prefix(std::string_view, std::size_t) noexcept { return Result::incomplete; }
    Result check_unfinished(std::string_view input);
    Result too_large(std::string_view input);
    /// The request-line's method, checked as far as it has arrived, within the line's first
    /// max_method_bytes(): past them an unfinished line is refused as too long, and so is a
    /// whole line (start_line, too_large), whatever byte follows, so that the verdict does not
    /// depend on how the bytes were split.
    Result check_method(std::string_view input);
    std::size_t max_method_bytes() const noexcept { return rules_.max_request_target + request_line_slack; }
    /// The request-line may exceed the target limit by this much (method, version, spaces)
    /// before it is refused as too long.
    static constexpr std::size_t request_line_slack = 64;
    Result field(std::string_view input, std::string_view name, std::string_view value,
                 FramingFields::Verdict verdict) {
        // Framing fields were recorded by the shared rules; a request's malformed
        // Transfer-Encoding is refused outright. Host and Expect (4 and 6 letters) are its own.
        if (verdict == FramingFields::Verdict::bad_transfer_encoding)
            return fail(Status::BAD_REQUEST, "invalid Transfer-Encoding");
        if (verdict != FramingFields::Verdict::other)
            return Result::incomplete;
        if (name.size() == 4 && equals_lower(name, "host"))
            return host(input, value);
        if (name.size() == 6 && equals_lower(name, "expect"))
            return expect(value);
        return Result::incomplete;
    }
    /// A Host field (inline: every HTTP/1.1 request has one).
    Result host(std::string_view input, std::string_view value) {
        if (!valid_host(input, value))
            return fail(Status::BAD_REQUEST, "invalid Host");
        if (++hosts_ > 1)
            return fail(Status::BAD_REQUEST, "more than one Host");
        host_ = span_of(input, value);
        return Result::incomplete;
    }
    /// valid_authority(value) for a `value` that views `input`, the commonest hosts (letters,
    /// digits, '.' and '-', then perhaps a port) checked 16 bytes a step.
    static bool valid_host(std::string_view input, std::string_view value) noexcept;
    Result expect(std::string_view value);
    std::size_t max_header_size() const noexcept { return rules_.max_header_size; }
    std::size_t max_fields() const noexcept { return rules_.max_header_fields; }
    bool one_pass_lines() const noexcept { return rules_.one_pass_lines; }
    /// The commonest request-line in one pass: a method, an origin-form target and HTTP/1.1 or
    /// HTTP/1.0, ending in CRLF; the position of its LF, or npos for start_line() to judge.
    std::size_t quick_start_line(std::string_view input) noexcept;

    /// The head's parts and what its fields decided, into `head`; inline for the commonest
    /// head (an origin-form target, no Transfer-Encoding), finish_rest() for the others.
    Result finish(std::string_view input, RequestHead& head);
    Result finish_rest(RequestHead& head);

    HeadRules rules_;
    std::size_t method_checked_ = 0;  // bytes of an unfinished request-line checked as method
    Span method_{};
    Span target_{};
    int version_minor_ = 1;
    std::size_t hosts_ = 0;
    Span host_{};
    bool expect_continue_ = false;
};

/// uri-host [ ":" port ] (RFC 9110, Section 7.2; RFC 3986, Section 3.2): what a Host field, an
/// absolute-form target's authority or a forwarded host may be. Empty is allowed (a URI may
/// have an empty host).
bool valid_authority(std::string_view authority) noexcept;

inline void RequestHeadParser::reset() noexcept {
    reset_head();
    method_checked_ = 0;
    method_ = target_ = host_ = {};
    version_minor_ = 1;
    hosts_ = 0;
    expect_continue_ = false;
}

inline RequestHeadParser::Result RequestHeadParser::parse(std::string_view input, RequestHead& head) {
    const Result r = scan(input, head.fields);
    if (r != Result::complete)
        return r;
    head.size = head_size_;
    return finish(input, head);
}

inline RequestHeadParser::Result RequestHeadParser::finish(std::string_view input, RequestHead& head) {
    head.method = view(input, method_);
    head.target = view(input, target_);
    head.version_minor = version_minor_;
    head.host = hosts_ ? view(input, host_) : std::string_view();
    head.expect_continue = expect_continue_;
    head.content_length = 0;
    head.framing = Framing::none;
    head.keep_alive = framing_.keep_alive(version_minor_);
    if (version_minor_ >= 1 && hosts_ == 0 && rules_.require_host)
        return fail(Status::BAD_REQUEST, "missing Host");
    if (head.target.front() != '/' || framing_.has_transfer_encoding)
        return finish_rest(head);
    // How a request body is framed (RFC 9112, Section 6.3).
    if (framing_.has_length) {
        head.content_length = framing_.content_length;
        head.framing = framing_.content_length > 0 ? Framing::content_length : Framing::none;
    }
    return Result::complete;
}

inline std::size_t RequestHeadParser::quick_start_line(std::string_view input) noexcept {
    constexpr std::size_t none = std::string_view::npos;
    const char* const line = input.data();
    const char* const end = line + input.size();
    // GET in one comparison, as start_line() does; other methods through the token scan.
    const char* p = input.size() > 4 && std::memcmp(line, "GET ", 4) == 0 ? line + 3 : scan_token(line, end);
    if (p == line || end - p < 2 || *p != ' ' || p[1] != '/')
        return none;
    const char* const target = p + 1;
    // Target material stops at the space before the version, or at a control byte (CR, LF).
    const char* const target_end = scan_target(target + 1, end);
    if (end - target_end < 11 || *target_end != ' ' ||
        static_cast<std::size_t>(target_end - target) > rules_.max_request_target)
        return none;
    // " HTTP/1.1\r\n" or " HTTP/1.0\r\n": the line ends there, and no LF came before.
    std::uint64_t version;
    std::memcpy(&version, target_end + 1, 8);
    std::uint64_t http11, http10;
    std::memcpy(&http11, "HTTP/1.1", 8);
    std::memcpy(&http10, "HTTP/1.0", 8);
    // A line longer than max_method_bytes() is for start_line() to refuse.
    if ((version != http11 && version != http10) || target_end[9] != '\r' || target_end[10] != '\n' ||
        static_cast<std::size_t>(target_end + 10 - line) > max_method_bytes())
        return none;
    method_ = {0, static_cast<std::uint32_t>(p - line)};
    target_ = {static_cast<std::uint32_t>(target - line), static_cast<std::uint32_t>(target_end - target)};
    version_minor_ = target_end[8] - '0';
    have_start_line_ = true;
    return static_cast<std::size_t>(target_end + 10 - line);
}

inline bool RequestHeadParser::valid_host(std::string_view input, std::string_view value) noexcept {
    const char* const end = value.data() + value.size();
#if defined(__SSE2__)
    // A host of up to 32 bytes (almost all are) judged from bit masks of one or two 16-byte
    // loads, the first ending at the value's end (the bytes before it, the field's name, are in
    // `input`): no load at the first byte that is not a letter, digit, '.' or '-' and no scan of
    // the port after it, each of which had to wait for the scan before it.
    if (const std::size_t n = value.size(); n <= 32 && end - input.data() >= 16) {
        HostMasks masks = host_masks(end - 16);
        if (n < 16) {
            masks.other >>= 16 - n;
            masks.colon >>= 16 - n;
            masks.not_digit >>= 16 - n;
        } else {
            const HostMasks first = host_masks(value.data());
            masks.other = first.other | masks.other << (n - 16);
            masks.colon = first.colon | masks.colon << (n - 16);
            masks.not_digit = first.not_digit | masks.not_digit << (n - 16);
        }
        if (masks.other == 0)
            return true;
        const std::uint64_t first_other = masks.other & (~masks.other + 1);
        if (!(first_other & masks.colon))
            return valid_authority(value);  // an IP literal, a sub-delim, a percent-encoding, or invalid
        // What came before is reg-name material, so the colon starts the port: digits to the end.
        const std::uint64_t after = ((std::uint64_t{1} << n) - 1) & ~(first_other | (first_other - 1));
        return (masks.not_digit & after) == 0;
    }
#endif
    const char* const p = scan_host_chars(input.data(), value.data(), end);
    if (p == end)
        return true;
    // What came before is reg-name material, so a colon starts the port: digits to the end.
    if (*p == ':')
        return scan_class(p + 1, end, digit) == end;
    return valid_authority(value);  // an IP literal, a sub-delim, a percent-encoding, or invalid
}

}  // namespace http::detail
