#include "proto/parser/chunked.hpp"

#include "proto/parser/char_class.hpp"

#include <algorithm>
#include <cstring>

namespace http::detail {

void ChunkedDecoder::reset() {
    state_ = State::size;
    chunk_size_ = remaining_ = total_ = 0;
    line_length_ = 0;
    has_digit_ = false;
    extension_.clear();
    trailer_bytes_.clear();
    trailer_line_start_ = 0;
    trailers_.clear();
    error_ = {};
}

ChunkedDecoder::Result ChunkedDecoder::fail(Status status, std::string_view reason) {
    error_ = {status, reason};
    return Result::error;
}

bool valid_chunk_extensions(std::string_view s) noexcept {
    std::size_t i = 0;
    auto skip_ows = [&] {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
            ++i;
    };
    auto token = [&] {
        const std::size_t start = i;
        while (i < s.size() && is(s[i], tchar))
            ++i;
        return i > start;
    };
    // Whitespace (BWS) may only come before ';' or '=', never at the end.
    while (true) {
        const std::size_t before = i;
        skip_ows();
        if (i == s.size())
            return i == before;
        if (s[i] != ';')
            return false;
        ++i;
        skip_ows();
        if (!token())
            return false;
        skip_ows();
        if (i < s.size() && s[i] == '=') {
            ++i;
            skip_ows();
            if (i < s.size() && s[i] == '"') {
                ++i;
                while (i < s.size() && s[i] != '"') {
                    if (s[i] == '\\') {
                        if (++i == s.size() || !is(s[i], field_vchar))
                            return false;
                    } else if (!is(s[i], field_vchar)) {
                        return false;
                    }
                    ++i;
                }
                if (i == s.size())
                    return false;
                ++i;
            } else if (!token()) {
                return false;
            }
        } else if (i != s.size() && s[i] != ';' && s[i] != ' ' && s[i] != '\t') {
            return false;
        }
    }
}

void ChunkedDecoder::finish_size_line() {
    extension_.clear();
    line_length_ = 0;
}

ChunkedDecoder::Result ChunkedDecoder::feed(std::string_view input, std::size_t& consumed, std::string& body) {
    const char* p = input.data();
    const char* end = p + input.size();
    consumed = 0;
    auto done_at = [&](const char* at) { consumed = static_cast<std::size_t>(at - input.data()); };

    while (p < end) {
        switch (state_) {
        case State::size: {
            // The hex digits of the size, as many as this input holds.
            int digit;
            while (p < end && (digit = hex_value(*p)) >= 0) {
                if (chunk_size_ > (UINT64_MAX >> 4))
                    return fail(Status::BAD_REQUEST, "chunk size overflows");
                chunk_size_ = (chunk_size_ << 4) | static_cast<std::uint64_t>(digit);
                has_digit_ = true;
                ++p;
                if (++line_length_ > limits_.max_line)
                    return fail(Status::BAD_REQUEST, "chunk-size line too long");
            }
            if (p == end)
                break;
            const char c = *p;
            if (!has_digit_)
                return fail(Status::BAD_REQUEST, "invalid chunk size");
            if (c == ';' || c == ' ' || c == '\t') {
                state_ = State::extension;
                break;
            }
            if (c == '\r') {
                state_ = State::size_lf;
                ++p;
                break;
            }
            return fail(Status::BAD_REQUEST, c == '\n' ? "chunk-size line must end in CRLF" : "invalid chunk size");
        }
        case State::extension: {
            const char* stop = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)));
            const char* until = stop ? stop : end;
            const std::size_t n = static_cast<std::size_t>(until - p);
            line_length_ += n;
            if (line_length_ > limits_.max_line)
                return fail(Status::BAD_REQUEST, "chunk extensions too long");
            // Checked when the extension's CR arrives, however the line was cut.
            if (stop && extension_.empty()) {
                if (!valid_chunk_extensions(std::string_view(p, n)))
                    return fail(Status::BAD_REQUEST, "invalid chunk extension");
            } else {
                extension_.append(p, n);  // split across reads: kept until its end arrives
                if (stop && !valid_chunk_extensions(extension_))
                    return fail(Status::BAD_REQUEST, "invalid chunk extension");
            }
            p = until;
            if (stop) {
                state_ = State::size_lf;
                ++p;
            }
            break;
        }
        case State::size_lf:
            if (*p != '\n')
                return fail(Status::BAD_REQUEST, "bare CR in chunk-size line");
            ++p;
            finish_size_line();
            if (chunk_size_ == 0) {
                state_ = State::trailer;
                break;
            }
            if (chunk_size_ > limits_.max_body_size - total_)
                return fail(Status::CONTENT_TOO_LARGE, "body too large");
            remaining_ = chunk_size_;
            state_ = State::data;
            break;
        case State::data: {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(end - p)));
            body.append(p, n);
            p += n;
            remaining_ -= n;
            total_ += n;
            if (remaining_ == 0)
                state_ = State::data_cr;
            break;
        }
        case State::data_cr:
            if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {  // the usual case, in one step
                p += 2;
                chunk_size_ = 0;
                has_digit_ = false;
                state_ = State::size;
                break;
            }
            if (*p != '\r')
                return fail(Status::BAD_REQUEST, "chunk data longer than its size");
            ++p;
            state_ = State::data_lf;
            break;
        case State::data_lf:
            if (*p != '\n')
                return fail(Status::BAD_REQUEST, "bare CR after chunk data");
            ++p;
            chunk_size_ = 0;
            has_digit_ = false;
            state_ = State::size;
            break;
        case State::trailer: {
            // Collect the trailer section a line at a time, up to its empty line, then parse it
            // as field lines.
            if (trailer_bytes_.empty() && end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
                p += 2;  // no trailer fields: the usual end of a chunked body
                state_ = State::done;
                done_at(p);
                return Result::complete;
            }
            const char* newline = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            const char* stop = newline ? newline + 1 : end;
            trailer_bytes_.append(p, stop);
            p = stop;
            if (trailer_bytes_.size() > limits_.max_trailer_size)
                return fail(Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "trailer section too large");
            if (!newline)
                break;
            const std::string_view line = std::string_view(trailer_bytes_).substr(trailer_line_start_);
            trailer_line_start_ = trailer_bytes_.size();
            if (line != "\r\n") {
                if (line.size() < 2 || line[line.size() - 2] != '\r')
                    return fail(Status::BAD_REQUEST, "trailer lines must end in CRLF");
                break;
            }
            trailers_.clear();
            if (!parse_field_lines(trailer_bytes_, trailers_, limits_.max_trailer_fields, error_))
                return Result::error;
            state_ = State::done;
            done_at(p);
            return Result::complete;
        }
        case State::done:
            done_at(p);
            return Result::complete;
        }
    }
    done_at(p);
    return state_ == State::done ? Result::complete : Result::incomplete;
}

}  // namespace http::detail
