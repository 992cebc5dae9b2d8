// The OpenAPI 3.1 document of a Router's routes, with nlohmann-json:
//
//     router.put("/notes/{id}", update).summary("Replace a note").fails({http::NOT_FOUND}).accepts("application/json");
//     nlohmann::json doc = router.openapi({.title = "Notes", .version = "1.0"});
//
// Each path has its parameters and its operations: the methods registered, and those the router
// answers by itself (HEAD where GET is, OPTIONS with Allow). Each operation documents its success
// (2XX, or 101 for a WebSocket) with the media types the route produces, and a response for each
// failure it declares and for the router's own 405: an application/problem+json body (RFC 9457)
// and the header fields the dataset ties to the status (405: Allow, 429: Retry-After ...).
//
// Header-only, so that only programs that include it need nlohmann-json on the include path.
#pragma once

#include <http/router.hpp>
#include <http/status.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace http {

/// The document's Info object, and where the API is served.
struct OpenApiInfo {
    std::string title;                  ///< required
    std::string version;                ///< the API's version (not OpenAPI's); required
    std::string description{};          ///< CommonMark
    std::vector<std::string> servers{};  ///< base URLs ("https://api.example/v1"); none: relative to the document
};

namespace detail::openapi {

// The methods an OpenAPI 3.1 path item can hold as operations, lower-cased there.
inline constexpr std::array<std::string_view, 8> operation_methods{"GET",    "PUT",     "POST", "DELETE",
                                                                   "OPTIONS", "HEAD", "PATCH", "TRACE"};

inline std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c + ('a' - 'A'));
    return out;
}

// A path parameter, and whether it is a rest parameter ("{name...}": one segment or more).
struct Parameter {
    std::string name;
    bool rest = false;
};

// The OpenAPI template of a pattern (a rest parameter "{name...}" is "{name}"), with `params`
// filled in path order; without the names ("/notes/{}"), the same for patterns that match the
// same paths.
inline std::string path_template(std::string_view pattern, std::vector<Parameter>* params, bool keep_names) {
    std::string out;
    std::size_t at = 0;
    while (at < pattern.size()) {
        const std::size_t open = pattern.find('{', at);
        if (open == std::string_view::npos) {
            out += pattern.substr(at);
            break;
        }
        const std::size_t close = pattern.find('}', open);
        out += pattern.substr(at, open - at);
        std::string_view name = pattern.substr(open + 1, close - open - 1);
        const bool rest = name.ends_with("...");
        if (rest)
            name.remove_suffix(3);
        if (params)
            params->push_back({std::string(name), rest});
        out += keep_names ? "{" + std::string(name) + "}" : (rest ? "{...}" : "{}");
        at = close + 1;
    }
    return out;
}

inline nlohmann::json header_object(std::string_view name, bool required) {
    nlohmann::json header{{"required", required}, {"schema", {{"type", "string"}}}};
    if (name == "Retry-After")
        header["description"] = "Seconds to wait, or an HTTP-date, before trying again";
    return header;
}

inline std::string status_description(Status status) {
    const StatusInfo* info = status_info(status);
    if (!info)
        return std::string(code_text(status));
    return std::string(info->phrase) + ". " + std::string(info->description);
}

// A failure's response: the problem body, and the fields its status calls for.
inline nlohmann::json failure_response(Status status, bool with_content, std::string_view allow = {}) {
    nlohmann::json response{{"description", status_description(status)}};
    nlohmann::json headers = nlohmann::json::object();
    if (const StatusInfo* info = status_info(status))
        for (const StatusHeader& header : info->headers)
            headers[std::string(header.name)] = header_object(header.name, header.required);
    if (!allow.empty() && headers.contains("Allow"))
        headers["Allow"]["example"] = allow;
    if (!headers.empty())
        response["headers"] = std::move(headers);
    if (with_content)
        response["content"] = {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}};
    return response;
}

// RFC 9457's members, as the server writes them (further members allowed).
inline nlohmann::json problem_schema() {
    return {
        {"type", "object"},
        {"description", "Problem details (RFC 9457)"},
        {"properties",
         {
             {"type", {{"type", "string"}, {"format", "uri-reference"}, {"default", "about:blank"}}},
             {"title", {{"type", "string"}}},
             {"status", {{"type", "integer"}, {"minimum", 100}, {"maximum", 599}}},
             {"detail", {{"type", "string"}}},
             {"instance", {{"type", "string"}, {"format", "uri-reference"}}},
         }},
    };
}

struct PathItem {
    std::string path;                          // the OpenAPI template, from the first pattern of the shape
    std::vector<Parameter> params;             // its parameters, in path order
    std::map<std::string, const Route*> methods;  // as registered ("*" for any())
};

inline nlohmann::json operation(const Route& route, bool head, std::string_view allow) {
    nlohmann::json op = nlohmann::json::object();
    if (!route.summary().empty())
        op["summary"] = head ? route.summary() + " (the head only)" : route.summary();
    if (!route.accepts().empty() && !head) {
        nlohmann::json content = nlohmann::json::object();
        for (const std::string& media_type : route.accepts())
            content[media_type] = nlohmann::json::object();
        op["requestBody"] = {{"content", std::move(content)}};
    }
    nlohmann::json responses = nlohmann::json::object();
    if (route.websocket()) {
        responses["101"] = {{"description", "Switching Protocols: the WebSocket handshake is accepted (RFC 6455)"}};
        responses["400"] = failure_response(Status::BAD_REQUEST, true);
        responses["426"] = failure_response(Status::UPGRADE_REQUIRED, true);
    } else {
        nlohmann::json success{{"description", "Success"}};
        if (!route.produces().empty() && !head) {
            nlohmann::json content = nlohmann::json::object();
            for (const std::string& media_type : route.produces())
                content[media_type] = nlohmann::json::object();
            success["content"] = std::move(content);
        }
        responses["2XX"] = std::move(success);
    }
    for (const Status status : route.fails())
        responses[std::string(code_text(status))] = failure_response(status, !head);
    if (!allow.empty())
        responses["405"] = failure_response(Status::METHOD_NOT_ALLOWED, !head, allow);
    op["responses"] = std::move(responses);
    return op;
}

inline nlohmann::json document(const Router& router, const OpenApiInfo& info) {
    if (info.title.empty() || info.version.empty())
        throw std::invalid_argument("http::Router::openapi: the info needs a title and a version");
    // Routes whose patterns match the same paths ("/notes/{id}", "/notes/{name}") are one path
    // item, under the first pattern registered.
    std::vector<PathItem> items;
    std::map<std::string, std::size_t> by_shape;
    for (const Route* route : router.routes()) {
        const std::string shape = path_template(route->pattern(), nullptr, false);
        auto [it, added] = by_shape.try_emplace(shape, items.size());
        if (added) {
            PathItem& item = items.emplace_back();
            item.path = path_template(route->pattern(), &item.params, true);
        }
        for (const std::string& method : route->methods())
            items[it->second].methods.try_emplace(method, route);
    }

    nlohmann::json paths = nlohmann::json::object();
    for (const PathItem& item : items) {
        const auto registered = [&](std::string_view method) { return item.methods.find(std::string(method)); };
        const auto any = registered("*");
        const bool takes_any = any != item.methods.end();
        // Allow as the router answers a 405 here: every method registered, HEAD where GET is, and
        // OPTIONS. With any() there is no 405.
        std::string allow;
        if (!takes_any) {
            std::vector<std::string> allowed{"OPTIONS"};
            for (const auto& [method, route] : item.methods) {
                allowed.push_back(method);
                if (method == "GET")
                    allowed.emplace_back("HEAD");
            }
            std::sort(allowed.begin(), allowed.end());
            allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
            for (const std::string& method : allowed)
                allow += (allow.empty() ? "" : ", ") + method;
        }

        nlohmann::json path_item = nlohmann::json::object();
        for (const std::string_view method : operation_methods) {
            auto it = registered(method);
            bool head = false;
            if (it == item.methods.end() && method == "HEAD" && !takes_any) {
                it = registered("GET");  // HEAD runs the GET handler, with no content
                head = true;
            }
            if (it == item.methods.end() && takes_any)
                it = any;
            if (it != item.methods.end()) {
                path_item[lower(method)] = operation(*it->second, head, allow);
            } else if (method == "OPTIONS") {
                nlohmann::json allow_header = header_object("Allow", true);
                allow_header["example"] = allow;
                path_item["options"] = {
                    {"summary", "The methods of this path, in Allow"},
                    {"responses",
                     {{"204", {{"description", "No Content: the methods in Allow"}, {"headers", {{"Allow", allow_header}}}}}}},
                };
            }
        }
        if (!item.params.empty()) {
            nlohmann::json params = nlohmann::json::array();
            for (const Parameter& parameter : item.params) {
                nlohmann::json param{
                    {"name", parameter.name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
                if (parameter.rest)
                    param["description"] = "The rest of the path: one segment or more, with the '/' between them";
                params.push_back(std::move(param));
            }
            path_item["parameters"] = std::move(params);
        }
        // "/a/{x}" and "/a/{x...}" match different paths but have one template: the first
        // registered keeps the operations both have.
        nlohmann::json& entry = paths[item.path];
        for (auto& [key, value] : path_item.items())
            if (!entry.contains(key))
                entry[key] = std::move(value);
    }

    nlohmann::json doc{
        {"openapi", "3.1.0"},
        {"info", {{"title", info.title}, {"version", info.version}}},
        {"paths", std::move(paths)},
        {"components", {{"schemas", {{"Problem", problem_schema()}}}}},
    };
    if (!info.description.empty())
        doc["info"]["description"] = info.description;
    if (!info.servers.empty()) {
        nlohmann::json servers = nlohmann::json::array();
        for (const std::string& url : info.servers)
            servers.push_back({{"url", url}});
        doc["servers"] = std::move(servers);
    }
    return doc;
}

}  // namespace detail::openapi

template <class Info>
auto Router::openapi(const Info& info) const {
    static_assert(std::is_same_v<Info, OpenApiInfo>, "router.openapi() takes an http::OpenApiInfo");
    return detail::openapi::document(*this, info);
}

}  // namespace http
