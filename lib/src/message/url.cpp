#include <http/url.hpp>

#include "proto/url/percent.hpp"

namespace http {

std::string url_encode(std::string_view text) { return detail::percent_encode(text); }

std::string url_decode(std::string_view text) { return detail::percent_decode(text); }

std::string query_string(const Fields& fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty())
            out += '&';
        // Spaces first become '+', which percent_encode keeps: a '+' of the text is escaped before.
        const auto form_encode = [&out](std::string_view text) {
            std::string escaped = detail::percent_encode(text, " ");
            for (char& c : escaped)
                if (c == ' ')
                    c = '+';
            out += escaped;
        };
        form_encode(name);
        out += '=';
        form_encode(value);
    }
    return out;
}

Fields parse_query(std::string_view text) {
    if (text.starts_with('?'))
        text.remove_prefix(1);
    Fields fields;
    detail::parse_urlencoded(text, fields);
    return fields;
}

}  // namespace http
