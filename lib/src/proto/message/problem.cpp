#include "proto/message/problem.hpp"

#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"

#include <charconv>

namespace http::detail {

namespace {

void append_html_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
}

enum class ProblemFormat { json, html, text };

// The format the client's Accept prefers: problem+json unless it asks only for HTML or text.
ProblemFormat negotiate(std::string_view accept) {
    if (trim_ows(accept).empty())
        return ProblemFormat::json;
    // Quality of each candidate, from the most specific media range that matches it.
    struct Candidate {
        std::string_view type, subtype;
        double q = 0;
        int specificity = -1;
    };
    Candidate candidates[] = {{"application", "problem+json"}, {"text", "html"}, {"text", "plain"}};
    for_each_list_element(accept, [&](std::string_view element) {
        const ParameterizedValue range = parse_parameterized(element);
        double q = 1;
        if (const std::string* value = range.find("q")) {
            q = 0;
            std::from_chars(value->data(), value->data() + value->size(), q);
        }
        const std::size_t slash = range.value.find('/');
        if (slash == std::string_view::npos)
            return;
        const std::string_view type = range.value.substr(0, slash);
        const std::string_view subtype = range.value.substr(slash + 1);
        for (Candidate& c : candidates) {
            int specificity = -1;
            if (iequals(type, c.type) && (iequals(subtype, c.subtype) || (c.subtype == "problem+json" && iequals(subtype, "json"))))
                specificity = 2;
            else if (iequals(type, c.type) && subtype == "*")
                specificity = 1;
            else if (type == "*" && subtype == "*")
                specificity = 0;
            if (specificity > c.specificity) {
                c.specificity = specificity;
                c.q = q;
            }
        }
    });
    // Ties go to problem+json, then HTML.
    ProblemFormat best = ProblemFormat::json;
    double best_q = candidates[0].q;
    if (candidates[1].q > best_q) {
        best = ProblemFormat::html;
        best_q = candidates[1].q;
    }
    if (candidates[2].q > best_q)
        best = ProblemFormat::text;
    return best;
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
    constexpr char hex[] = "0123456789abcdef";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            switch (c) {
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out += hex[byte >> 4];
                out += hex[byte & 15];
            }
        } else {
            out += c;
        }
    }
}

Response failure_response(Status status, std::string_view detail, const std::vector<Failure::Header>& headers,
                          std::string_view accept) {
    Response response;
    response.status = status;
    for (const auto& [name, value] : headers)
        response.headers.add(name, value);
    const std::string title(phrase(status).empty() ? to_string(status_class(status)) : phrase(status));
    const std::string heading = std::to_string(static_cast<unsigned>(status)) + " " + title;
    // A failure thrown without a message has its phrase as detail: the heading says it already.
    const bool repeats_title = detail == title;
    switch (negotiate(accept)) {
    case ProblemFormat::json:
        response.headers.set("Content-Type", "application/problem+json");
        response.body = R"({"type":"about:blank","title":")";
        append_json_escaped(response.body, title);
        response.body += R"(","status":)";
        response.body += std::to_string(static_cast<unsigned>(status));
        response.body += R"(,"detail":")";
        append_json_escaped(response.body, detail);
        response.body += "\"}";
        break;
    case ProblemFormat::html:
        response.headers.set("Content-Type", "text/html; charset=utf-8");
        response.body = "<!DOCTYPE html>\n<html><head><title>";
        append_html_escaped(response.body, heading);
        response.body += "</title></head>\n<body><h1>";
        append_html_escaped(response.body, heading);
        response.body += "</h1>\n";
        if (!repeats_title) {
            response.body += "<p>";
            append_html_escaped(response.body, detail);
            response.body += "</p>";
        }
        response.body += "</body></html>\n";
        break;
    case ProblemFormat::text:
        response.headers.set("Content-Type", "text/plain; charset=utf-8");
        response.body = heading + "\n";
        if (!repeats_title)
            response.body.append("\n").append(detail).append("\n");
        break;
    }
    return response;
}

}  // namespace http::detail
