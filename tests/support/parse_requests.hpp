// Requests parsed from a byte string the way the server reads them: head, body by its framing,
// one request after another, stopping after one that ends the connection (RFC 9112, Section 9.6).
// Shared by the conformance test and the differential fuzzer.
#pragma once

#include "proto/parser/body_reader.hpp"
#include "proto/parser/request_parser.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace test {

struct ParsedRequest {
    std::string method, url, version, body;
    std::string headers;  // "name: value\n" per field, trailers after the header fields
    bool keep_alive = true;
};

struct ParsedRequests {
    enum Verdict { accept, reject, incomplete } verdict = incomplete;
    std::vector<ParsedRequest> messages;
    http::detail::ParseError error;
};

inline ParsedRequests parse_requests(std::string_view input, bool require_host, bool one_pass_lines = true) {
    using namespace http::detail;
    ParsedRequests out;
    HeadRules rules;
    rules.require_host = require_host;
    rules.one_pass_lines = one_pass_lines;
    RequestHeadParser parser(rules);
    BodyReader body;
    while (true) {
        RequestHead head;
        parser.reset();
        const auto result = parser.parse(input, head);
        if (result == RequestHeadParser::Result::incomplete) {
            // Empty lines after the last request are what a next request may begin with.
            const bool only_empty_lines = input.find_first_not_of("\r\n") == std::string_view::npos;
            out.verdict = !out.messages.empty() && only_empty_lines ? ParsedRequests::accept : ParsedRequests::incomplete;
            return out;
        }
        if (result == RequestHeadParser::Result::error) {
            out.verdict = ParsedRequests::reject;
            out.error = parser.error();
            return out;
        }
        ParsedRequest m{std::string(head.method), std::string(head.target), "1." + std::to_string(head.version_minor),
                        "", "", head.keep_alive};
        for (const Field& f : head.fields)
            m.headers += std::string(f.name) + ": " + std::string(f.value) + "\n";
        input.remove_prefix(head.size);
        body.start(head.framing, head.content_length);
        std::size_t consumed = 0;
        const auto body_result = body.feed(input, consumed, m.body);
        input.remove_prefix(consumed);
        for (const Field& f : body.trailers())
            m.headers += std::string(f.name) + ": " + std::string(f.value) + "\n";
        out.messages.push_back(std::move(m));
        if (body_result == BodyReader::Result::error) {
            out.verdict = ParsedRequests::reject;
            out.error = body.error();
            return out;
        }
        if (body_result == BodyReader::Result::incomplete) {
            out.verdict = ParsedRequests::incomplete;
            return out;
        }
        if (input.empty() || !head.keep_alive) {
            out.verdict = ParsedRequests::accept;
            return out;
        }
    }
}

inline const char* verdict_name(ParsedRequests::Verdict v) {
    return v == ParsedRequests::accept ? "accept" : v == ParsedRequests::reject ? "reject" : "incomplete";
}

}  // namespace test
