// The server's counters, one set per event loop (no shared cache line on the request path),
// summed when scraped and written in the Prometheus text exposition format.
#pragma once

#include <http/router.hpp>
#include <http/status.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace http::detail {

class LoopMetrics {
public:
    static constexpr std::array<std::string_view, 8> methods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"};
    /// Upper bounds of the latency buckets, in seconds (Prometheus' defaults, finer at the low end).
    static constexpr std::array<double, 14> buckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};

    /// Most route patterns a process labels series with: a route past them counts as none.
    static constexpr std::size_t max_routes = 16384;

    LoopMetrics() = default;
    ~LoopMetrics();
    LoopMetrics(const LoopMetrics&) = delete;
    LoopMetrics& operator=(const LoopMetrics&) = delete;

    /// The number of `pattern` among the route labels, the same for the same pattern in every
    /// router of the process: Router::route() asks once for each route it adds.
    static std::uint32_t route_label(std::string_view pattern);

    /// A response queued: by method and status class, and how long since its head arrived; and
    /// by the route that matched (req.route), or none.
    void count_response(std::string_view method, const Route* route, Status status,
                        std::chrono::nanoseconds latency) noexcept;
    /// A request refused by the parser or the server's limits, by the status it got.
    void count_refusal(Status status) noexcept;
    /// A request http::rate_limit() refused (its 429 is counted as a response too).
    void count_rate_limited() noexcept { add(rate_limited_, 1); }
    void count_bytes_in(std::uint64_t n) noexcept { add(bytes_in_, n); }
    void count_bytes_out(std::uint64_t n) noexcept { add(bytes_out_, n); }

    /// Writes the metrics of all `loops`, and `open_connections`, in the text format.
    static std::string exposition(const std::vector<const LoopMetrics*>& loops, std::size_t open_connections);

private:
    using Counter = std::atomic<std::uint64_t>;
    // One writer at a time in practice (the loop's owner, or a thread it handed a request to):
    // a plain load and store, not a locked read-modify-write, on the request path.
    static void add(Counter& counter, std::uint64_t n) noexcept {
        counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    // A route's counters: responses by method and status class, and their latency.
    struct RouteCounters {
        std::array<std::array<Counter, 5>, methods.size()> responses{};  // [method][class]
        Counter latency_ns_sum{0};
    };
    static constexpr std::size_t routes_per_block = 32;
    using RouteBlock = std::array<RouteCounters, routes_per_block>;
    // By route label: a block for 32 labels, allocated when the loop first counts one of them
    // (not on the steady request path), published to the scrape with release.
    RouteCounters& route_counters(std::uint32_t label) noexcept;

    alignas(64) std::array<std::array<Counter, 5>, methods.size()> responses_{};  // [method][class]
    std::array<Counter, buckets.size() + 1> latency_buckets_{};                    // the last: +Inf
    Counter latency_ns_sum_{0};
    std::array<Counter, 200> refusals_{};  // by status, 400-599
    Counter rate_limited_{0};
    Counter bytes_in_{0};
    Counter bytes_out_{0};
    RouteCounters unrouted_;  // responses no route matched
    std::array<std::atomic<RouteBlock*>, max_routes / routes_per_block> route_blocks_{};
};

}  // namespace http::detail
