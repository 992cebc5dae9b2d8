// Request parsing throughput: httpkit's parser against llhttp, on the same requests, built with
// the same compiler and flags. Both produce the same things: the method, the target, each field
// as a (name, value) view, and the body bytes copied into one string.
//
// With HTTPKIT_BENCH_PICOHTTPPARSER (bench/run fetches its sources), picohttpparser too, on the
// requests without a body, head only, as it is used: `phr_parse_request` gives the method, the
// target and each field as views; deciding the framing is left to its caller, so it is not done.
//
//   parser-bench [SECONDS_PER_RUN]             wall-clock requests/s, best of five runs
//   parser-bench --count WORKLOAD ITERATIONS    parse workload #WORKLOAD's buffer ITERATIONS times
//                                              with each parser, for callgrind to count
//                                              instructions in parse_httpkit / parse_llhttp
//                                              (not picohttpparser's: valgrind does not run its
//                                              SSE 4.2 string instructions, and one of them does
//                                              the work of many)
#include "proto/parser/body_reader.hpp"
#include "proto/parser/request_parser.hpp"

#include <llhttp.h>
#ifdef HTTPKIT_BENCH_PICOHTTPPARSER
#include <picohttpparser.h>
#endif

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace http::detail;
using Clock = std::chrono::steady_clock;

struct Workload {
    const char* name;
    std::string one;
    bool has_body = false;
};

const Workload workloads[] = {
    {"wrk GET", "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"},
    {"browser GET",
     "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
     "Host: www.kittyhell.com\r\n"
     "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_8; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 "
     "Firefox/3.6.3 Pathtraq/0.9\r\n"
     "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
     "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
     "Accept-Encoding: gzip,deflate\r\n"
     "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
     "Keep-Alive: 115\r\n"
     "Connection: keep-alive\r\n"
     "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
     "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
     "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
     "\r\n"},
    {"POST json",
     "POST /api/items HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\n"
     "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdef\r\n"
     "Content-Length: 200\r\n\r\n" +
         std::string(200, 'j'),
     true},
    {"POST chunked",
     "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
     "80\r\n" + std::string(128, 'a') + "\r\n80\r\n" + std::string(128, 'b') + "\r\n10;ext=1\r\n" +
         std::string(16, 'c') + "\r\n0\r\n\r\n",
     true},
};

// --- httpkit ---------------------------------------------------------------------------------

__attribute__((noinline)) std::size_t parse_httpkit(std::string_view input, RequestHead& head, std::string& body) {
    RequestHeadParser parser;
    BodyReader reader;
    std::size_t messages = 0;
    while (!input.empty()) {
        parser.reset();
        if (parser.parse(input, head) != RequestHeadParser::Result::complete)
            std::abort();
        input.remove_prefix(head.size);
        body.clear();
        reader.start(head.framing, head.content_length);
        std::size_t used = 0;
        if (reader.feed(input, used, body) != BodyReader::Result::complete)
            std::abort();
        input.remove_prefix(used);
        ++messages;
    }
    return messages;
}

// --- llhttp ----------------------------------------------------------------------------------

struct LlhttpState {
    std::string_view target;
    std::vector<Field> fields;
    std::string body;
    std::size_t messages = 0;
};

int on_url(llhttp_t* p, const char* at, std::size_t n) {
    static_cast<LlhttpState*>(p->data)->target = {at, n};
    return 0;
}
int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    static_cast<LlhttpState*>(p->data)->fields.push_back({{at, n}, {}});
    return 0;
}
int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    static_cast<LlhttpState*>(p->data)->fields.back().value = {at, n};
    return 0;
}
int on_body(llhttp_t* p, const char* at, std::size_t n) {
    static_cast<LlhttpState*>(p->data)->body.append(at, n);
    return 0;
}
int on_message_begin(llhttp_t* p) {
    auto* s = static_cast<LlhttpState*>(p->data);
    s->fields.clear();
    s->body.clear();
    return 0;
}
int on_message_complete(llhttp_t* p) {
    ++static_cast<LlhttpState*>(p->data)->messages;
    return 0;
}

__attribute__((noinline)) std::size_t parse_llhttp(std::string_view input, LlhttpState& state, const llhttp_settings_t& settings) {
    llhttp_t parser;
    llhttp_init(&parser, HTTP_REQUEST, &settings);
    parser.data = &state;
    state.messages = 0;
    if (llhttp_execute(&parser, input.data(), input.size()) != HPE_OK)
        std::abort();
    return state.messages;
}

// --- picohttpparser --------------------------------------------------------------------------

#ifdef HTTPKIT_BENCH_PICOHTTPPARSER
struct PicoState {
    std::string_view method, target;
    phr_header fields[100];
    std::size_t field_count = 0;
};

// Requests without a body only: the head is all there is.
__attribute__((noinline)) std::size_t parse_pico(std::string_view input, PicoState& state) {
    std::size_t messages = 0;
    while (!input.empty()) {
        const char* method;
        const char* target;
        std::size_t method_length, target_length;
        int minor_version;
        state.field_count = std::size(state.fields);
        const int used = phr_parse_request(input.data(), input.size(), &method, &method_length, &target, &target_length,
                                           &minor_version, state.fields, &state.field_count, 0);
        if (used <= 0)
            std::abort();
        state.method = {method, method_length};
        state.target = {target, target_length};
        input.remove_prefix(static_cast<std::size_t>(used));
        ++messages;
    }
    return messages;
}
#endif

template <class Parse>
double requests_per_second(const std::string& buffer, double seconds, Parse&& parse) {
    // Several timed runs; the best is the least disturbed by the rest of the machine.
    double best = 0;
    for (int run = 0; run < 5; ++run) {
        std::size_t messages = 0;
        const auto begin = Clock::now();
        const auto until = begin + std::chrono::duration<double>(seconds);
        Clock::time_point now;
        do {
            for (int i = 0; i < 20; ++i)
                messages += parse(buffer);
            now = Clock::now();
        } while (now < until);
        best = std::max(best, messages / std::chrono::duration<double>(now - begin).count());
    }
    return best;
}

std::string pipelined(const Workload& w) {
    // 100 copies per buffer, as a busy keep-alive connection delivers them.
    std::string buffer;
    for (int i = 0; i < 100; ++i)
        buffer += w.one;
    return buffer;
}

}  // namespace

int main(int argc, char** argv) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_message_begin = on_message_begin;
    settings.on_url = on_url;
    settings.on_header_field = on_header_field;
    settings.on_header_value = on_header_value;
    settings.on_body = on_body;
    settings.on_message_complete = on_message_complete;

    if (argc == 4 && std::string_view(argv[1]) == "--count") {
        const Workload& w = workloads[std::atoi(argv[2])];
        const std::string buffer = pipelined(w);
        RequestHead head;
        std::string body;
        LlhttpState state;
        std::size_t messages = 0;
        for (int i = 0, n = std::atoi(argv[3]); i < n; ++i) {
            messages += parse_httpkit(buffer, head, body);
            messages -= parse_llhttp(buffer, state, settings);
        }
        return messages == 0 ? 0 : 1;  // both parsed the same number of requests
    }
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.4;

    std::printf("%-14s %6s %14s %14s %16s %15s %14s\n", "workload", "bytes", "httpkit ns", "llhttp ns",
                "picohttpparser ns", "httpkit/llhttp", "httpkit/pico");
    double product = 1;
    int count = 0;
    for (const Workload& w : workloads) {
        const std::string buffer = pipelined(w);
        RequestHead head;
        std::string body;
        LlhttpState state;
        const double ours = requests_per_second(buffer, seconds, [&](const std::string& b) { return parse_httpkit(b, head, body); });
        const double theirs =
            requests_per_second(buffer, seconds, [&](const std::string& b) { return parse_llhttp(b, state, settings); });
        double pico = 0;
#ifdef HTTPKIT_BENCH_PICOHTTPPARSER
        if (!w.has_body) {
            PicoState pico_state;
            pico = requests_per_second(buffer, seconds, [&](const std::string& b) { return parse_pico(b, pico_state); });
        }
#endif
        // Speed ratios (above 1: httpkit is faster), from nanoseconds per request.
        std::printf("%-14s %6zu %14.1f %14.1f", w.name, w.one.size(), 1e9 / ours, 1e9 / theirs);
        if (pico > 0)
            std::printf(" %16.1f %14.2fx %13.2fx\n", 1e9 / pico, ours / theirs, ours / pico);
        else
            std::printf(" %16s %14.2fx %14s\n", "-", ours / theirs, "-");
        product *= ours / theirs;
        ++count;
    }
    std::printf("geometric mean ratio (httpkit / llhttp): %.2fx\n", std::pow(product, 1.0 / count));
}
