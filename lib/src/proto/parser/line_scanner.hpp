// Finds the lines of a message head as they arrive: the LF search resumes where it stopped, and a
// head must end its lines one way, CRLF or LF, not both (RFC 9112, Section 2.2; a mix is where a
// CRLF-only intermediary and this parser would disagree about where a field ends).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace http::detail {

class LineScanner {
public:
    enum class Result : std::uint8_t { line, incomplete, mixed_line_ends };

    /// The next complete line: [begin, end) without its line end. Call advance() to move past it.
    Result next(std::string_view input, std::size_t& begin, std::size_t& end) noexcept {
        const void* found =
            search_from_ < input.size() ? std::memchr(input.data() + search_from_, '\n', input.size() - search_from_) : nullptr;
        if (!found) {
            search_from_ = input.size();
            return Result::incomplete;
        }
        return line_at(input, static_cast<std::size_t>(static_cast<const char*>(found) - input.data()), begin, end);
    }
    /// As next(), for a line whose LF the caller has found already, at `newline` (the first LF at
    /// or after line_start()).
    Result line_at(std::string_view input, std::size_t newline, std::size_t& begin, std::size_t& end) noexcept {
        const bool crlf = newline > line_start_ && input[newline - 1] == '\r';
        const std::uint8_t ending = crlf ? 1 : 2;
        if (ending_ != 0 && ending_ != ending)
            return Result::mixed_line_ends;
        ending_ = ending;
        begin = line_start_;
        end = crlf ? newline - 1 : newline;
        next_ = newline + 1;
        return Result::line;
    }
    void advance() noexcept { line_start_ = search_from_ = next_; }
    /// Starts lines at `position` (after skipped bytes).
    void start_at(std::size_t position) noexcept { line_start_ = search_from_ = next_ = position; }
    /// Where the line being scanned begins, and where the line after the last one returned begins.
    std::size_t line_start() const noexcept { return line_start_; }
    std::size_t next_line() const noexcept { return next_; }
    void reset() noexcept { line_start_ = search_from_ = next_ = 0, ending_ = 0; }
    /// Nothing has been looked at since the last reset().
    bool untouched() const noexcept { return search_from_ == 0; }

private:
    std::size_t line_start_ = 0;
    std::size_t search_from_ = 0;
    std::size_t next_ = 0;
    std::uint8_t ending_ = 0;  // 0 not known yet, 1 CRLF, 2 LF
};

}  // namespace http::detail
