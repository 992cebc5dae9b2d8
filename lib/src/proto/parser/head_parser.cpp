#include "proto/parser/head_parser.hpp"

#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"

namespace http::detail {

bool parse_field_line(std::string_view line, Field& field, ParseError& error) noexcept {
    auto fail = [&error](std::string_view reason) {
        error = {Status::BAD_REQUEST, reason};
        return false;
    };
    const char* p = line.data();
    const char* end = p + line.size();
    if (p < end && (*p == ' ' || *p == '\t'))
        return fail("obsolete line folding is not accepted");
    const char* name = p;
    while (p < end && is(*p, tchar))
        ++p;
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

bool parse_field_lines(std::string_view lines, std::vector<Field>& fields, std::size_t max_fields, ParseError& error) {
    LineScanner scanner;
    while (true) {
        std::size_t begin = 0;
        std::size_t end = 0;
        switch (scanner.next(lines, begin, end)) {
        case LineScanner::Result::incomplete:
            error = {Status::BAD_REQUEST, "unterminated field section"};
            return false;
        case LineScanner::Result::mixed_line_ends:
            error = {Status::BAD_REQUEST, "mixed CRLF and LF line ends"};
            return false;
        case LineScanner::Result::line:
            break;
        }
        if (scanner.next_line() < 2 || lines[scanner.next_line() - 2] != '\r') {
            error = {Status::BAD_REQUEST, "field lines here must end in CRLF"};
            return false;
        }
        if (begin == end)
            return true;
        Field field;
        if (!parse_field_line(lines.substr(begin, end - begin), field, error))
            return false;
        if (fields.size() == max_fields) {
            error = {Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "too many header fields"};
            return false;
        }
        fields.push_back(field);
        scanner.advance();
    }
}

bool add_content_length(std::string_view value, bool& seen, std::uint64_t& length) noexcept {
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

bool parse_content_length(std::string_view value, std::uint64_t& length) noexcept {
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

FramingFields::Verdict FramingFields::add(std::string_view name, std::string_view value) noexcept {
    switch (name.size()) {
    case 10:
        if (!equals_lower(name, "connection"))
            return Verdict::other;
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

}  // namespace http::detail
