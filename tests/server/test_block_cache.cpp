// The per-thread cache of small blocks nghttp2 allocates from (server/block_cache.hpp): sizes
// around each class's edge, contents kept by reallocate, zeroed blocks that were used before, the
// bound of each class, and a block freed on another thread. End to end, every HTTP/2 test runs
// on it.
#include "server/block_cache.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace cache = http::detail::block_cache;

namespace {

bool aligned(const void* block) { return reinterpret_cast<std::uintptr_t>(block) % 16 == 0; }

void fill(void* block, std::size_t size, unsigned char seed) {
    auto* bytes = static_cast<unsigned char*>(block);
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<unsigned char>(seed + i);
}

bool holds(const void* block, std::size_t size, unsigned char seed) {
    const auto* bytes = static_cast<const unsigned char*>(block);
    for (std::size_t i = 0; i < size; ++i)
        if (bytes[i] != static_cast<unsigned char>(seed + i))
            return false;
    return true;
}

// Fills every class of this thread's cache to its bound: takes blocks_per_class of each class
// (what the cache held, and new ones) and frees them all.
void fill_cache() {
    std::vector<void*> taken;
    for (std::size_t c = 1; c <= cache::classes; ++c)
        for (std::size_t i = 0; i < cache::blocks_per_class; ++i)
            taken.push_back(cache::allocate(c * cache::class_size));
    for (void* block : taken)
        cache::free(block);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(block_cache, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(every_size_is_usable_and_aligned) {
    for (const std::size_t size : {0ul, 1ul, 15ul, 16ul, 63ul, 64ul, 65ul, 1023ul, 1024ul, 1025ul, 100000ul}) {
        BOOST_TEST_CONTEXT("size " << size) {
            void* block = cache::allocate(size);
            BOOST_REQUIRE(block != nullptr);
            BOOST_TEST(aligned(block));
            fill(block, size, 7);
            BOOST_TEST(holds(block, size, 7));
            cache::free(block);
        }
    }
    cache::free(nullptr);
    BOOST_TEST(cache::allocate(SIZE_MAX) == nullptr);
    BOOST_TEST(cache::allocate_zeroed(SIZE_MAX / 2, 4) == nullptr);
}

BOOST_AUTO_TEST_CASE(a_freed_block_serves_the_next_of_its_class) {
    if (!cache::enabled())
        return;  // AddressSanitizer: every block is the C library's
    void* first = cache::allocate(100);  // class 2: 65-128 bytes
    cache::free(first);
    BOOST_TEST(cache::allocate(128) == first);
    cache::free(first);
    void* other = cache::allocate(129);  // class 3: another block
    BOOST_TEST(other != first);
    cache::free(other);
    void* large = cache::allocate(5000);  // not cached
    const std::size_t before = cache::cached();
    cache::free(large);
    BOOST_TEST(cache::cached() == before);
}

BOOST_AUTO_TEST_CASE(a_zeroed_block_is_zero_though_used_before) {
    void* used = cache::allocate(200);
    std::memset(used, 0xab, 200);
    cache::free(used);
    auto* zeroed = static_cast<unsigned char*>(cache::allocate_zeroed(25, 8));
    BOOST_REQUIRE(zeroed != nullptr);
    bool zero = true;
    for (std::size_t i = 0; i < 200; ++i)
        zero = zero && zeroed[i] == 0;
    BOOST_TEST(zero);
    cache::free(zeroed);
}

BOOST_AUTO_TEST_CASE(reallocate_keeps_the_contents) {
    void* block = cache::reallocate(nullptr, 40);
    BOOST_REQUIRE(block != nullptr);
    fill(block, 40, 1);
    void* same = cache::reallocate(block, 64);  // still class 1
    BOOST_TEST(holds(same, 40, 1));
    if (cache::enabled())
        BOOST_TEST(same == block);
    void* next = cache::reallocate(same, 65);  // one byte past class 1: another block
    BOOST_REQUIRE(next != nullptr);
    BOOST_TEST(holds(next, 40, 1));
    if (cache::enabled())
        BOOST_TEST(next != same);
    void* grown = cache::reallocate(next, 900);  // another class
    BOOST_REQUIRE(grown != nullptr);
    BOOST_TEST(holds(grown, 40, 1));
    fill(grown, 900, 3);
    void* large = cache::reallocate(grown, 70000);  // past the classes
    BOOST_REQUIRE(large != nullptr);
    BOOST_TEST(holds(large, 900, 3));
    fill(large, 70000, 5);
    void* larger = cache::reallocate(large, 140000);
    BOOST_REQUIRE(larger != nullptr);
    BOOST_TEST(holds(larger, 70000, 5));
    void* smaller = cache::reallocate(larger, 10);
    BOOST_REQUIRE(smaller != nullptr);
    BOOST_TEST(holds(smaller, 10, 5));
    cache::free(smaller);

    // A size no allocation can have: nullptr, and the block as it was, as with realloc.
    void* kept = cache::allocate(100);
    fill(kept, 100, 11);
    BOOST_TEST(cache::reallocate(kept, SIZE_MAX) == nullptr);
    BOOST_TEST(holds(kept, 100, 11));
    void* kept_large = cache::allocate(5000);
    fill(kept_large, 5000, 13);
    BOOST_TEST(cache::reallocate(kept_large, SIZE_MAX - 8) == nullptr);
    BOOST_TEST(holds(kept_large, 5000, 13));
    cache::free(kept);
    cache::free(kept_large);
}

BOOST_AUTO_TEST_CASE(each_class_keeps_a_bounded_number) {
    if (!cache::enabled())
        return;
    fill_cache();
    const std::size_t before = cache::cached();
    BOOST_TEST(before == cache::classes * cache::blocks_per_class);
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < cache::blocks_per_class + 10; ++i)
        blocks.push_back(cache::allocate(300));  // all of its class's, and 10 more
    for (void* block : blocks)
        cache::free(block);
    BOOST_TEST(cache::cached() == before);  // the 10 went back to the C library
}

BOOST_AUTO_TEST_CASE(a_block_freed_on_another_thread_joins_that_threads_cache) {
    void* block = cache::allocate(500);
    fill(block, 500, 9);
    std::size_t there_before = 0, there_after = 0;
    bool intact = false;
    std::thread other([&] {
        there_before = cache::cached();
        intact = holds(block, 500, 9);
        cache::free(block);
        there_after = cache::cached();
        void* again = cache::allocate(480);  // the same class, on that thread
        if (cache::enabled())
            intact = intact && again == block;
        cache::free(again);
    });  // its cache is let go as it ends
    other.join();
    BOOST_TEST(intact);
    BOOST_TEST(there_after == there_before + (cache::enabled() ? 1 : 0));
}

BOOST_AUTO_TEST_SUITE_END()
