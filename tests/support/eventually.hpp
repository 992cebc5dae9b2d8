// Waiting, bounded, for what another thread (a server's) will make true.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace test {

/// Waits (at most `limit`) for `done` to become true; false if it did not.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace test
