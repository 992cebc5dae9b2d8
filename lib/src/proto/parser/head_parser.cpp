#include "proto/parser/head_parser.hpp"

#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"

namespace http::detail {

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




}  // namespace http::detail
