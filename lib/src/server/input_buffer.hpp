// A connection's receive buffer. A small inline area takes typical requests whole; larger ones
// move to a block from a per-thread pool, which goes back as soon as everything received has
// been used. Ten thousand idle keep-alive connections therefore hold only their inline areas.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace http::detail {

class InputBuffer {
public:
    static constexpr std::size_t inline_size = 2 * 1024;
    static constexpr std::size_t block_size = 16 * 1024;

    InputBuffer() = default;
    ~InputBuffer() { reset(); }
    InputBuffer(const InputBuffer&) = delete;
    InputBuffer& operator=(const InputBuffer&) = delete;

    /// The received bytes not yet used.
    std::string_view data() const noexcept { return {base_ + begin_, end_ - begin_}; }
    bool empty() const noexcept { return begin_ == end_; }
    std::size_t size() const noexcept { return end_ - begin_; }
    std::size_t capacity() const noexcept { return capacity_; }

    /// Room to receive into: the unused bytes go into a pooled block when the inline area is
    /// full, or to the front of the block when it is. Returns nullptr with room 0 when
    /// `capacity()` bytes are waiting.
    char* space(std::size_t& room) {
        if (end_ == capacity_) {
            if (!block_) {
                // Reads filled the inline area: more is likely waiting (pipelined requests, a
                // large head), taken now in reads of up to block_size, with fewer heads cut at
                // the end of a read to be parsed again once the rest comes.
                move_to(take_block(), block_size);
            } else if (begin_ > 0) {
                std::memmove(base_, base_ + begin_, end_ - begin_);
                end_ -= begin_;
                begin_ = 0;
            }
        }
        room = capacity_ - end_;
        return room ? base_ + end_ : nullptr;
    }
    /// As space(), for a stream of bytes (a body, HTTP/2 frames): reads into a pooled block, not
    /// the small inline area, so that each read can take up to block_size.
    char* bulk_space(std::size_t& room) {
        if (!block_)
            move_to(take_block(), block_size);
        return space(room);
    }
    void commit(std::size_t n) noexcept { end_ += n; }
    void consume(std::size_t n) noexcept {
        begin_ += n;
        if (begin_ == end_)
            reset();
    }
    void clear() noexcept { reset(); }

    /// Makes room for `capacity` bytes in all, keeping the unused ones.
    void grow(std::size_t capacity) {
        if (capacity > capacity_)
            move_to(std::unique_ptr<char[]>(new char[capacity]), capacity);
    }

private:
    using Pool = std::vector<std::unique_ptr<char[]>>;
    static Pool& pool() noexcept {
        thread_local Pool blocks;
        return blocks;
    }
    static std::unique_ptr<char[]> take_block() {
        Pool& blocks = pool();
        if (blocks.empty())
            return std::unique_ptr<char[]>(new char[block_size]);
        std::unique_ptr<char[]> block = std::move(blocks.back());
        blocks.pop_back();
        return block;
    }
    void move_to(std::unique_ptr<char[]> block, std::size_t capacity) {
        std::memcpy(block.get(), base_ + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
        give_back();
        block_ = std::move(block);
        base_ = block_.get();
        capacity_ = capacity;
    }
    // Inline, for the test of the commonest case (no block), which was a call.
    void give_back() noexcept {
        if (block_)
            give_back_block();
    }
    void give_back_block() noexcept {
        // Pooled blocks are reused; grown ones are freed. The pool stays small.
        Pool& blocks = pool();
        if (capacity_ == block_size && blocks.size() < 64) {
            try {
                blocks.push_back(std::move(block_));
            } catch (...) {
            }
        }
        block_.reset();
    }
    void reset() noexcept {
        give_back();
        base_ = inline_;
        capacity_ = inline_size;
        begin_ = end_ = 0;
    }

    char inline_[inline_size];
    std::unique_ptr<char[]> block_;
    char* base_ = inline_;
    std::size_t capacity_ = inline_size;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

}  // namespace http::detail
