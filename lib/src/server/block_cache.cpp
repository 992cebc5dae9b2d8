#include "server/block_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>

#if defined(__SANITIZE_ADDRESS__)
#define HTTPKIT_BLOCK_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HTTPKIT_BLOCK_CACHE 0
#endif
#endif
#ifndef HTTPKIT_BLOCK_CACHE
#define HTTPKIT_BLOCK_CACHE 1
#endif

namespace http::detail::block_cache {

namespace {

// Each block has a header before it: its class, 1 to `classes` (its capacity is class *
// class_size), or 0 for a block of malloc's own size. 16 bytes, so that the block keeps
// malloc's alignment.
constexpr std::size_t header = 16;
constexpr std::size_t uncached = 0;
static_assert(header % alignof(std::max_align_t) == 0 && header >= sizeof(std::size_t));

std::size_t& class_of(void* block) noexcept { return *reinterpret_cast<std::size_t*>(static_cast<char*>(block) - header); }

// Set once this thread's cache is gone (its thread ends): a block freed later, by a thread-local
// or static object destroyed after it, goes to free() directly. Trivially destructible, so it
// can still be read then.
thread_local bool cache_closed = false;

struct Cache {
    void* blocks[classes][blocks_per_class];
    std::size_t counts[classes] = {};

    ~Cache() {
        for (std::size_t c = 0; c < classes; ++c)
            for (std::size_t i = 0; i < counts[c]; ++i)
                std::free(static_cast<char*>(blocks[c][i]) - header);
        cache_closed = true;
    }
};

thread_local Cache cache;

void* raw(std::size_t block_class, std::size_t size) noexcept {
    if (size > std::numeric_limits<std::size_t>::max() - header)
        return nullptr;
    auto* base = static_cast<char*>(std::malloc(header + size));
    if (!base)
        return nullptr;
    *reinterpret_cast<std::size_t*>(base) = block_class;
    return base + header;
}

}  // namespace

void* allocate(std::size_t size) noexcept {
    if (!HTTPKIT_BLOCK_CACHE || size > classes * class_size || cache_closed)
        return raw(uncached, size);
    const std::size_t c = size == 0 ? 1 : (size + class_size - 1) / class_size;  // 1 to classes
    Cache& here = cache;
    if (std::size_t& count = here.counts[c - 1]; count > 0)
        return here.blocks[c - 1][--count];
    return raw(c, c * class_size);
}

void* allocate_zeroed(std::size_t count, std::size_t size) noexcept {
    if (size != 0 && count > std::numeric_limits<std::size_t>::max() / size)
        return nullptr;
    void* block = allocate(count * size);
    if (block)
        std::memset(block, 0, count * size);
    return block;
}

void free(void* block) noexcept {
    if (!block)
        return;
    const std::size_t c = class_of(block);
    if (c != uncached && !cache_closed) {
        Cache& here = cache;
        if (std::size_t& count = here.counts[c - 1]; count < blocks_per_class) {
            here.blocks[c - 1][count++] = block;
            return;
        }
    }
    std::free(static_cast<char*>(block) - header);
}

void* reallocate(void* block, std::size_t size) noexcept {
    if (!block)
        return allocate(size);
    const std::size_t c = class_of(block);
    if (c != uncached && size <= c * class_size)
        return block;  // it fits where it is
    if (c == uncached) {
        // malloc's own block: realloc keeps its header, in front.
        if (size > std::numeric_limits<std::size_t>::max() - header)
            return nullptr;
        auto* base = static_cast<char*>(std::realloc(static_cast<char*>(block) - header, header + size));
        return base ? base + header : nullptr;
    }
    void* moved = allocate(size);
    if (!moved)
        return nullptr;  // the block stays as it was, as with realloc
    std::memcpy(moved, block, c * class_size);  // the old block is smaller than the new one
    free(block);
    return moved;
}

bool enabled() noexcept { return HTTPKIT_BLOCK_CACHE; }

std::size_t cached() noexcept {
    if (cache_closed)
        return 0;
    std::size_t total = 0;
    for (const std::size_t count : cache.counts)
        total += count;
    return total;
}

}  // namespace http::detail::block_cache
