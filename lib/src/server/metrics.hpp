// The server's counters, one set per event loop (no shared cache line on the request path),
// summed when scraped and written in the Prometheus text exposition format.
#pragma once

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

    /// A response queued: by method and status class, and how long since its head arrived.
    void count_response(std::string_view method, Status status, std::chrono::nanoseconds latency) noexcept;
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

    alignas(64) std::array<std::array<Counter, 5>, methods.size()> responses_{};  // [method][class]
    std::array<Counter, buckets.size() + 1> latency_buckets_{};                    // the last: +Inf
    Counter latency_ns_sum_{0};
    std::array<Counter, 200> refusals_{};  // by status, 400-599
    Counter rate_limited_{0};
    Counter bytes_in_{0};
    Counter bytes_out_{0};
};

}  // namespace http::detail
