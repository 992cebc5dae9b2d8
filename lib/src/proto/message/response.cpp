#include <http/failure.hpp>
#include <http/response.hpp>

#include <optional>
#include <stdexcept>

namespace http {

void Response::redirect(std::string location, Status redirect_status) {
    if (!is_redirection(redirect_status))
        throw std::invalid_argument("http::Response::redirect: " + to_string(redirect_status) + " is not a 3xx status");
    if (location.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        throw std::invalid_argument("http::Response::redirect: location contains CR, LF or NUL");
    headers.set("Location", std::move(location));
    status = redirect_status;
    body.clear();
}

namespace {

// The string value of `key` in a top-level JSON object (an RFC 9457 problem's "detail"), or
// nullopt. Skips other members, strings with escapes included; decodes \uXXXX to UTF-8.
std::optional<std::string> json_string_member(std::string_view json, std::string_view key) {
    std::size_t i = 0;
    auto skip_space = [&] {
        while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r'))
            ++i;
    };
    auto read_string = [&](std::string* out) -> bool {  // at '"'
        ++i;
        while (i < json.size() && json[i] != '"') {
            char c = json[i++];
            if (c == '\\') {
                if (i >= json.size())
                    return false;
                const char e = json[i++];
                unsigned code = 0;
                switch (e) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'u':
                    if (i + 4 > json.size())
                        return false;
                    for (int k = 0; k < 4; ++k) {
                        const char h = json[i++];
                        code = code * 16 + static_cast<unsigned>(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
                    }
                    if (out) {
                        if (code < 0x80) {
                            *out += static_cast<char>(code);
                        } else if (code < 0x800) {
                            *out += static_cast<char>(0xc0 | (code >> 6));
                            *out += static_cast<char>(0x80 | (code & 0x3f));
                        } else {
                            *out += static_cast<char>(0xe0 | (code >> 12));
                            *out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
                            *out += static_cast<char>(0x80 | (code & 0x3f));
                        }
                    }
                    continue;
                default: c = e;
                }
            }
            if (out)
                *out += c;
        }
        if (i >= json.size())
            return false;
        ++i;
        return true;
    };
    auto skip_value = [&]() -> bool {
        skip_space();
        if (i < json.size() && json[i] == '"')
            return read_string(nullptr);
        int depth = 0;
        while (i < json.size()) {
            const char c = json[i];
            if (c == '"') {
                if (!read_string(nullptr))
                    return false;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if (c == '}' || c == ']') {
                if (depth == 0)
                    return true;
                --depth;
            } else if (c == ',' && depth == 0)
                return true;
            ++i;
        }
        return false;
    };
    skip_space();
    if (i >= json.size() || json[i] != '{')
        return std::nullopt;
    ++i;
    while (true) {
        skip_space();
        if (i >= json.size() || json[i] != '"')
            return std::nullopt;
        std::string name;
        if (!read_string(&name))
            return std::nullopt;
        skip_space();
        if (i >= json.size() || json[i] != ':')
            return std::nullopt;
        ++i;
        skip_space();
        if (name == key) {
            std::string value;
            if (i < json.size() && json[i] == '"' && read_string(&value))
                return value;
            return std::nullopt;
        }
        if (!skip_value())
            return std::nullopt;
        skip_space();
        if (i >= json.size() || json[i] != ',')
            return std::nullopt;
        ++i;
    }
}

}  // namespace

void Response::raise_for_status() const {
    if (!is_client_error(status) && !is_server_error(status))
        return;
    // The server's own words when it gave them: an RFC 9457 problem's detail, or a short,
    // single-line text body. Otherwise the phrase.
    std::string message;
    const std::string_view type = headers.get("Content-Type");
    if (type.starts_with("application/problem+json")) {
        if (auto detail = json_string_member(body, "detail"))
            message = std::move(*detail);
    } else if (body.size() <= 200 && body.find('\n') == std::string::npos && type.starts_with("text/plain")) {
        message = body;
    }
    throw_failure(static_cast<unsigned>(status) > 599 ? Status::INTERNAL_SERVER_ERROR : status, std::move(message));
}

}  // namespace http
