#include "proto/message/problem.hpp"

#include "proto/message/negotiate.hpp"
#include "proto/parser/char_class.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace http::detail {

namespace {

enum class ProblemFormat { json, html, text };

// The format the client's Accept prefers: problem+json unless it asks only for HTML or text
// (a range for application/json counts for problem+json too).
ProblemFormat negotiate(std::string_view accept) {
    static constexpr std::string_view candidates[] = {"application/problem+json", "application/json", "text/html",
                                                      "text/plain"};
    switch (choose_media_type(accept, candidates)) {
    case 2: return ProblemFormat::html;
    case 3: return ProblemFormat::text;
    default: return ProblemFormat::json;
    }
}

constexpr std::string_view standard_members[] = {"type", "title", "status", "detail", "instance"};

// A JSON text scanner for what a problem holds: skips values, decodes strings. Iterative, with a
// bound on nesting, so that no input can exhaust the stack.
class JsonScanner {
public:
    explicit JsonScanner(std::string_view text) : text_(text) {}

    std::size_t position() const noexcept { return i_; }
    bool at_end() {
        skip_space();
        return i_ == text_.size();
    }
    bool consume(char c) {
        skip_space();
        if (i_ < text_.size() && text_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    bool peek(char c) {
        skip_space();
        return i_ < text_.size() && text_[i_] == c;
    }

    /// A string at the current position, decoded to UTF-8 into `out` (may be null).
    bool string(std::string* out) {
        if (!consume('"'))
            return false;
        while (i_ < text_.size()) {
            const char c = text_[i_++];
            if (c == '"')
                return true;
            if (static_cast<unsigned char>(c) < 0x20)
                return false;
            if (c != '\\') {
                if (out)
                    *out += c;
                continue;
            }
            if (i_ >= text_.size())
                return false;
            const char e = text_[i_++];
            char plain = 0;
            switch (e) {
            case '"': plain = '"'; break;
            case '\\': plain = '\\'; break;
            case '/': plain = '/'; break;
            case 'b': plain = '\b'; break;
            case 'f': plain = '\f'; break;
            case 'n': plain = '\n'; break;
            case 'r': plain = '\r'; break;
            case 't': plain = '\t'; break;
            case 'u': {
                unsigned code = 0;
                if (!hex4(code))
                    return false;
                if (code >= 0xd800 && code < 0xdc00) {  // a surrogate pair
                    unsigned low = 0;
                    if (text_.substr(i_, 2) != "\\u" || (i_ += 2, !hex4(low)) || low < 0xdc00 || low > 0xdfff)
                        return false;
                    code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                } else if (code >= 0xdc00 && code < 0xe000) {
                    return false;
                }
                if (out)
                    append_utf8(*out, code);
                continue;
            }
            default:
                return false;
            }
            if (out)
                *out += plain;
        }
        return false;
    }

    /// Skips one value of any kind.
    bool value() {
        std::uint64_t objects = 0;  // bit d: the container at depth d + 1 is an object
        int depth = 0;
        while (true) {
            // A value starts here.
            skip_space();
            if (i_ >= text_.size())
                return false;
            const char c = text_[i_];
            if (c == '{' || c == '[') {
                if (depth == max_depth)
                    return false;
                ++i_;
                const bool object = c == '{';
                objects = object ? objects | (std::uint64_t{1} << depth) : objects & ~(std::uint64_t{1} << depth);
                ++depth;
                if (!consume(object ? '}' : ']')) {
                    if (object && !member_name())
                        return false;
                    continue;  // the first element's value
                }
                --depth;
            } else if (c == '"') {
                if (!string(nullptr))
                    return false;
            } else if (!scalar()) {
                return false;
            }
            // After a value: the next element of the enclosing container, or its end (or several).
            while (true) {
                if (depth == 0)
                    return true;
                const bool object = (objects >> (depth - 1)) & 1;
                if (consume(',')) {
                    if (object && !member_name())
                        return false;
                    break;
                }
                if (!consume(object ? '}' : ']'))
                    return false;
                --depth;
            }
        }
    }

private:
    static constexpr int max_depth = 64;

    void skip_space() {
        while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r'))
            ++i_;
    }
    bool hex4(unsigned& code) {
        if (i_ + 4 > text_.size())
            return false;
        for (int k = 0; k < 4; ++k) {
            const int digit = hex_value(text_[i_++]);
            if (digit < 0)
                return false;
            code = code * 16 + static_cast<unsigned>(digit);
        }
        return true;
    }
    static void append_utf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xc0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3f));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xe0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (code & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (code & 0x3f));
        }
    }
    bool member_name() { return string(nullptr) && consume(':'); }
    // true, false, null or a number (RFC 8259, Section 6).
    bool scalar() {
        for (const std::string_view word : {"true", "false", "null"})
            if (text_.substr(i_, word.size()) == word) {
                i_ += word.size();
                return true;
            }
        const std::size_t start = i_;
        if (i_ < text_.size() && text_[i_] == '-')
            ++i_;
        if (i_ < text_.size() && text_[i_] == '0')
            ++i_;
        else if (!digits())
            return false;
        if (i_ < text_.size() && text_[i_] == '.' && (++i_, !digits()))
            return false;
        if (i_ < text_.size() && (text_[i_] == 'e' || text_[i_] == 'E')) {
            ++i_;
            if (i_ < text_.size() && (text_[i_] == '+' || text_[i_] == '-'))
                ++i_;
            if (!digits())
                return false;
        }
        return i_ > start;
    }
    bool digits() {
        const std::size_t start = i_;
        while (i_ < text_.size() && text_[i_] >= '0' && text_[i_] <= '9')
            ++i_;
        return i_ > start;
    }

    std::string_view text_;
    std::size_t i_ = 0;
};

std::string heading_of(Status status, const Problem& problem) {
    std::string heading = std::to_string(static_cast<unsigned>(status));
    if (!problem.title.empty())
        heading.append(" ").append(problem.title);
    else if (const std::string_view p = phrase(status); !p.empty())
        heading.append(" ").append(p);
    return heading;
}

// Fields about the content a failure's answer replaces, or about the connection: not kept.
bool describes_replaced_content(std::string_view name, Status answer) {
    // A 304 answers for the content the handler had selected (RFC 9110, Section 15.4.5): its
    // validators and Content-Location still hold.
    if (answer == Status::NOT_MODIFIED &&
        (iequals(name, "ETag") || iequals(name, "Last-Modified") || iequals(name, "Content-Location")))
        return false;
    static constexpr std::string_view replaced[] = {
        "Content-Type", "Content-Length",   "Content-Encoding", "Content-Language", "Content-Location",
        "Content-Range", "Content-Disposition", "Content-Digest", "Repr-Digest", "Digest", "Content-MD5",
        "ETag", "Last-Modified", "Transfer-Encoding", "Trailer", "Connection", "Upgrade", "Date",
        "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"};
    return std::any_of(std::begin(replaced), std::end(replaced), [&](std::string_view r) { return iequals(name, r); });
}

}  // namespace

void keep_earlier_fields(Response& answer, const Response& before) {
    if (before.headers.empty() && before.cookies.empty())
        return;
    Headers fields;
    fields.reserve(before.headers.size() + answer.headers.size());
    for (const auto& [name, value] : before.headers)
        if (!describes_replaced_content(name, answer.status) &&
            (iequals(name, "Set-Cookie") || !answer.headers.contains(name)))
            fields.add(name, value);
    for (auto& field : answer.headers)
        fields.add(std::move(field.first), std::move(field.second));
    answer.headers = std::move(fields);
    answer.cookies.insert(answer.cookies.begin(), before.cookies.begin(), before.cookies.end());
}

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

bool is_json_value(std::string_view text) {
    JsonScanner scanner(text);
    return scanner.value() && scanner.at_end();
}

void write_problem_json(const Problem& problem, Status status, std::string& out) {
    auto member = [&out](std::string_view name, std::string_view text) {
        out += out.back() == '{' ? "\"" : ",\"";
        append_json_escaped(out, name);
        out += "\":\"";
        append_json_escaped(out, text);
        out += '"';
    };
    out += '{';
    member("type", problem.type.empty() ? std::string_view("about:blank") : std::string_view(problem.type));
    if (const std::string_view title = problem.title.empty() ? phrase(status) : std::string_view(problem.title);
        !title.empty())
        member("title", title);
    out += ",\"status\":";
    out += std::to_string(static_cast<unsigned>(status));
    if (!problem.detail.empty())
        member("detail", problem.detail);
    if (!problem.instance.empty())
        member("instance", problem.instance);
    for (const auto& [name, text] : problem.extensions) {
        if (std::find(std::begin(standard_members), std::end(standard_members), name) != std::end(standard_members))
            continue;  // one member, one meaning
        if (!is_json_value(text)) {
            member(name, text);  // not JSON: sent as the string it is
            continue;
        }
        out += ",\"";
        append_json_escaped(out, name);
        out += "\":";
        out += trim_json_space(text);
    }
    out += '}';
}

std::string_view trim_json_space(std::string_view text) noexcept {
    constexpr std::string_view space = " \t\r\n";
    const std::size_t first = text.find_first_not_of(space);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(space) - first + 1);
}

std::optional<Problem> read_problem_json(std::string_view body) {
    JsonScanner scanner(body);
    if (!scanner.consume('{'))
        return std::nullopt;
    Problem problem;
    problem.type.clear();  // absent unless the body says it (RFC 9457: then "about:blank")
    bool first = true;
    while (!scanner.consume('}')) {
        if (!first && !scanner.consume(','))
            return std::nullopt;
        first = false;
        std::string name;
        if (!scanner.string(&name) || !scanner.consume(':'))
            return std::nullopt;
        const std::size_t start = scanner.position();
        std::string text;
        std::string* target = name == "type" ? &problem.type : name == "title" ? &problem.title
                            : name == "detail" ? &problem.detail : name == "instance" ? &problem.instance : nullptr;
        if (target && scanner.peek('"')) {
            if (!scanner.string(target))
                return std::nullopt;
            continue;
        }
        if (!scanner.value())
            return std::nullopt;
        const std::string_view raw = trim_json_space(body.substr(start, scanner.position() - start));
        if (name == "status") {
            unsigned code = 0;
            const auto [end, error] = std::from_chars(raw.data(), raw.data() + raw.size(), code);
            if (error == std::errc{} && end == raw.data() + raw.size() && code >= 100 && code <= 999)
                problem.status = static_cast<Status>(code);
        } else if (!target) {
            problem.extensions[std::move(name)] = std::string(raw);
        }
        // A standard member of the wrong type is ignored, as RFC 9457 (Section 3.1) asks.
    }
    if (!scanner.at_end())
        return std::nullopt;
    if (problem.type.empty())
        problem.type = "about:blank";
    return problem;
}

Response failure_response(const Failure& failure, std::string_view accept) {
    return problem_response(failure.status(), failure.problem(), failure.headers(), accept);
}

Response failure_response(Status status, std::string_view detail, std::string_view accept) {
    Problem problem;
    problem.title = std::string(phrase(status));
    problem.status = status;
    problem.detail = std::string(detail);
    return problem_response(status, problem, {}, accept);
}

Response problem_response(Status status, const Problem& problem, const Headers& headers, std::string_view accept) {
    Response response;
    response.status = status;
    response.headers = headers;
    const std::string heading = heading_of(status, problem);
    // A failure thrown without a message has its phrase as detail: the heading says it already.
    const bool repeats_title = problem.detail.empty() || problem.detail == problem.title ||
                               problem.detail == phrase(status);
    switch (negotiate(accept)) {
    case ProblemFormat::json:
        response.headers.set("Content-Type", "application/problem+json");
        write_problem_json(problem, status, response.body);
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
            append_html_escaped(response.body, problem.detail);
            response.body += "</p>";
        }
        response.body += "</body></html>\n";
        break;
    case ProblemFormat::text:
        response.headers.set("Content-Type", "text/plain; charset=utf-8");
        response.body = heading + "\n";
        if (!repeats_title)
            response.body.append("\n").append(problem.detail).append("\n");
        break;
    }
    return response;
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

}  // namespace http::detail
