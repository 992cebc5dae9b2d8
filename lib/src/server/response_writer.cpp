#include "server/response_writer.hpp"

#include "common/http_date.hpp"
#include "common/parameters.hpp"
#include "parser/char_class.hpp"
#include "parser/request_parser.hpp"

#include <charconv>
#include <stdexcept>

namespace http::detail {

namespace {

bool has_no_body(Status status) {
    const auto code = static_cast<unsigned>(status);
    return code < 200 || code == 204 || code == 304;
}

void append_number(std::string& out, std::uint64_t n) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, n);
    out.append(digits, result.ptr);
}

void check_field(std::string_view name, std::string_view value) {
    if (!is_token(name))
        throw std::invalid_argument("http::Response: header name '" + std::string(name) + "' is not a token");
    for (const char c : value)
        if (c == '\r' || c == '\n' || c == '\0')
            throw std::invalid_argument("http::Response: value of header '" + std::string(name) +
                                        "' contains CR, LF or NUL");
}

// Fields the server writes itself, from the response's framing.
bool is_framing_field(std::string_view name) {
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection") ||
           iequals(name, "date");
}

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

bool serialize_response(const Response& response, const ResponseFraming& framing, std::string& out) {
    const auto code = static_cast<unsigned>(response.status);
    if (code < 100 || code > 999)
        throw std::invalid_argument("http::Response: status " + std::to_string(code) + " is not a three-digit code");
    for (const auto& [name, value] : response.headers)
        check_field(name, value);
    for (const std::string& cookie : response.cookies)
        check_field("Set-Cookie", cookie);

    out += "HTTP/1.1 ";
    append_number(out, code);
    out += ' ';
    out += phrase(response.status);
    out += "\r\nDate: ";
    out += current_http_date();
    out += "\r\n";

    bool has_content_type = false;
    std::string_view declared_length;
    for (const auto& [name, value] : response.headers) {
        if (is_framing_field(name)) {
            if (iequals(name, "content-length"))
                declared_length = value;
            continue;
        }
        if (!has_content_type && iequals(name, "content-type"))
            has_content_type = true;
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    for (const std::string& cookie : response.cookies) {
        out += "Set-Cookie: ";
        out += cookie;
        out += "\r\n";
    }

    const bool no_body = has_no_body(response.status);
    if (!no_body) {
        if (!has_content_type && !response.body.empty())
            out += "Content-Type: text/plain; charset=utf-8\r\n";
        // A HEAD handler may announce the length of what GET would send without producing it.
        std::uint64_t declared = 0;
        const bool keep_declared = framing.head_request && response.body.empty() &&
                                   parse_content_length(declared_length, declared);
        out += "Content-Length: ";
        if (keep_declared)
            out += declared_length;
        else
            append_number(out, response.body.size());
        out += "\r\n";
    }
    if (!framing.keep_alive)
        out += "Connection: close\r\n";
    else if (framing.version_minor == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";

    if (no_body || framing.head_request)
        return false;
    if (response.body.size() > inline_body_limit)
        return true;
    out += response.body;
    return false;
}

Response failure_response(Status status, std::string_view detail, const std::vector<Failure::Header>& headers,
                          std::string_view accept) {
    Response response;
    response.status = status;
    for (const auto& [name, value] : headers)
        response.headers.add(name, value);
    const std::string title(phrase(status).empty() ? to_string(status_class(status)) : phrase(status));
    const std::string heading = std::to_string(static_cast<unsigned>(status)) + " " + title;
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
        response.body += "</h1>\n<p>";
        append_html_escaped(response.body, detail);
        response.body += "</p></body></html>\n";
        break;
    case ProblemFormat::text:
        response.headers.set("Content-Type", "text/plain; charset=utf-8");
        response.body = heading + "\n\n" + std::string(detail) + "\n";
        break;
    }
    return response;
}

}  // namespace http::detail
