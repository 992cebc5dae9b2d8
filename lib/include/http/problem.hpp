// http::Problem: the members of an RFC 9457 problem details object, as a failure carries them to
// the response (application/problem+json) and as the client reads them back.
#pragma once

#include <http/status.hpp>

#include <map>
#include <string>

namespace http {

/// RFC 9457 problem details. A handler fills in what it knows before throwing; the server
/// writes the rest (title = the phrase, status, detail = the failure's message):
///
///     auto e = http::Forbidden("no credit");
///     e.problem().type = "https://example.com/probs/out-of-credit";
///     e.problem().extensions["balance"] = "30";          // JSON text: a number
///     e.problem().extensions["accounts"] = R"(["/account/12345"])";
///     throw e;
struct Problem {
    std::string type = "about:blank";  ///< a URI reference naming the problem type
    std::string title;                 ///< short, the same for every occurrence of the type
    Status status{};                   ///< the response's status; 0 when absent
    std::string detail;                ///< this occurrence, for people
    std::string instance;              ///< a URI reference naming this occurrence
    /// Further members: name -> the member's JSON text ("30", "\"text\"", "[1,2]"). Text that is
    /// not a JSON value is written as a JSON string.
    std::map<std::string, std::string> extensions;

    friend bool operator==(const Problem&, const Problem&) = default;
};

}  // namespace http
