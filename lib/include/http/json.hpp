// JSON request and response bodies with nlohmann-json: read_json() refuses what a handler should
// not have to look at (a body that is not JSON, malformed JSON, nesting deep enough to exhaust
// the stack of recursive code), each with the typed failure a client can read back.
//
// Header-only, so that only programs that include it need nlohmann-json on the include path.
#pragma once

#include <http/failure.hpp>
#include <http/request.hpp>
#include <http/response.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace http {

/// The deepest nesting of arrays and objects read_json() accepts by default. nlohmann-json's
/// parser is iterative, but destroying, copying and dumping a value recurse once per level.
inline constexpr std::size_t default_max_json_depth = 256;

/// True if `content_type` (a Content-Type value) names JSON: application/json or any +json type
/// (RFC 6839), parameters and case aside.
inline bool is_json_media_type(std::string_view content_type) {
    std::string essence;
    for (const char c : content_type.substr(0, content_type.find(';')))
        if (c != ' ' && c != '\t')
            essence += static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    return essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
}

namespace detail {

/// The deepest nesting of arrays and objects in `text`, counted outside strings, stopping once it
/// passes `limit` (the text need not be valid JSON).
inline std::size_t json_depth(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit)
                break;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace detail

/// The request's body as JSON.
///
///     server.on_receive([](http::Request& req, http::Response& res) {
///         nlohmann::json user = http::read_json(req);
///         http::write_json(res, {{"id", 7}, {"name", user.at("name")}}, http::CREATED);
///     });
///
/// Throws http::UnsupportedMediaType (415) when the Content-Type is not JSON (application/json
/// or a +json type), and http::BadRequest (400) when the body is not valid JSON, saying where,
/// or nests deeper than `max_depth`.
inline nlohmann::json read_json(const Request& req, std::size_t max_depth = default_max_json_depth) {
    const std::string_view type = req.headers.get("Content-Type");
    if (!is_json_media_type(type))
        throw UnsupportedMediaType(type.empty() ? "the body must be JSON (Content-Type: application/json)"
                                                : "the body must be JSON, not " + std::string(type));
    if (detail::json_depth(req.body, max_depth) > max_depth)
        throw BadRequest("the JSON body nests deeper than " + std::to_string(max_depth) + " levels");
    try {
        return nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::parse_error& error) {
        // "[json.exception.parse_error.101] parse error at line 1, column 9: ..." without its tag.
        std::string_view what = error.what();
        if (const std::size_t tag_end = what.find("] "); what.starts_with("[json.exception") && tag_end != what.npos)
            what.remove_prefix(tag_end + 2);
        throw BadRequest("the body is not valid JSON: " + std::string(what));
    }
}

/// Sets `status`, Content-Type: application/json and the body to `value` (invalid UTF-8 in
/// strings replaced by U+FFFD rather than thrown on).
inline void write_json(Response& res, const nlohmann::json& value, Status status = Status::OK) {
    res.status = status;
    res.content_type("application/json");
    res.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace http
