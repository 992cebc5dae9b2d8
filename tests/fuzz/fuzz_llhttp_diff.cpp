// Differential fuzzing: the same bytes through httpkit's request parser and llhttp (strict mode).
// When both accept, they must agree on method, target, fields and body. When only one accepts,
// the difference must be one of the documented policies (docs/PARSER.md), recognised by each
// side's reason; anything else stops the run as a finding.
#include "fuzz.hpp"

#include "support/parse_requests.hpp"

#include <llhttp.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace http::detail;

namespace {

struct Message {
    std::string method, url, headers, body;
    int minor = 1;
    bool keep_alive = true;
};

struct Outcome {
    enum Verdict { accept, reject, incomplete, skipped } verdict = incomplete;
    std::vector<Message> messages;
    std::string reason;
};

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.pop_back();
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.erase(0, 1);
    return s;
}

// --- httpkit, as the server reads requests (tests/support/parse_requests.hpp) ------------

Outcome ours(std::string_view input) {
    const test::ParsedRequests parsed = test::parse_requests(input, false);  // llhttp leaves Host to the server
    Outcome out;
    out.verdict = parsed.verdict == test::ParsedRequests::accept   ? Outcome::accept
                  : parsed.verdict == test::ParsedRequests::reject ? Outcome::reject
                                                                   : Outcome::incomplete;
    out.reason = std::string(parsed.error.reason);
    for (const test::ParsedRequest& m : parsed.messages)
        out.messages.push_back({m.method, m.url, m.headers, m.body, m.version == "1.0" ? 0 : 1, m.keep_alive});
    return out;
}

// --- llhttp --------------------------------------------------------------------------------

struct State {
    std::vector<Message> messages;
    std::string field, value;
    bool in_value = false;
    bool in_message = false;
};

State& state(llhttp_t* p) { return *static_cast<State*>(p->data); }

void flush_field(State& s) {
    if (s.in_value)
        s.messages.back().headers += s.field + ": " + trim(s.value) + "\n";
    s.field.clear();
    s.value.clear();
    s.in_value = false;
}

Outcome theirs(std::string_view input) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_message_begin = [](llhttp_t* p) {
        state(p).messages.emplace_back();
        state(p).in_message = true;
        return 0;
    };
    settings.on_url = [](llhttp_t* p, const char* at, std::size_t n) {
        state(p).messages.back().url.append(at, n);
        return 0;
    };
    settings.on_method = [](llhttp_t* p, const char* at, std::size_t n) {
        state(p).messages.back().method.append(at, n);
        return 0;
    };
    settings.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) {
        State& s = state(p);
        if (s.in_value)
            flush_field(s);
        s.field.append(at, n);
        return 0;
    };
    settings.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) {
        State& s = state(p);
        s.in_value = true;
        s.value.append(at, n);
        return 0;
    };
    settings.on_headers_complete = [](llhttp_t* p) {
        flush_field(state(p));
        state(p).messages.back().minor = p->http_minor;
        state(p).messages.back().keep_alive = llhttp_should_keep_alive(p);
        return 0;
    };
    settings.on_body = [](llhttp_t* p, const char* at, std::size_t n) {
        state(p).messages.back().body.append(at, n);
        return 0;
    };
    settings.on_message_complete = [](llhttp_t* p) {
        flush_field(state(p));  // trailers
        state(p).in_message = false;
        return 0;
    };
    State s;
    llhttp_t parser;
    llhttp_init(&parser, HTTP_REQUEST, &settings);
    parser.data = &s;
    const llhttp_errno_t error = llhttp_execute(&parser, input.data(), input.size());
    Outcome out;
    out.messages = std::move(s.messages);
    if (error == HPE_PAUSED_UPGRADE || error == HPE_PAUSED || parser.upgrade) {
        out.verdict = Outcome::skipped;  // CONNECT and Upgrade hand the connection over
    } else if (error != HPE_OK) {
        out.verdict = Outcome::reject;
        out.reason = llhttp_get_error_reason(&parser);
    } else {
        out.verdict = s.in_message || out.messages.empty() ? Outcome::incomplete : Outcome::accept;
    }
    if (!s.in_message && !out.messages.empty() && out.verdict != Outcome::reject)
        out.verdict = Outcome::accept;
    return out;
}

bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// Disagreements on acceptance that follow from a documented policy (docs/PARSER.md).
bool explained(std::string_view input, const Outcome& a, const Outcome& b) {
    // One decided, the other still waiting for more: httpkit judges a line when its LF arrives,
    // llhttp byte by byte. When and not what: the bytes that follow settle it.
    if (a.verdict == Outcome::incomplete || b.verdict == Outcome::incomplete)
        return true;
    if (a.verdict == Outcome::reject && b.verdict != Outcome::reject) {
        // Stricter than llhttp, by the RFCs.
        for (const char* reason :
             {// RFC 9112 §2.3, §3: the request-line's syntax, version and target forms.
              "invalid HTTP version", "only HTTP/1.x is supported", "asterisk-form is only for OPTIONS",
              "userinfo in request-target", "invalid authority in request-target", "invalid character in request-target",
              "missing request-target", "invalid request-target", "invalid scheme in request-target",
              "CONNECT needs an authority-form target", "empty method", "invalid request-line",
              "invalid character in method",
              // RFC 9112 §2.2, §5: line ends and field syntax.
              "mixed CRLF and LF line ends", "obsolete line folding is not accepted", "bare CR in header section",
              "bare CR in field value", "empty field name", "whitespace between field name and colon",
              "invalid character in field name", "invalid character in field value", "NUL in field value",
              "bare CR before the start-line", "too many empty lines before the start-line",
              // RFC 9112 §6, §7.1: framing, chunk lines strictly CRLF.
              "unsupported transfer coding", "chunked is not the final transfer coding", "invalid Transfer-Encoding",
              "chunked applied more than once", "both Transfer-Encoding and Content-Length",
              "Transfer-Encoding in an HTTP/1.0 request", "invalid or conflicting Content-Length",
              "invalid chunk extension", "chunk-size line must end in CRLF", "bare CR in chunk-size line",
              "chunk data longer than its size", "bare CR after chunk data", "chunk size overflows",
              "invalid chunk size",
              // RFC 9110 §7.2, §10.1.1.
              "invalid Host", "more than one Host", "only 100-continue can be expected",
              // Configurable limits.
              "header section too large", "request-target too long", "too many header fields",
              "chunk-size line too long", "chunk extensions too long", "trailer section too large",
              "trailer lines must end in CRLF", "field lines here must end in CRLF"})
            if (a.reason == reason)
                return true;
        return false;
    }
    if (b.verdict == Outcome::reject && a.verdict != Outcome::reject) {
        // A head whose lines end in LF alone (RFC 9112 §2.2 lets a recipient accept them), after
        // any empty lines before its request-line (skipped, whatever their line ends: §2.2).
        const std::size_t head_start = input.find_first_not_of("\r\n");
        const std::size_t first_lf = input.find('\n', head_start == std::string_view::npos ? 0 : head_start);
        if (first_lf != std::string_view::npos && (first_lf == 0 || input[first_lf - 1] != '\r'))
            return true;
        // httpkit read no further after a message that ends the connection (RFC 9112, Section 9.6).
        if (a.verdict == Outcome::accept && !a.messages.empty() && !a.messages.back().keep_alive)
            return true;
        // llhttp is stricter where the RFCs allow more: method tokens it does not know (RFC 9110
        // §9.1), LF-only line ends (RFC 9112 §2.2), any URI scheme syntax (RFC 3986 §3.1), and
        // trailer fields, which httpkit keeps apart rather than interpreting (RFC 9110 §6.5.1).
        for (const char* reason : {"Invalid method encountered", "Expected space after method",
                                   "Invalid method for HTTP/x.x request", "Expected SOURCE method for ICE/x.x request",
                                   "Invalid method for RTSP/x.x request", "Expected CRLF after version",
                                   "Invalid HTTP version",  // HTTP/1.2-1.9 are served as 1.1 (RFC 9110 §2.5)
                                   "Missing expected CR after header value", "Missing expected LF after header value",
                                   "Expected LF after headers", "Missing expected CR after response line",
                                   "Unexpected char in url schema", "Invalid `Transfer-Encoding` header value",
                                   "Invalid character in Content-Length", "Duplicate Content-Length",
                                   "Content-Length overflow", "Data after `Connection: close`",
                                   // a fragment after an absolute-form authority, which httpkit strips
                                   "Unexpected char in url server",
                                   // BWS in chunk extensions, which a recipient must accept (RFC 9110 §5.6.3),
                                   // and obs-text in their quoted values (RFC 9110 §5.6.4)
                                   "Invalid character in chunk extensions", "Invalid character in chunk size",
                                   // whitespace around a Transfer-Encoding value, which is not part of it
                                   // (RFC 9110 §5.5)
                                   "Request has invalid `Transfer-Encoding`"})
            if (has(b.reason, reason))
                return true;
        (void)input;
        return false;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const Outcome a = ours(input);
    const Outcome b = theirs(input);
    if (b.verdict == Outcome::skipped)
        return 0;
    if (a.verdict == Outcome::accept && b.verdict == Outcome::accept) {
        // httpkit stops after a message that ends the connection; llhttp may have read on.
        const std::size_t n = std::min(a.messages.size(), b.messages.size());
        for (std::size_t i = 0; i < n; ++i) {
            if (std::getenv("HTTPKIT_DIFF_SURVEY") && (a.messages[i].method != b.messages[i].method ||
                                                      a.messages[i].url != b.messages[i].url ||
                                                      a.messages[i].headers != b.messages[i].headers ||
                                                      a.messages[i].body != b.messages[i].body)) {
                std::fprintf(stderr, "content differs\n");
                return 0;
            }
            FUZZ_CHECK(a.messages[i].method == b.messages[i].method);
            FUZZ_CHECK(a.messages[i].url == b.messages[i].url);
            FUZZ_CHECK(a.messages[i].headers == b.messages[i].headers);
            FUZZ_CHECK(a.messages[i].body == b.messages[i].body);
        }
        return 0;
    }
    if (a.verdict != b.verdict && !explained(input, a, b)) {
        std::fprintf(stderr, "unexplained: httpkit %d (%s), llhttp %d (%s) input: ", a.verdict, a.reason.c_str(),
                     b.verdict, b.reason.c_str());
        for (const char c : input.substr(0, 1500))
            std::fprintf(stderr, c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", static_cast<unsigned char>(c));
        std::fprintf(stderr, "\n");
        // HTTPKIT_DIFF_SURVEY=1 lists every disagreement instead of stopping at the first.
        static const bool survey = std::getenv("HTTPKIT_DIFF_SURVEY") != nullptr;
        if (!survey)
            __builtin_trap();
    }
    return 0;
}
