// The request-head parser on its own: incremental input, framing facts, early refusal.
#include "proto/parser/request_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace http::detail;
using Result = RequestHeadParser::Result;

namespace {

struct Parsed {
    Result result;
    RequestHead head;  // views into the input: valid while it is
    ParseError error;
    std::string target;
    std::string fields;  // "name=value;" for each field
};

Parsed parse_whole(std::string_view input, HeadRules rules = {}) {
    RequestHeadParser parser(rules);
    Parsed out;
    out.result = parser.parse(input, out.head);
    out.error = parser.error();
    out.target = out.head.target;
    for (const Field& f : out.head.fields)
        out.fields += std::string(f.name) + "=" + std::string(f.value) + ";";
    return out;
}

// Feeds `input` growing by `step` bytes, copying it to a new buffer each time (as a connection's
// buffer may move), and returns the first non-incomplete result.
Parsed parse_in_steps(const std::string& input, std::size_t step, HeadRules rules = {}) {
    RequestHeadParser parser(rules);
    Parsed out;
    std::string buffer;
    for (std::size_t n = step; ; n += step) {
        buffer = input.substr(0, std::min(n, input.size()));
        out.result = parser.parse(buffer, out.head);
        if (out.result != Result::incomplete || n >= input.size())
            break;
    }
    out.error = parser.error();
    if (out.result == Result::complete)
        out.target = out.head.target;
    for (const Field& f : out.head.fields)
        out.fields += std::string(f.name) + "=" + std::string(f.value) + ";";
    out.head.fields.clear();  // they viewed `buffer`, which ends here
    return out;
}

const std::string requests[] = {
    "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "POST /submit?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n",
    "PUT /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip,\tchunked\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(300, 'v') + "\r\n\r\n",
    "\r\n\r\nGET /after-empty-lines HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "GET /lf HTTP/1.1\nHost: h\nX: y\n\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nX: a\nY: b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
    "GET http://other:81/p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
    // Found by fuzzing: the refusal's reason depended on where the input was cut.
    "G\tT / HTTP/1.0\r\n\r\n",
    std::string("POST\r\nCe\0\0\0\n", 12),
    std::string("PUT /url HTTP/1.0\r\n\r\0\0\0\xd6\nPUT /url HTTP/\xb1.1\r\n\r\n", 46),
    "GET / HTTP/1.1\r\nHost: h\r\n folded\nX: y\r\n\r\n",
};

}  // namespace

BOOST_AUTO_TEST_SUITE(request_parser)

BOOST_AUTO_TEST_CASE(same_result_whatever_the_split) {
    for (const std::string& request : requests) {
        const Parsed whole = parse_whole(request);
        for (std::size_t step : {1u, 2u, 3u, 7u, 16u, 100u}) {
            BOOST_TEST_CONTEXT("request " << request << " in steps of " << step) {
                const Parsed split = parse_in_steps(request, step);
                BOOST_TEST((split.result == whole.result));
                BOOST_TEST(split.error.reason == whole.error.reason);
                BOOST_TEST(split.fields == whole.fields);
                BOOST_TEST(split.target == (whole.result == Result::complete ? whole.target : ""));
                BOOST_TEST(split.head.size == whole.head.size);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(parsing_again_after_a_complete_head_finds_the_same_head) {
    // Found by fuzzing: a head taken in one pass left the line scanner at its start, so a second
    // parse (with the body's bytes after it, say) read the request-line as a field line.
    for (const std::string& request : requests) {
        for (const bool one_pass : {true, false}) {
            BOOST_TEST_CONTEXT("request " << request << (one_pass ? ", one pass" : ", general path")) {
                HeadRules rules;
                rules.one_pass_lines = one_pass;
                RequestHeadParser parser(rules);
                RequestHead first;
                const Result result = parser.parse(request, first);
                if (result != Result::complete)
                    continue;
                RequestHead again;
                BOOST_TEST((parser.parse(request, again) == Result::complete));
                BOOST_TEST(again.size == first.size);
                BOOST_TEST(again.fields.size() == first.fields.size());
                BOOST_TEST(again.target == first.target);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(framing_facts) {
    const Parsed post = parse_whole(requests[1]);
    BOOST_TEST((post.result == Result::complete));
    BOOST_TEST(post.head.method == "POST");
    BOOST_TEST(post.head.target == "/submit?x=1");
    BOOST_TEST((post.head.framing == Framing::content_length));
    BOOST_TEST(post.head.content_length == 5u);
    BOOST_TEST(post.head.host == "example.com");
    BOOST_TEST(post.head.keep_alive);
    BOOST_TEST(post.head.size == requests[1].size());

    const Parsed gzip = parse_whole(requests[2]);
    BOOST_TEST((gzip.result == Result::error));
    BOOST_TEST((gzip.error.status == http::NOT_IMPLEMENTED));

    const Parsed old = parse_whole(requests[4]);
    BOOST_TEST(old.head.version_minor == 0);
    BOOST_TEST(old.head.keep_alive);
    BOOST_TEST(old.head.target == "/after-empty-lines");

    const Parsed absolute = parse_whole(requests[9]);
    BOOST_TEST(absolute.head.host == "other:81");
    BOOST_TEST(absolute.head.expect_continue);
    BOOST_TEST(!absolute.head.keep_alive);
    BOOST_TEST((absolute.head.framing == Framing::none));
}

BOOST_AUTO_TEST_CASE(connection_options_decide_keep_alive) {
    // A single option is recognised at once, a list element by element; either way in any case.
    struct Case {
        const char* value;
        bool http11;  // keep-alive for HTTP/1.1
        bool http10;  // and for HTTP/1.0
    };
    for (const Case c : {Case{"keep-alive", true, true}, Case{"Keep-Alive", true, true}, Case{"close", false, false},
                         Case{"CLOSE", false, false}, Case{"close, keep-alive", false, false},
                         Case{"keep-alive, close", false, false}, Case{"upgrade, keep-alive", true, true},
                         Case{"keep-alive,", true, true}, Case{"keep-alivex", true, false}, Case{"closed", true, false},
                         Case{"clos", true, false}, Case{"upgrade", true, false}, Case{",close", false, false}}) {
        BOOST_TEST_CONTEXT("Connection: " << c.value) {
            for (const bool http11 : {true, false}) {
                const std::string request = std::string("GET / HTTP/1.") + (http11 ? "1" : "0") +
                                            "\r\nHost: h\r\nConnection: " + c.value + "\r\n\r\n";
                const Parsed parsed = parse_whole(request);
                BOOST_REQUIRE((parsed.result == Result::complete));
                BOOST_TEST(parsed.head.keep_alive == (http11 ? c.http11 : c.http10));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(refusals_name_the_problem) {
    BOOST_TEST(parse_whole(requests[6]).error.reason == "invalid or conflicting Content-Length");
    BOOST_TEST(parse_whole(requests[7]).error.reason == "mixed CRLF and LF line ends");
    BOOST_TEST(parse_whole(requests[8]).error.reason == "obsolete line folding is not accepted");
    BOOST_TEST(parse_whole("GET / HTTP/1.1\r\n\r\n").error.reason == "missing Host");
    HeadRules lenient;
    lenient.require_host = false;
    BOOST_TEST((parse_whole("GET / HTTP/1.1\r\n\r\n", lenient).result == Result::complete));
}

BOOST_AUTO_TEST_CASE(host_values) {
    // uri-host [ ":" port ]: the reg-name is checked some bytes at a time, so the colon is put at
    // every offset and the port given every length.
    for (const std::string host : {"example.com", "127.0.0.1:8080", "[::1]:80", "[::1]", "h:", "", "a-b.c_d~e!$&'()*+,;=%41",
                                   "a:1", "ab:12", "abc:123", "abcd:1234", "abcde:12345", "abcdefgh:1", "abcdefghi:"}) {
        BOOST_TEST_CONTEXT("Host: " << host) {
            const std::string request = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";  // the head views it
            const Parsed parsed = parse_whole(request);
            BOOST_REQUIRE((parsed.result == Result::complete));
            BOOST_TEST(parsed.head.host == host);
        }
    }
    for (const std::string host : {"h:8x", "h:80:80", "a:b", "h@x", "ex/ample", "a#b", "[::1", "[::1]x", "[::g]",
                                   "abcdefgh:1x", "abcdefghij\"", "abc:1234567x", "abcdefg[", "a:1:"}) {
        BOOST_TEST_CONTEXT("Host: " << host) {
            const Parsed parsed = parse_whole("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
            BOOST_TEST((parsed.result == Result::error));
            BOOST_TEST(parsed.error.reason == "invalid Host");
        }
    }
}

BOOST_AUTO_TEST_CASE(field_value_whitespace_and_line_ends_agree_with_the_general_path) {
    // The one-pass field line tests its stop byte for CR first, then LF, then HTAB, and trims
    // trailing whitespace with one comparison (a value holds no control byte but HTAB). Values of
    // lengths around the 16-byte scan, ending in each mix of SP, HTAB, obs-text and other bytes,
    // before each line end (and some that are not one), must be parsed as the general path does.
    const std::string ends[] = {"", " ", "\t", " \t ", "\t\t", "x", "\x80", "\xff", "!", "\t\xa0"};
    const std::string line_ends[] = {"\r\n", "\n", "\r", "\r\r\n", "\x01\r\n", "\x7f\r\n"};
    for (std::size_t length = 0; length <= 34; ++length) {
        for (const std::string& end : ends) {
            for (const std::string& line_end : line_ends) {
                std::string value(length, 'v');
                for (std::size_t i = 2; i < length; i += 5)
                    value[i] = i % 2 ? '\t' : ' ';
                const bool lf = line_end == "\n";
                const std::string eol = lf ? "\n" : "\r\n";
                const std::string request =
                    "GET / HTTP/1.1" + eol + "Host: h" + eol + "X-Value: " + value + end + line_end + "Y: z" + eol + eol;
                HeadRules general;
                general.one_pass_lines = false;
                const Parsed one_pass = parse_whole(request);
                const Parsed reference = parse_whole(request, general);
                BOOST_TEST_CONTEXT("value of " << length << " bytes, then " << end.size() << " bytes, line end "
                                                << line_end.size()) {
                    BOOST_TEST((one_pass.result == reference.result));
                    BOOST_TEST(one_pass.error.reason == reference.error.reason);
                    BOOST_TEST(one_pass.fields == reference.fields);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(whitespace_before_field_values_agrees_with_the_general_path) {
    // The one-pass field line takes a single SP followed by a byte above SP without a loop; every
    // other run of whitespace goes through the loop. Each mix before each kind of first byte,
    // and at the end of the input, must be parsed as the general path does.
    const std::string before[] = {"", " ", "  ", "\t", " \t", "\t ", "   \t\t"};
    const std::string first[] = {"v", "!", "~", "\x80", "\xff", " ", "\t", "\r\n", "\n", "\r", "\x01", "\x7f", ""};
    for (const bool lf : {false, true}) {
        const std::string eol = lf ? "\n" : "\r\n";
        for (const std::string& ws : before) {
            for (const std::string& byte : first) {
                for (const std::string& rest : {"alue" + eol + "Y: z" + eol + eol, std::string()}) {
                    const std::string request = "GET / HTTP/1.1" + eol + "Host: h" + eol + "X:" + ws + byte + rest;
                    HeadRules general;
                    general.one_pass_lines = false;
                    const Parsed one_pass = parse_whole(request);
                    const Parsed reference = parse_whole(request, general);
                    BOOST_TEST_CONTEXT("whitespace of " << ws.size() << " bytes, then " << byte.size() << " bytes"
                                                        << (rest.empty() ? ", input ends" : "") << (lf ? ", LF" : "")) {
                        BOOST_TEST((one_pass.result == reference.result));
                        BOOST_TEST(one_pass.error.reason == reference.error.reason);
                        BOOST_TEST(one_pass.fields == reference.fields);
                    }
                }
            }
        }
    }
}

namespace {

// A request with `host` as its Host is accepted exactly when valid_authority() accepts the host,
// and refused as "invalid Host" otherwise.
void check_host_as_valid_authority(const std::string& host) {
    const Parsed parsed = parse_whole("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    const bool valid = valid_authority(host);
    BOOST_TEST_CONTEXT("Host: " << host) {
        BOOST_TEST((parsed.result == (valid ? Result::complete : Result::error)));
        if (!valid)
            BOOST_TEST(parsed.error.reason == "invalid Host");
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(host_ports_agree_with_valid_authority) {
    // Hosts of up to 32 bytes are judged from bit masks of one or two 16-byte loads: the first
    // byte that is not a letter, digit, '.' or '-', and the digits after it when it is a colon.
    // A colon at each position of hosts of every length around one and two loads' size, with a
    // byte of the port (or the host) replaced by each kind of byte, must be judged as
    // valid_authority() judges it.
    for (std::size_t length = 1; length <= 40; ++length) {
        for (std::size_t colon = 0; colon <= length; ++colon) {
            for (const char odd : {'\0', '7', 'a', ':', '.', '-', '%', '[', '!', '\x80', '\xff'}) {
                for (std::size_t at = 0; at < length; ++at) {
                    std::string host(length, '5');
                    for (std::size_t i = 0; i < colon; ++i)
                        host[i] = i % 4 == 3 ? '.' : static_cast<char>('a' + i % 26);
                    if (colon < length)
                        host[colon] = ':';
                    if (odd != '\0')
                        host[at] = odd;
                    check_host_as_valid_authority(host);
                    if (odd == '\0')
                        break;
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(host_verdicts_agree_with_valid_authority) {
    // Hosts made of letters, digits, dots and hyphens are checked 16 bytes a step (the last step
    // overlapping the bytes before the host); anything else takes valid_authority()'s rules. Each
    // byte a field value may hold, at each position of hosts around the step's size, with and
    // without a port, must be judged as valid_authority() judges it.
    for (const std::size_t length : {1, 2, 7, 15, 16, 17, 31, 32, 33}) {
        for (const std::string port : {"", ":8080"}) {
            for (std::size_t at = 0; at < length; ++at) {
                for (int byte = 0x21; byte < 0x100; ++byte) {
                    if (byte == 0x7f)
                        continue;  // not field-value material: refused before Host is looked at
                    std::string host(length, 'a');
                    for (std::size_t i = 0; i < length; i += 3)
                        host[i] = static_cast<char>('0' + i % 10);
                    host[at] = static_cast<char>(byte);
                    host += port;
                    check_host_as_valid_authority(host);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(bad_lines_are_refused_before_the_head_ends) {
    // Each input is unfinished, yet already cannot become a valid request.
    for (const char* input : {"GET / HTTP/1.1\r\nHost: h\r\n\rZ", "GET / HTTP/1.1\r\nHost: h\r\n folded",
                              "GET / HTTP/1.1\r\nContent-Length: x\r\n", "GET / HTTP/1.1\r\nBad Name: v\r\n",
                              "GET / HTTP/2.0\r\n", "\x16\x03\x01", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n"}) {
        BOOST_TEST_CONTEXT(input) {
            BOOST_TEST((parse_whole(input).result == Result::error));
        }
    }
    BOOST_TEST((parse_whole("GET / HTTP/1.1\r\nHost: h\r\nX-Partial: va").result == Result::incomplete));
}

BOOST_AUTO_TEST_CASE(limits) {
    HeadRules rules;
    rules.max_request_target = 10;
    rules.max_header_size = 200;
    rules.max_header_fields = 2;
    BOOST_TEST((parse_whole("GET /123456789 HTTP/1.1\r\nHost: h\r\n\r\n", rules).result == Result::complete));
    BOOST_TEST((parse_whole("GET /1234567890 HTTP/1.1\r\nHost: h\r\n\r\n", rules).error.status == http::URI_TOO_LONG));
    BOOST_TEST((parse_whole("GET /" + std::string(100, 'x'), rules).error.status == http::URI_TOO_LONG));
    BOOST_TEST((parse_whole("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", rules).error.status ==
                http::REQUEST_HEADER_FIELDS_TOO_LARGE));
    BOOST_TEST((parse_whole("GET / HTTP/1.1\r\nHost: h\r\nA: " + std::string(300, 'a'), rules).error.status ==
                http::REQUEST_HEADER_FIELDS_TOO_LARGE));
}

BOOST_AUTO_TEST_CASE(long_request_lines_get_one_verdict_however_they_arrive) {
    // An unfinished request-line is refused for a byte that cannot be in a method among its
    // first 8 KiB + 64 bytes, and as too long past them; a whole line is judged the same way.
    // Found by fuzz_request: a line past the header limit with a bad method byte was "too long"
    // whole and "invalid character in method" cut short.
    const std::size_t limit = HeadRules{}.max_request_target + 64;
    const std::string tail = "\r\nHost: h\r\n\r\n";
    for (const std::string& line :
         {"GE\xabT /" + std::string(17000, 'a') + " HTTP/1.1", "GE\xabT /" + std::string(9000, 'a') + " HTTP/1.1",
          std::string(limit, 'A') + " / HTTP/1.1", std::string(limit - 1, 'A') + " / HTTP/1.1",
          std::string(limit - 1, 'A') + "\x01 / HTTP/1.1", std::string(limit, 'A') + "\x01 / HTTP/1.1",
          std::string(8000, 'A') + " /" + std::string(300, 'a') + " HTTP/1.1", " /" + std::string(9000, 'a') + " HTTP/1.1",
          "GET /" + std::string(limit - 15, 'a') + " HTTP/1.1", "GET /" + std::string(limit - 14, 'a') + " HTTP/1.1",
          std::string(20000, 'A')}) {
        for (const std::string& request : {line + tail, line + "\n"}) {
            BOOST_TEST_CONTEXT(request.substr(0, 12) << "... (" << request.size() << " bytes)") {
                const Parsed whole = parse_whole(request);
                for (const std::size_t step : {1000, 4093, 8255, 8256, 8257, 8258, 16385}) {
                    const Parsed cut = parse_in_steps(request, step);
                    BOOST_TEST((cut.result == whole.result));
                    BOOST_TEST(cut.error.reason == whole.error.reason);
                }
            }
        }
    }
    BOOST_TEST((parse_whole(std::string(limit - 1, 'A') + " / HTTP/1.1" + tail).error.status == http::URI_TOO_LONG));
    BOOST_TEST(parse_whole("GE\xabT /" + std::string(17000, 'a') + " HTTP/1.1" + tail).error.reason ==
               "invalid character in method");
}

BOOST_AUTO_TEST_CASE(reset_parses_the_next_request) {
    RequestHeadParser parser;
    RequestHead head;
    const std::string two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n";
    BOOST_TEST((parser.parse(two, head) == Result::complete));
    BOOST_TEST(head.target == "/1");
    const std::size_t first = head.size;
    parser.reset();
    BOOST_TEST((parser.parse(std::string_view(two).substr(first), head) == Result::complete));
    BOOST_TEST(head.target == "/2");
    BOOST_TEST(head.host == "b");
}

BOOST_AUTO_TEST_SUITE_END()
