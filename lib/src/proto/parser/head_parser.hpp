// What request and response heads share (RFC 9112, Sections 2, 5 and 6): empty lines before the
// start-line, where lines end, the checks at the start of every line, field lines, and the
// fields that decide framing and keep-alive. These are the rules that keep one message from
// being read two ways (request smuggling, response splitting), so they live here once;
// RequestHeadParser and ResponseHeadParser add only their start-lines and how each side frames
// a body.
//
// Incremental: a parser is given every byte received since the message began, as often as more
// arrive. Each line is parsed once, when its LF has arrived, and refused at once if it is bad; a
// partial line is only searched for its LF, and its first bytes are judged before its end is
// known, so that a verdict never depends on how the bytes were split. Nothing is copied: a
// finished head views the caller's buffer.
//
// Line ends: CRLF, or LF alone (RFC 9112, Section 2.2 allows a recipient to accept it), but not a
// mix of the two in one head, which is where a CRLF-only intermediary and this parser would
// disagree about where a field ends.
#pragma once

#include "proto/parser/char_class.hpp"
#include "proto/parser/line_scanner.hpp"
#include "proto/parser/scan.hpp"

#include <http/status.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace http::detail {

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

/// Parses one field line, "name: value" without its line end (RFC 9112, Section 5).
inline bool parse_field_line(std::string_view line, Field& field, ParseError& error) noexcept;

/// Parses a field section (trailers, multipart part headers) up to and including its empty line.
/// Lines end in CRLF: these sections sit inside CRLF-only framing (chunked, multipart). Returns
/// false with `error` set on the first bad line.
bool parse_field_lines(std::string_view lines, std::vector<Field>& fields, std::size_t max_fields, ParseError& error);

/// Content-Length: 1*DIGIT, no sign, no overflow; returns false if malformed.
inline bool parse_content_length(std::string_view value, std::uint64_t& length) noexcept;

/// A Content-Length field value, added to what earlier ones said (`seen`, `length`): a list of
/// identical values is one value (RFC 9112, Section 6.3); false for an empty, malformed or
/// differing one, which could frame the body two ways.
inline bool add_content_length(std::string_view value, bool& seen, std::uint64_t& length) noexcept;

/// The fields that decide how a message body is framed and whether the connection outlives the
/// message (RFC 9112, Sections 6 and 9.3), recorded field by field.
struct FramingFields {
    enum class Verdict : std::uint8_t { other, recorded, bad_content_length, bad_transfer_encoding };

    bool has_length = false;
    std::uint64_t content_length = 0;
    bool has_transfer_encoding = false;
    int chunked_count = 0;
    bool chunked_last = false;  ///< chunked is the final coding so far
    bool unknown_coding = false;
    bool close = false;             ///< Connection: close
    bool keep_alive_token = false;  ///< Connection: keep-alive

    /// Records Content-Length, Transfer-Encoding and Connection; `other` for any other field.
    /// An empty, malformed or conflicting Content-Length, and a Transfer-Encoding that is not a
    /// list of tokens or gives chunked parameters, are reported (and still recorded).
    /// Always inlined, for its commonest field: `Connection: keep-alive` is taken here, without
    /// the call to add_other() and the registers saved around it.
    [[gnu::always_inline]] Verdict add(std::string_view name, std::string_view value) noexcept {
        if (name.size() == 10 && equals_lower(value, "keep-alive") && equals_lower(name, "connection")) {
            keep_alive_token = true;
            return Verdict::recorded;
        }
        return add_other(name, value);
    }
    /// add() for every other field.
    Verdict add_other(std::string_view name, std::string_view value) noexcept;

    /// Whether the connection may carry another message: for HTTP/1.1 unless "close" was
    /// asked, for HTTP/1.0 only if "keep-alive" was.
    bool keep_alive(int version_minor) const noexcept {
        return version_minor >= 1 ? !close : keep_alive_token && !close;
    }
};

// Inline: they run for every field line, and the parsers' loops are where they are called.

inline bool parse_field_line(std::string_view line, Field& field, ParseError& error) noexcept {
    auto fail = [&error](std::string_view reason) {
        error = {Status::BAD_REQUEST, reason};
        return false;
    };
    const char* p = line.data();
    const char* end = p + line.size();
    if (p < end && (*p == ' ' || *p == '\t'))
        return fail("obsolete line folding is not accepted");
    const char* name = p;
    p = scan_token(p, end);
    if (p == end || *p != ':') {
        if (p < end && (*p == ' ' || *p == '\t'))
            return fail("whitespace between field name and colon");
        if (p < end && *p == '\r')
            return fail("bare CR in header section");
        return fail(p == name ? "empty field name" : "invalid character in field name");
    }
    if (p == name)
        return fail("empty field name");
    field.name = std::string_view(name, static_cast<std::size_t>(p - name));
    ++p;
    while (p < end && (*p == ' ' || *p == '\t'))
        ++p;
    const char* value = p;
    if (!valid_field_value(line.data(), p, end)) {
        // Find the offending byte, to say what it is.
        while (true) {
            p = scan_field_value(p, end);
            if (*p != '\t')
                break;
            ++p;
        }
        return fail(*p == '\r' ? "bare CR in field value" : *p == '\0' ? "NUL in field value" : "invalid character in field value");
    }
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        --end;
    field.value = std::string_view(value, static_cast<std::size_t>(end - value));
    return true;
}

inline bool parse_content_length(std::string_view value, std::uint64_t& length) noexcept {
    if (value.empty() || value.size() > 19)  // 19 digits always fit in 63 bits
        return false;
    std::uint64_t n = 0;
    for (const char c : value) {
        if (c < '0' || c > '9')
            return false;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    length = n;
    return true;
}

inline bool add_content_length(std::string_view value, bool& seen, std::uint64_t& length) noexcept {
    bool empty = true;
    bool bad = false;
    for_each_list_element(value, [&](std::string_view element) {
        std::uint64_t n = 0;
        empty = false;
        if (!parse_content_length(element, n) || (seen && n != length))
            bad = true;
        length = n;
        seen = true;
    });
    return !empty && !bad;
}

inline FramingFields::Verdict FramingFields::add_other(std::string_view name, std::string_view value) noexcept {
    switch (name.size()) {
    case 10:
        if (!equals_lower(name, "connection"))
            return Verdict::other;
        // One option, the commonest value, without the list's search for commas.
        if (equals_lower(value, "keep-alive")) {
            keep_alive_token = true;
            return Verdict::recorded;
        }
        if (equals_lower(value, "close")) {
            close = true;
            return Verdict::recorded;
        }
        for_each_list_element(value, [&](std::string_view e) {
            if (equals_lower(e, "close"))
                close = true;
            else if (equals_lower(e, "keep-alive"))
                keep_alive_token = true;
        });
        return Verdict::recorded;
    case 14:
        if (!equals_lower(name, "content-length"))
            return Verdict::other;
        return add_content_length(value, has_length, content_length) ? Verdict::recorded : Verdict::bad_content_length;
    case 17: {
        if (!equals_lower(name, "transfer-encoding"))
            return Verdict::other;
        has_transfer_encoding = true;
        bool bad = false;
        for_each_list_element(value, [&](std::string_view e) {
            const std::size_t semicolon = e.find(';');
            const std::string_view coding = trim_ows(e.substr(0, semicolon));
            if (!is_token(coding))
                bad = true;
            if (equals_lower(coding, "chunked")) {
                ++chunked_count;
                chunked_last = true;
                if (semicolon != std::string_view::npos)
                    bad = true;  // chunked takes no parameters
            } else {
                chunked_last = false;
                unknown_coding = true;
            }
        });
        return bad ? Verdict::bad_transfer_encoding : Verdict::recorded;
    }
    default:
        return Verdict::other;
    }
}

/// The line loop of a message head, with the parser of one side as `Side` (CRTP). `Side` gives:
///   Result start_line(std::string_view input, std::size_t begin, std::size_t end);
///   Result check_start_line_prefix(std::string_view input, std::size_t at);  // before its end
///   Result check_unfinished(std::string_view input);   // a line whose end has not arrived
///   Result too_large(std::string_view input);          // a line past max_header_size()
///   Result field(std::string_view input, std::string_view name, std::string_view value,
///                FramingFields::Verdict);  // name and value view input
///   std::size_t max_header_size() const; std::size_t max_fields() const;
///   bool one_pass_lines() const;  // quick_line() may take whole, ordinary lines
///   std::size_t quick_start_line(std::string_view input);  // scan_whole(): the commonest
///       start-line at the input's start, taken in one pass (as start_line() would), and the
///       position of its LF; npos for anything else, which start_line() then judges
template <class Side>
class HeadParser {
public:
    enum class Result : std::uint8_t { incomplete, complete, error };

    const ParseError& error() const noexcept { return error_; }

protected:
    struct Span {
        std::uint32_t offset;
        std::uint32_t length;
    };
    struct FieldSpan {
        Span name;
        Span value;
    };

    /// Empty lines tolerated before the start-line (RFC 9112, Section 2.2 asks for at least one).
    static constexpr std::size_t max_leading_empty_bytes = 64;

    /// Reads lines until the empty line that ends the head (then `complete`, with head_size_
    /// set and the head's fields in `fields`, as views of `input`), the end of the input
    /// (`incomplete`), or a refusal (`error`).
    Result scan(std::string_view input, std::vector<Field>& fields);
    /// scan() line by line, for any head: cut anywhere, LF line ends, anything to refuse.
    Result scan_lines(std::string_view input, std::vector<Field>& fields);
    void reset_head() noexcept;
    Result fail(Status status, std::string_view reason) noexcept {
        error_ = {status, reason};
        return Result::error;
    }
    /// `span` of `input`, which holds it (spans are taken from the input they view).
    static std::string_view view(std::string_view input, Span span) noexcept {
        return std::string_view(input.data() + span.offset, span.length);
    }
    static Span span_of(std::string_view input, std::string_view part) noexcept {
        return {static_cast<std::uint32_t>(part.data() - input.data()), static_cast<std::uint32_t>(part.size())};
    }
    ParseError error_;
    LineScanner lines_;
    std::size_t start_ = 0;  // first byte of the start-line, after leading empty lines
    std::size_t head_size_ = 0;
    bool have_start_line_ = false;
    std::vector<FieldSpan> fields_;  // offsets, not views: the input may move between calls (a
                                     // head read whole at once goes straight to the caller's)
    FramingFields framing_;

private:
    Side& side() noexcept { return static_cast<Side&>(*this); }
    Result skip_leading_empty_lines(std::string_view input);
    Result check_field_line_start(std::string_view input);
    /// A field line, parsed here unless `parsed` is given (by quick_line()), into fields_.
    Result field_line(std::string_view input, std::size_t begin, std::size_t end, const Field* parsed);
    /// What every parsed field line meets: the limit on their number (`count` came before it),
    /// the framing fields' rules and the side's own. Always inlined: scan_whole() calls it for
    /// every field line, and once the Host check inline in it grew, GCC stopped inlining it there
    /// (browser GET of bench/run parser 2,462 to 2,788 instructions).
    [[gnu::always_inline]] Result check_field(std::string_view input, const Field& field, std::size_t count);
    /// The common case in one pass: a field line (or the empty line) beginning at `at` that has
    /// arrived whole and holds nothing unusual, its end found by the scan that checks its value.
    /// Returns the position of its LF, with `field` set for a field line; npos for anything
    /// else, which the general path (LineScanner, parse_field_line) judges, so verdicts stay the
    /// same. Always inlined, so that `field` stays in registers: written to memory by one call
    /// and copied on as 16-byte loads, its 8-byte halves could not be forwarded from the store
    /// buffer, a stall that cost the browser's request of bench/run parser 20 % of its time.
    /// `maybe_host`: the line is the head's first field line, which is most often Host.
    [[gnu::always_inline]] std::size_t quick_line(std::string_view input, std::size_t at, Field& field,
                                                  bool maybe_host = false) const noexcept;
    /// The commonest case of all: a head that arrived whole in the first bytes given, CRLF line
    /// ends, every field line ordinary. Its lines are taken one after another with no
    /// bookkeeping for a head that may be cut anywhere, its fields put straight into `fields`;
    /// `complete`, or `incomplete` with nothing kept when anything is out of the ordinary (the
    /// general path then judges it all).
    Result scan_whole(std::string_view input, std::vector<Field>& fields);
};

template <class Side>
void HeadParser<Side>::reset_head() noexcept {
    error_ = {};
    lines_.reset();
    start_ = head_size_ = 0;
    have_start_line_ = false;
    fields_.clear();
    framing_ = {};
}

template <class Side>
inline typename HeadParser<Side>::Result HeadParser<Side>::scan(std::string_view input, std::vector<Field>& fields) {
    // A head already complete (given again with bytes after it, say) is parsed again from its
    // start: the same bytes give the same head, into `fields` too.
    if (head_size_ != 0)
        side().reset();
    if (lines_.untouched() && !have_start_line_ && side().one_pass_lines() &&
        scan_whole(input, fields) == Result::complete)
        return Result::complete;
    return scan_lines(input, fields);
}

template <class Side>
typename HeadParser<Side>::Result HeadParser<Side>::scan_lines(std::string_view input, std::vector<Field>& fields) {
    if (!have_start_line_ && lines_.line_start() == start_ && skip_leading_empty_lines(input) == Result::error)
        return Result::error;
    while (true) {
        Field quick;
        const std::size_t newline = have_start_line_ && side().one_pass_lines()
                                        ? quick_line(input, lines_.line_start(), quick)
                                        : std::string_view::npos;
        // A line's first bytes are judged before its end is known (a line quick_line() took is
        // whole, and begins as a field line or the empty line).
        if (const std::size_t at = lines_.line_start(); newline == std::string_view::npos && at < input.size()) {
            const Result r = have_start_line_ ? check_field_line_start(input) : side().check_start_line_prefix(input, at);
            if (r == Result::error)
                return r;
        }
        std::size_t begin = 0;
        std::size_t end = 0;
        const bool quick_field = newline != std::string_view::npos && quick.name.data() != nullptr;
        switch (newline != std::string_view::npos ? lines_.line_at(input, newline, begin, end) : lines_.next(input, begin, end)) {
        case LineScanner::Result::incomplete:
            return side().check_unfinished(input);
        case LineScanner::Result::mixed_line_ends:
            return fail(Status::BAD_REQUEST, "mixed CRLF and LF line ends");
        case LineScanner::Result::line:
            break;
        }
        if (lines_.next_line() - start_ > side().max_header_size() + 2)
            return side().too_large(input);
        Result r;
        if (!have_start_line_) {
            r = side().start_line(input, begin, end);
        } else if (end == begin) {
            head_size_ = lines_.next_line();
            fields.resize(fields_.size());
            for (std::size_t i = 0; i < fields_.size(); ++i)
                fields[i] = {view(input, fields_[i].name), view(input, fields_[i].value)};
            return Result::complete;
        } else {
            r = field_line(input, begin, end, quick_field ? &quick : nullptr);
        }
        if (r == Result::error)
            return r;
        lines_.advance();
    }
}

template <class Side>
typename HeadParser<Side>::Result HeadParser<Side>::skip_leading_empty_lines(std::string_view input) {
    const char* data = input.data();
    while (start_ < input.size() && (data[start_] == '\r' || data[start_] == '\n')) {
        if (data[start_] == '\r') {
            if (start_ + 1 == input.size())
                return Result::incomplete;
            if (data[start_ + 1] != '\n')
                return fail(Status::BAD_REQUEST, "bare CR before the start-line");
            ++start_;
        }
        lines_.start_at(++start_);
        if (start_ > max_leading_empty_bytes)
            return fail(Status::BAD_REQUEST, "too many empty lines before the start-line");
    }
    return Result::incomplete;
}

template <class Side>
typename HeadParser<Side>::Result HeadParser<Side>::check_field_line_start(std::string_view input) {
    const std::size_t at = lines_.line_start();
    const char first = input[at];
    if (first == ' ' || first == '\t')
        return fail(Status::BAD_REQUEST, "obsolete line folding is not accepted");
    if (first == '\r' && at + 1 < input.size() && input[at + 1] != '\n')
        return fail(Status::BAD_REQUEST, "bare CR in header section");
    return Result::incomplete;
}

template <class Side>
typename HeadParser<Side>::Result HeadParser<Side>::scan_whole(std::string_view input, std::vector<Field>& fields) {
    const char* data = input.data();
    const std::size_t limit = side().max_header_size() + 2;  // as the general path counts
    std::size_t newline = side().quick_start_line(input);
    if (newline == std::string_view::npos) {
        const void* found = input.empty() ? nullptr : std::memchr(data, '\n', input.size());
        if (!found)
            return Result::incomplete;
        newline = static_cast<std::size_t>(static_cast<const char*>(found) - data);
        // The request- or status-line, judged as any is; empty lines before it are for the
        // general path.
        if (newline < 2 || data[newline - 1] != '\r' || newline + 1 > limit ||
            side().start_line(input, 0, newline - 1) != Result::incomplete) {
            side().reset();
            return Result::incomplete;
        }
    } else if (newline + 1 > limit) {
        side().reset();
        return Result::incomplete;
    }
    std::size_t at = newline + 1;
    const std::size_t first_field = at;
    fields.clear();
    while (true) {
        Field field;
        newline = quick_line(input, at, field, at == first_field);
        if (newline == std::string_view::npos || data[newline - 1] != '\r' || newline + 1 > limit)
            break;
        if (!field.name.data()) {  // the empty line
            head_size_ = newline + 1;
            return Result::complete;
        }
        if (check_field(input, field, fields.size()) == Result::error)
            break;
        fields.push_back(field);
        at = newline + 1;
    }
    fields.clear();
    side().reset();
    return Result::incomplete;
}

template <class Side>
inline std::size_t HeadParser<Side>::quick_line(std::string_view input, std::size_t at, Field& field,
                                                bool maybe_host) const noexcept {
    constexpr std::size_t none = std::string_view::npos;
    const char* data = input.data();
    const char* const input_end = data + input.size();
    const char* p = data + at;
    if (p == input_end)
        return none;
    if (*p == '\n')
        return static_cast<std::size_t>(p - data);  // the empty line, LF
    if (*p == '\r')
        return p + 1 < input_end && p[1] == '\n' ? static_cast<std::size_t>(p + 1 - data) : none;
    const char* name = p;
    // Host, in every HTTP/1.1 request and first among its fields as RFC 9110 (Section 7.2) asks,
    // in one comparison when `maybe_host` (OR-ing 0x20 folds only the letters' case); other names
    // through the token scan.
    std::uint32_t word, host;
    std::memcpy(&host, "host", 4);
    if (maybe_host && input_end - p > 4 && (std::memcpy(&word, p, 4), (word | 0x20202020u) == host) && p[4] == ':')
        p += 4;
    else
        p = scan_token(p, input_end);
    if (p == name || p == input_end || *p != ':')
        return none;
    const char* name_end = p++;
    // Whitespace before the value: most often one SP, then a byte above SP (one comparison for
    // each, and no loop).
    if (input_end - p >= 2 && *p == ' ' && static_cast<unsigned char>(p[1]) > ' ')
        ++p;
    else
        while (p < input_end && (*p == ' ' || *p == '\t'))
            ++p;
    const char* value = p;
    // The first control character (or DEL) after the value's start: HTAB is value material, a
    // CRLF or LF ends the line, anything else is for the general path to name.
    // The commonest stop, CR, is tested first.
    const char* stop = scan_field_value(p, input_end);
    const char* newline;
    while (true) {
        if (stop == input_end)
            return none;  // not arrived whole
        if (*stop == '\r') {
            if (stop + 1 == input_end || stop[1] != '\n')
                return none;
            newline = stop + 1;
            break;
        }
        if (*stop == '\n') {
            newline = stop;
            break;
        }
        if (*stop != '\t')
            return none;
        stop = scan_field_value(stop + 1, input_end);
    }
    // Trailing whitespace: the value holds no control byte but HTAB, so a byte up to SP is SP
    // or HTAB (one comparison, not two).
    const char* value_end = stop;
    while (value_end > value && static_cast<unsigned char>(value_end[-1]) <= ' ')
        --value_end;
    field.name = std::string_view(name, static_cast<std::size_t>(name_end - name));
    field.value = std::string_view(value, static_cast<std::size_t>(value_end - value));
    return static_cast<std::size_t>(newline - data);
}

template <class Side>
typename HeadParser<Side>::Result HeadParser<Side>::field_line(std::string_view input, std::size_t begin,
                                                               std::size_t end, const Field* parsed) {
    Field field;
    if (parsed)
        field = *parsed;
    else if (!parse_field_line(input.substr(begin, end - begin), field, error_))
        return Result::error;
    if (check_field(input, field, fields_.size()) == Result::error)
        return Result::error;
    fields_.push_back({span_of(input, field.name), span_of(input, field.value)});
    return Result::incomplete;
}

template <class Side>
inline typename HeadParser<Side>::Result HeadParser<Side>::check_field(std::string_view input, const Field& field,
                                                                std::size_t count) {
    if (count == side().max_fields())
        return fail(Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "too many header fields");
    // Most fields are none of the framing ones (Connection, Content-Length, Transfer-Encoding):
    // the length and first letter of their names tell at once.
    const std::size_t length = field.name.size();
    const char first = static_cast<char>(field.name.front() | 0x20);
    const FramingFields::Verdict verdict =
        (length == 10 || length == 14 || length == 17) && (first == 'c' || first == 't')
            ? framing_.add(field.name, field.value)
            : FramingFields::Verdict::other;
    if (verdict == FramingFields::Verdict::bad_content_length)
        return fail(Status::BAD_REQUEST, "invalid or conflicting Content-Length");
    return side().field(input, field.name, field.value, verdict);
}

}  // namespace http::detail
