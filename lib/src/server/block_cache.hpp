// Small blocks cached per thread, for nghttp2 (its nghttp2_mem allocator): with many streams in
// flight, each kind of per-stream block (a stream, its frames, its header buffers) is allocated
// as many times before any is freed, more than the 7 blocks of a size glibc's per-thread cache
// keeps, and most of them take malloc's slow path. Here each thread keeps up to
// `blocks_per_class` freed blocks of each size class (64 bytes apart, up to 1 KiB); larger
// blocks go to malloc and free directly. A block may be freed on another thread than the one
// that allocated it (a loop the watchdog hands on): it joins that thread's cache.
//
// Under AddressSanitizer the cache is off (each call goes to malloc), so that a use of a freed
// block is still found.
#pragma once

#include <cstddef>

namespace http::detail::block_cache {

inline constexpr std::size_t class_size = 64;
inline constexpr std::size_t classes = 16;  // blocks of up to 16 * 64 = 1 KiB are cached
inline constexpr std::size_t blocks_per_class = 32;

/// As malloc, calloc, realloc and free (nullptr when out of memory); a block from these goes
/// back through free() here, never the C library's.
void* allocate(std::size_t size) noexcept;
void* allocate_zeroed(std::size_t count, std::size_t size) noexcept;
void* reallocate(void* block, std::size_t size) noexcept;
void free(void* block) noexcept;

/// Whether freed blocks are kept (not under AddressSanitizer), and how many this thread keeps,
/// of every class (for tests).
bool enabled() noexcept;
std::size_t cached() noexcept;

}  // namespace http::detail::block_cache
