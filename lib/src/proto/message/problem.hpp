// Failures as responses, and responses as failures: RFC 9457 problem details written as
// application/problem+json (or HTML or plain text when the client's Accept asks only for those),
// and read back by the client.
#pragma once

#include <http/failure.hpp>
#include <http/headers.hpp>
#include <http/problem.hpp>
#include <http/response.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace http::detail {

/// The response for a failure: its status, its header fields, and its problem.
Response failure_response(const Failure& failure, std::string_view accept);
/// The response for a refusal of the server's own (a malformed request, a handler's exception).
Response failure_response(Status status, std::string_view detail, std::string_view accept);
/// A response with `status`, `headers`, and `problem` as problem+json, HTML or plain text, as
/// `accept` prefers (problem+json unless it asks only for the others).
Response problem_response(Status status, const Problem& problem, const Headers& headers, std::string_view accept);

/// Gives `answer`, the response made for a failure, the fields `before` held when the failure
/// was thrown (CORS, Vary, rate-limit fields, cookies a middleware or handler set), so that no
/// failure loses them. Left behind: what described the content the answer replaces
/// (Content-Type, Content-Length, Content-Encoding, Content-Range ..., and its validators ETag and
/// Last-Modified, which a 304 keeps since it answers for that content), the framing, a WebSocket
/// handshake's answer, and any field the answer sets itself (Allow, Retry-After ...).
void keep_earlier_fields(Response& answer, const Response& before);

/// Appends `problem` as an application/problem+json object: type ("about:blank" if empty),
/// title (the phrase if empty), status (always `status`), detail and instance unless empty, then
/// the extensions (one that is not a JSON value goes as a string; one named like a standard member
/// is left out).
void write_problem_json(const Problem& problem, Status status, std::string& out);

/// Reads an application/problem+json body. nullopt unless it is one well-formed JSON object;
/// members of the wrong type are ignored (RFC 9457, Section 3.1); other members go to
/// `extensions` as their JSON text.
std::optional<Problem> read_problem_json(std::string_view body);

/// True if `text` is exactly one JSON value (RFC 8259), whitespace around it aside.
bool is_json_value(std::string_view text);
/// `text` without the JSON whitespace around it.
std::string_view trim_json_space(std::string_view text) noexcept;

/// JSON string contents: quotes, backslashes and control characters escaped.
void append_json_escaped(std::string& out, std::string_view text);
/// HTML text or attribute contents: < > & " ' escaped.
void append_html_escaped(std::string& out, std::string_view text);

}  // namespace http::detail
