#include "server/metrics.hpp"

#include <cstdio>

namespace http::detail {

void LoopMetrics::count_response(std::string_view method, Status status, std::chrono::nanoseconds latency) noexcept {
    std::size_t m = methods.size() - 1;
    for (std::size_t i = 0; i + 1 < methods.size(); ++i)
        if (methods[i] == method) {
            m = i;
            break;
        }
    const unsigned code_class = static_cast<unsigned>(status) / 100;
    add(responses_[m][code_class >= 1 && code_class <= 5 ? code_class - 1 : 4], 1);
    const double seconds = std::chrono::duration<double>(latency).count();
    std::size_t bucket = 0;
    while (bucket < buckets.size() && seconds > buckets[bucket])
        ++bucket;
    add(latency_buckets_[bucket], 1);
    add(latency_ns_sum_, static_cast<std::uint64_t>(latency.count() > 0 ? latency.count() : 0));
}

void LoopMetrics::count_refusal(Status status) noexcept {
    const unsigned code = static_cast<unsigned>(status);
    if (code >= 400 && code <= 599)
        add(refusals_[code - 400], 1);
}

std::string LoopMetrics::exposition(const std::vector<const LoopMetrics*>& loops, std::size_t open_connections) {
    auto sum = [&](auto member) {
        std::uint64_t total = 0;
        for (const LoopMetrics* loop : loops)
            total += member(*loop).load(std::memory_order_relaxed);
        return total;
    };
    std::string out;
    char line[256];
    auto emit = [&](const char* format, auto... values) {
        std::snprintf(line, sizeof line, format, values...);
        out += line;
    };

    out += "# HELP httpkit_requests_total Responses sent, by request method and status class.\n"
           "# TYPE httpkit_requests_total counter\n";
    for (std::size_t m = 0; m < methods.size(); ++m)
        for (std::size_t c = 0; c < 5; ++c) {
            const std::uint64_t n = sum([&](const LoopMetrics& l) -> const Counter& { return l.responses_[m][c]; });
            emit("httpkit_requests_total{method=\"%.*s\",status_class=\"%zuxx\"} %llu\n", static_cast<int>(methods[m].size()),
                 methods[m].data(), c + 1, static_cast<unsigned long long>(n));
        }

    out += "# HELP httpkit_request_duration_seconds From a request's head received to its response queued.\n"
           "# TYPE httpkit_request_duration_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= buckets.size(); ++b) {
        cumulative += sum([&](const LoopMetrics& l) -> const Counter& { return l.latency_buckets_[b]; });
        if (b < buckets.size())
            emit("httpkit_request_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[b], static_cast<unsigned long long>(cumulative));
        else
            emit("httpkit_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", static_cast<unsigned long long>(cumulative));
    }
    emit("httpkit_request_duration_seconds_sum %.9f\n",
         static_cast<double>(sum([](const LoopMetrics& l) -> const Counter& { return l.latency_ns_sum_; })) / 1e9);
    emit("httpkit_request_duration_seconds_count %llu\n", static_cast<unsigned long long>(cumulative));

    out += "# HELP httpkit_refused_requests_total Requests the server refused before a handler saw them, by status.\n"
           "# TYPE httpkit_refused_requests_total counter\n";
    for (unsigned code = 400; code <= 599; ++code)
        if (const std::uint64_t n = sum([&](const LoopMetrics& l) -> const Counter& { return l.refusals_[code - 400]; }))
            emit("httpkit_refused_requests_total{status=\"%u\"} %llu\n", code, static_cast<unsigned long long>(n));

    out += "# HELP httpkit_rate_limited_total Requests http::rate_limit() refused (429, in httpkit_requests_total too).\n"
           "# TYPE httpkit_rate_limited_total counter\n";
    emit("httpkit_rate_limited_total %llu\n",
         static_cast<unsigned long long>(sum([](const LoopMetrics& l) -> const Counter& { return l.rate_limited_; })));

    out += "# HELP httpkit_open_connections Connections open now.\n# TYPE httpkit_open_connections gauge\n";
    emit("httpkit_open_connections %zu\n", open_connections);
    out += "# HELP httpkit_received_bytes_total Bytes read from clients.\n# TYPE httpkit_received_bytes_total counter\n";
    emit("httpkit_received_bytes_total %llu\n",
         static_cast<unsigned long long>(sum([](const LoopMetrics& l) -> const Counter& { return l.bytes_in_; })));
    out += "# HELP httpkit_sent_bytes_total Bytes written to clients.\n# TYPE httpkit_sent_bytes_total counter\n";
    emit("httpkit_sent_bytes_total %llu\n",
         static_cast<unsigned long long>(sum([](const LoopMetrics& l) -> const Counter& { return l.bytes_out_; })));
    return out;
}

}  // namespace http::detail
