#include "server/metrics.hpp"

#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace http::detail {

namespace {

// The route patterns of the process, numbered as first registered: a pattern registered again
// (another router, another server, a test) has its number. Read under the lock at a scrape.
struct RouteLabels {
    std::mutex mutex;
    std::deque<std::string> patterns;                             // by number
    std::unordered_map<std::string_view, std::uint32_t> numbers;  // views into `patterns`
};

RouteLabels& route_labels() {
    static RouteLabels* labels = new RouteLabels;  // never destroyed: servers may outlive statics
    return *labels;
}

// A label value in the text format: backslash, double quote and line feed escaped.
void append_label_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

}  // namespace

std::uint32_t LoopMetrics::route_label(std::string_view pattern) {
    RouteLabels& labels = route_labels();
    const std::lock_guard lock(labels.mutex);
    if (const auto it = labels.numbers.find(pattern); it != labels.numbers.end())
        return it->second;
    const auto number = static_cast<std::uint32_t>(labels.patterns.size());
    labels.numbers.emplace(labels.patterns.emplace_back(pattern), number);
    return number;
}

LoopMetrics::~LoopMetrics() {
    for (std::atomic<RouteBlock*>& block : route_blocks_)
        delete block.load(std::memory_order_relaxed);
}

LoopMetrics::RouteCounters& LoopMetrics::route_counters(std::uint32_t label) noexcept {
    if (label >= max_routes)
        return unrouted_;
    std::atomic<RouteBlock*>& slot = route_blocks_[label / routes_per_block];
    RouteBlock* block = slot.load(std::memory_order_acquire);
    if (!block) {
        // Two threads of the loop (its own, one a blocked handler was handed to) may race here.
        RouteBlock* fresh = new (std::nothrow) RouteBlock{};
        if (!fresh)
            return unrouted_;
        if (slot.compare_exchange_strong(block, fresh, std::memory_order_acq_rel))
            block = fresh;
        else
            delete fresh;
    }
    return (*block)[label % routes_per_block];
}

void LoopMetrics::count_response(std::string_view method, const Route* route, Status status,
                                 std::chrono::nanoseconds latency) noexcept {
    std::size_t m = methods.size() - 1;
    for (std::size_t i = 0; i + 1 < methods.size(); ++i)
        if (methods[i] == method) {
            m = i;
            break;
        }
    const unsigned code_class = static_cast<unsigned>(status) / 100;
    const std::size_t c = code_class >= 1 && code_class <= 5 ? code_class - 1 : 4;
    const auto nanoseconds = static_cast<std::uint64_t>(latency.count() > 0 ? latency.count() : 0);
    add(responses_[m][c], 1);
    const double seconds = std::chrono::duration<double>(latency).count();
    std::size_t bucket = 0;
    while (bucket < buckets.size() && seconds > buckets[bucket])
        ++bucket;
    add(latency_buckets_[bucket], 1);
    add(latency_ns_sum_, nanoseconds);
    RouteCounters& by_route = route ? route_counters(route->label_) : unrouted_;
    add(by_route.responses[m][c], 1);
    add(by_route.latency_ns_sum, nanoseconds);
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

    // By route: the counters of each label any loop has counted, summed over the loops, in the
    // order of the patterns ("" first: no route). Only series counted at least once are written.
    struct RouteTotals {
        std::array<std::array<std::uint64_t, 5>, methods.size()> responses{};
        std::uint64_t latency_ns_sum = 0;
        std::uint64_t count = 0;
    };
    std::map<std::string, RouteTotals, std::less<>> by_route;
    auto add_route = [&](const std::string& pattern, auto counters_of) {
        RouteTotals totals;
        for (const LoopMetrics* loop : loops) {
            const RouteCounters* counters = counters_of(*loop);
            if (!counters)
                continue;
            for (std::size_t m = 0; m < methods.size(); ++m)
                for (std::size_t c = 0; c < 5; ++c) {
                    const std::uint64_t n = counters->responses[m][c].load(std::memory_order_relaxed);
                    totals.responses[m][c] += n;
                    totals.count += n;
                }
            totals.latency_ns_sum += counters->latency_ns_sum.load(std::memory_order_relaxed);
        }
        if (totals.count > 0)
            by_route.emplace(pattern, totals);
    };
    add_route(std::string(), [](const LoopMetrics& loop) { return &loop.unrouted_; });
    {
        RouteLabels& labels = route_labels();
        const std::lock_guard lock(labels.mutex);
        for (std::size_t b = 0; b < max_routes / routes_per_block; ++b) {
            bool any = false;
            for (const LoopMetrics* loop : loops)
                any = any || loop->route_blocks_[b].load(std::memory_order_acquire) != nullptr;
            for (std::size_t i = 0; any && i < routes_per_block; ++i) {
                const std::size_t label = b * routes_per_block + i;
                if (label >= labels.patterns.size())
                    break;
                add_route(labels.patterns[label], [&](const LoopMetrics& loop) -> const RouteCounters* {
                    const RouteBlock* block = loop.route_blocks_[b].load(std::memory_order_acquire);
                    return block ? &(*block)[i] : nullptr;
                });
            }
        }
    }
    out += "# HELP httpkit_route_requests_total Responses sent, by the pattern of the router's route that matched "
           "(\"\" for none), request method and status class.\n"
           "# TYPE httpkit_route_requests_total counter\n";
    for (const auto& [pattern, totals] : by_route)
        for (std::size_t m = 0; m < methods.size(); ++m)
            for (std::size_t c = 0; c < 5; ++c)
                if (const std::uint64_t n = totals.responses[m][c]) {
                    out += "httpkit_route_requests_total{route=\"";
                    append_label_value(out, pattern);
                    emit("\",method=\"%.*s\",status_class=\"%zuxx\"} %llu\n", static_cast<int>(methods[m].size()),
                         methods[m].data(), c + 1, static_cast<unsigned long long>(n));
                }
    out += "# HELP httpkit_route_request_duration_seconds From a request's head received to its response queued, "
           "by route (as httpkit_route_requests_total).\n"
           "# TYPE httpkit_route_request_duration_seconds summary\n";
    for (const auto& [pattern, totals] : by_route) {
        out += "httpkit_route_request_duration_seconds_sum{route=\"";
        append_label_value(out, pattern);
        emit("\"} %.9f\n", static_cast<double>(totals.latency_ns_sum) / 1e9);
        out += "httpkit_route_request_duration_seconds_count{route=\"";
        append_label_value(out, pattern);
        emit("\"} %llu\n", static_cast<unsigned long long>(totals.count));
    }

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
