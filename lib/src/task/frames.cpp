// Where coroutine frames come from: a cache, per thread, of the frames freed lately, by size.
//
// A request makes and frees a handful of frames (the client's send, its exchange, the reads and
// writes; a handler's), of the same few sizes each time. Taken from a list of this thread's freed
// ones, a frame costs a few instructions instead of a malloc and a free. The cache holds at most
// `kept_per_size` frames of each size up to `largest`, in 16-byte steps, as malloc rounds them; a
// frame freed on another thread than the one that made it joins that thread's cache. Under
// AddressSanitizer frames go to the allocator as they are, so that a use after free is still
// caught.
#include <http/task.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace http::detail {

namespace {

constexpr bool recycle_frames = recycles_frames;  // (not under AddressSanitizer)

constexpr std::size_t step = 16;
constexpr std::size_t largest = 1024;
constexpr std::size_t sizes = largest / step;
constexpr std::uint8_t kept_per_size = 8;

struct FreeFrame {
    FreeFrame* next;
};

struct FrameCache {
    std::array<FreeFrame*, sizes> free{};
    std::array<std::uint8_t, sizes> kept{};

    ~FrameCache();
};

// Set once the thread's cache is gone (frames freed by later thread-exit destructors then go to
// the allocator). A plain bool: it may be read after the cache's destructor has run.
thread_local bool cache_gone = false;
thread_local FrameCache cache;

FrameCache::~FrameCache() {
    cache_gone = true;
    for (FreeFrame*& list : free)
        while (list)
            ::operator delete(std::exchange(list, list->next));
}

// The slot of a frame of `size` bytes, or `sizes` when it is not kept.
std::size_t slot_of(std::size_t size) noexcept { return size == 0 || size > largest ? sizes : (size - 1) / step; }

}  // namespace

void* PromiseBase::operator new(std::size_t size) {
    const std::size_t slot = slot_of(size);
    if (!recycle_frames || slot == sizes || cache_gone)
        return ::operator new(size);
    if (FreeFrame* const frame = cache.free[slot]) {
        cache.free[slot] = frame->next;
        --cache.kept[slot];
        return frame;
    }
    return ::operator new((slot + 1) * step);  // the size its slot reuses
}

void PromiseBase::operator delete(void* frame, std::size_t size) noexcept {
    const std::size_t slot = slot_of(size);
    if (!recycle_frames || slot == sizes || cache_gone || cache.kept[slot] == kept_per_size) {
        ::operator delete(frame);
        return;
    }
    cache.free[slot] = ::new (frame) FreeFrame{cache.free[slot]};
    ++cache.kept[slot];
}

}  // namespace http::detail
