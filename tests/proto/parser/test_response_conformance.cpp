// llhttp's response cases, run through the client's response parser. Where we differ, the case
// is listed with the RFC reason; every other case must agree.
#include "proto/parser/body_reader.hpp"
#include "proto/parser/response_parser.hpp"

#include "support/conformance.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <vector>

namespace {

using namespace http::detail;

struct Message {
    int status = 0;
    std::string reason, version, headers, body;
};

struct Outcome {
    std::string verdict;
    std::vector<Message> messages;
    ParseError error;
};

// Parses responses one after another as the client reads them; `eof` says the connection ends
// after the input, which completes a close-delimited body.
Outcome parse_all(std::string_view input, bool eof) {
    Outcome out;
    ResponseHeadParser parser;
    BodyReader body;
    while (true) {
        ResponseHead head;
        parser.reset();
        const auto result = parser.parse(input, head);
        if (result == ResponseHeadParser::Result::incomplete) {
            out.verdict = !out.messages.empty() && input.empty() ? "accept" : "incomplete";
            return out;
        }
        if (result == ResponseHeadParser::Result::error) {
            out.verdict = "reject";
            out.error = parser.error();
            return out;
        }
        Message m{head.status, std::string(head.reason), "1." + std::to_string(head.version_minor), "", ""};
        for (const Field& f : head.fields)
            m.headers += std::string(f.name) + ": " + std::string(f.value) + "\n";
        input.remove_prefix(head.size);
        body.start(head.framing, head.content_length, head.until_close);
        std::size_t consumed = 0;
        auto body_result = body.feed(input, consumed, m.body);
        input.remove_prefix(consumed);
        if (body_result == BodyReader::Result::incomplete && eof && input.empty())
            body_result = body.finish();
        for (const Field& f : body.trailers())
            m.headers += std::string(f.name) + ": " + std::string(f.value) + "\n";
        out.messages.push_back(std::move(m));
        if (body_result == BodyReader::Result::error) {
            out.verdict = "reject";
            out.error = body.error();
            return out;
        }
        if (body_result == BodyReader::Result::incomplete) {
            out.verdict = "incomplete";
            return out;
        }
        if (input.empty() || !head.keep_alive) {
            out.verdict = "accept";
            return out;
        }
    }
}

const std::map<std::string, std::pair<std::string, std::string>> policy = {
    {"response/sample.md#RTSP response", {"reject", "RFC 9112 §2.3: an HTTP client does not accept RTSP/1.1"}},
    {"response/sample.md#ICE response", {"reject", "RFC 9112 §2.3: an HTTP client does not accept ICE/1.0"}},
    {"response/sample.md#HTTP version 0.9", {"reject", "HTTP/0.9 has no status line; only HTTP/1.x is spoken"}},
    {"response/connection.md#HTTP/1.1 with keep-alive disabled and 204 status",
     {"accept", "RFC 9112 §9.6: after Connection: close nothing more is read (not an error)"}},
    {"response/connection.md#HTTP/1.1 with keep-alive disabled, content-length",
     {"accept", "RFC 9112 §9.6: after Connection: close nothing more is read (not an error)"}},
    {"response/sample.md#No carriage ret",
     {"incomplete", "RFC 9112 §2.2: LF-only lines are accepted; the body runs to the close, which is not in the input"}},
    {"response/invalid.md#Only LFs present and no body", {"accept", "RFC 9112 §2.2: LF-only lines are accepted"}},
    {"response/invalid.md#Only LFs present",
     {"incomplete", "RFC 9112 §2.2: LF-only lines are accepted; the body runs to the close, which is not in the input"}},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(response_conformance)

BOOST_AUTO_TEST_CASE(llhttp_cases) {
    int agreed = 0, listed = 0;
    std::vector<std::string> unlisted;
    for (const auto& c : test::load_cases("llhttp-responses.json")) {
        const std::string id = c.at("id");
        const std::string raw = test::base64_decode(c.at("raw_b64").get<std::string>());
        const Outcome ours = parse_all(raw, c.value("eof_terminates", false));
        const std::string expected = c.at("expect");
        if (const auto it = policy.find(id); it != policy.end()) {
            ++listed;
            BOOST_TEST_CONTEXT(id << " (" << it->second.second << ")") { BOOST_TEST(ours.verdict == it->second.first); }
            continue;
        }
        BOOST_TEST_CONTEXT(id) {
            if (ours.verdict != expected) {
                unlisted.push_back(id + ": expected " + expected + ", got " + ours.verdict + " (" +
                                   std::string(ours.error.reason) + ")");
                continue;
            }
            ++agreed;
            if (expected != "accept")
                continue;
            const auto messages = c.contains("messages") ? c.at("messages") : nlohmann::json::array({c});
            BOOST_TEST(ours.messages.size() == messages.size());
            for (std::size_t i = 0; i < std::min(messages.size(), ours.messages.size()); ++i) {
                const auto& want = messages[i];
                const Message& got = ours.messages[i];
                BOOST_TEST(got.status == want.at("status").get<int>());
                BOOST_TEST(got.reason == test::latin1_bytes(want.at("reason")));
                BOOST_TEST(got.version == want.at("version").get<std::string>());
                const std::string headers = test::expected_fields(want.at("headers"));
                BOOST_TEST(got.headers == headers);
                if (want.contains("body_b64"))
                    BOOST_TEST(got.body == test::base64_decode(want.at("body_b64").get<std::string>()));
            }
        }
    }
    for (const std::string& line : unlisted)
        BOOST_ERROR("disagreement not in the policy list: " << line);
    BOOST_TEST_MESSAGE(agreed << " cases agree, " << listed << " differ by policy");
    BOOST_TEST(agreed + listed == 74);
}

BOOST_AUTO_TEST_SUITE_END()
