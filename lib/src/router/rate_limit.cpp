#include <http/failure.hpp>
#include <http/rate_limit.hpp>

#include "router/rate_limited.hpp"

#include <openssl/rand.h>

#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace http {

namespace {

using Clock = std::chrono::steady_clock;

// The counts, in a table of fixed size: sets of four slots, found by a keyed hash of the client's
// key (a random basis, so that a client cannot choose keys that all fall in one set).
class Counts {
public:
    struct Taken {
        bool allowed;
        std::size_t remaining;
        std::chrono::seconds reset;  // until the window ends
    };

    Counts(std::size_t limit, std::chrono::seconds window, std::size_t max_keys)
        : limit_(limit), window_(window), start_(Clock::now()) {
        std::size_t slots = std::bit_ceil(std::max<std::size_t>(max_keys, ways));
        slots_.resize(slots);
        sets_mask_ = slots / ways - 1;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&basis_), sizeof basis_) != 1)
            basis_ = static_cast<std::uint64_t>(start_.time_since_epoch().count()) | 1;
    }

    Taken take(std::string_view key) {
        const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start_);
        const auto window = static_cast<std::uint32_t>(elapsed / window_) + 1;  // 0: an empty slot
        const auto reset = window_ * window - elapsed;
        const std::uint64_t hash = hash_of(key);
        const std::size_t set = (hash >> 8) & sets_mask_;
        const std::lock_guard lock(locks_[set % locks_.size()]);
        Slot* const first = &slots_[set * ways];
        Slot* slot = nullptr;
        for (Slot* s = first; s != first + ways && !slot; ++s)
            if (s->hash == hash && s->window != 0)
                slot = s;
        if (!slot) {
            // A slot that is empty or of a past window, else the one with the fewest requests.
            slot = first;
            for (Slot* s = first; s != first + ways; ++s) {
                if (s->window != window) {
                    slot = s;
                    break;
                }
                if (s->count < slot->count)
                    slot = s;
            }
            *slot = Slot{hash, window, 0};
        }
        if (slot->window != window)
            *slot = Slot{hash, window, 0};
        if (slot->count >= limit_)
            return {false, 0, reset};
        ++slot->count;
        return {true, limit_ - slot->count, reset};
    }

private:
    static constexpr std::size_t ways = 4;
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t window = 0;
        std::uint32_t count = 0;
    };

    // FNV-1a from a random basis, then mixed (splitmix64's finalizer).
    std::uint64_t hash_of(std::string_view key) const noexcept {
        std::uint64_t h = basis_;
        for (const char c : key)
            h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebULL;
        return h ^ (h >> 31);
    }

    const std::size_t limit_;
    const std::chrono::seconds window_;
    const Clock::time_point start_;
    std::uint64_t basis_ = 0;
    std::vector<Slot> slots_;
    std::size_t sets_mask_ = 0;
    std::array<std::mutex, 64> locks_;
};

}  // namespace

Router::Middleware rate_limit(RateLimitOptions options) {
    if (options.limit == 0 || options.window.count() <= 0)
        throw std::invalid_argument("http::rate_limit: the limit and the window must be above 0");
    if (options.limit > UINT32_MAX)
        throw std::invalid_argument("http::rate_limit: a limit above 4294967295 requests a window is no limit");
    auto counts = std::make_shared<Counts>(options.limit, options.window, options.max_keys);
    const std::string policy =
        "\"default\";q=" + std::to_string(options.limit) + ";w=" + std::to_string(options.window.count());
    return [counts, policy, limit = options.limit, window = options.window, key = std::move(options.key)](
               Request& req, Response& res, const std::function<void()>& next) {
        const Counts::Taken taken = counts->take(key ? key(req) : req.ip);
        res.headers.set("RateLimit-Policy", policy);
        res.headers.set("RateLimit", "\"default\";r=" + std::to_string(taken.remaining) +
                                         ";t=" + std::to_string(taken.reset.count()));
        if (!taken.allowed)
            throw detail::RateLimited(taken.reset, "more than " + std::to_string(limit) + " requests in " +
                                                   std::to_string(window.count()) + " s; try again in " +
                                                   std::to_string(taken.reset.count()) + " s");
        next();
    };
}

}  // namespace http
