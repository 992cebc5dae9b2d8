#include "proto/message/serialize.hpp"

#include "proto/message/http_date.hpp"
#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"
#include "proto/parser/head_parser.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace http::detail {

namespace {

// Why check_field() refuses a field.
[[noreturn, gnu::cold, gnu::noinline]] void refuse_field(std::string_view message, std::string_view name) {
    if (!is_token(name))
        throw std::invalid_argument(std::string(message) + "header name '" + std::string(name) + "' is not a token");
    throw std::invalid_argument(std::string(message) + "value of header '" + std::string(name) +
                                "' holds a control character");
}

// The field policy of both directions: a name is a token, a value holds no control character
// but HTAB (so no CR, LF or NUL can split a field or end the head early).
inline void check_field(std::string_view message, std::string_view name, std::string_view value) {
    if (!is_token(name) || !is_field_value(value)) [[unlikely]]
        refuse_field(message, name);
}

// A request target or Host value: visible ASCII only (the URL parser percent-encodes the rest), so
// that nothing a caller passes can end the request line or add one.
bool is_visible_ascii(std::string_view text) noexcept {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < '\x7f'; });
}

// memcpy, out of line: inline, the compiler judges it against every buffer a short piece comes from.
[[gnu::noinline]] void copy_long(char* to, const char* from, std::size_t n) noexcept { std::memcpy(to, from, n); }

// Copies n bytes that do not overlap: up to 32 with two loads and two stores (which may overlap
// each other), for the short names and values a head is made of, whose copy costs less than a
// call to memcpy.
[[gnu::always_inline]] inline void copy_bytes(char* to, const char* from, std::size_t n) noexcept {
    auto copy_ends = [&](auto word) {
        decltype(word) last;
        std::memcpy(&word, from, sizeof word);
        std::memcpy(&last, from + n - sizeof word, sizeof word);
        std::memcpy(to, &word, sizeof word);
        std::memcpy(to + n - sizeof word, &last, sizeof word);
    };
    struct Block {
        char bytes[16];
    };
    if (n > 32)
        copy_long(to, from, n);
    else if (n >= 16)
        copy_ends(Block{});
    else if (n >= 8)
        copy_ends(std::uint64_t{});
    else if (n >= 4)
        copy_ends(std::uint32_t{});
    else if (n >= 2)
        copy_ends(std::uint16_t{});
    else if (n == 1)
        *to = *from;
}

// Appends a response head to a string through a buffer on the stack: one append for the head,
// where an append for each piece costs a capacity check and a call.
class HeadWriter {
public:
    explicit HeadWriter(std::string& out) noexcept : out_(out) {}
    HeadWriter(const HeadWriter&) = delete;
    HeadWriter& operator=(const HeadWriter&) = delete;

    [[gnu::always_inline]] void put(std::string_view piece) {
        if (piece.empty())
            return;  // its data() may be null, which memcpy may not be given
        if (piece.size() > static_cast<std::size_t>(end_ - at_)) {
            flush();
            if (piece.size() > sizeof buffer_) {
                out_.append(piece);
                return;
            }
        }
        copy_bytes(at_, piece.data(), piece.size());
        at_ += piece.size();
    }
    /// "HTTP/1.1 " code " " phrase CRLF. The code's three digits go straight into the buffer: made
    /// in a buffer of their own first, one byte at a time, they were copied on with wider loads
    /// than those stores, which the CPU cannot forward (a stall of some nanoseconds a response).
    void put_status_line(unsigned code, std::string_view phrase) {
        if (end_ - at_ < 13)
            flush();
        std::memcpy(at_, "HTTP/1.1 ", 9);
        at_[9] = static_cast<char>('0' + code / 100);
        at_[10] = static_cast<char>('0' + code / 10 % 10);
        at_[11] = static_cast<char>('0' + code % 10);
        at_[12] = ' ';
        at_ += 13;
        put(phrase);
        put("\r\n");
    }
    /// name ": " value CRLF, with one check of the room left for the whole line.
    [[gnu::always_inline]] void put_field(std::string_view name, std::string_view value) {
        if (name.size() + value.size() + 4 > static_cast<std::size_t>(end_ - at_)) {
            put(name);
            put(": ");
            put(value);
            put("\r\n");
            return;
        }
        char* at = at_;
        copy_bytes(at, name.data(), name.size());
        at += name.size();
        at[0] = ':';
        at[1] = ' ';
        at += 2;
        copy_bytes(at, value.data(), value.size());  // reads nothing of an empty one
        at += value.size();
        at[0] = '\r';
        at[1] = '\n';
        at_ = at + 2;
    }
    /// How many bytes the buffer can still take.
    std::size_t room() const noexcept { return static_cast<std::size_t>(end_ - at_); }
    /// Writes what is buffered to the string; call it last.
    void flush() {
        out_.append(buffer_, static_cast<std::size_t>(at_ - buffer_));
        at_ = buffer_;
    }

private:
    std::string& out_;
    char buffer_[1024];
    char* at_ = buffer_;
    char* const end_ = buffer_ + sizeof buffer_;
};

}  // namespace

std::string_view missing_required_field(const Response& response) noexcept {
    const StatusInfo* info = status_info(response.status);
    if (!info)
        return {};
    for (const StatusHeader& header : info->headers)
        if (header.required && !response.headers.contains(header.name))
            return header.name;
    return {};
}

bool is_framing_field(std::string_view name) noexcept {
    return equals_lower(name, "content-length") || equals_lower(name, "transfer-encoding") ||
           equals_lower(name, "connection") || equals_lower(name, "date");
}

void check_response(const Response& response) {
    const auto code = static_cast<unsigned>(response.status);
    if (code < 100 || code > 999)
        throw std::invalid_argument("http::Response: status " + std::to_string(code) + " is not a three-digit code");
    for (const auto& [name, value] : response.headers)
        check_field("http::Response: ", name, value);
    for (const std::string& cookie : response.cookies)
        check_field("http::Response: ", "Set-Cookie", cookie);
}

bool is_request_framing_field(std::string_view name) noexcept {
    return equals_lower(name, "host") || equals_lower(name, "content-length") ||
           equals_lower(name, "transfer-encoding") || equals_lower(name, "connection") || equals_lower(name, "expect");
}

void check_request_head(std::string_view method, std::string_view target, std::string_view host, const Headers& fields) {
    if (!is_token(method))
        throw std::invalid_argument("the method '" + std::string(method) + "' is not a token");
    if (!is_visible_ascii(target))
        throw std::invalid_argument("the request target '" + std::string(target) +
                                    "' is empty or holds a byte other than visible ASCII");
    if (!is_visible_ascii(host))
        throw std::invalid_argument("the Host '" + std::string(host) +
                                    "' is empty or holds a byte other than visible ASCII");
    for (const auto& [name, value] : fields)
        check_field("", name, value);
}

SerializedRequest serialize_request(const RequestFraming& framing, const Headers& fields, std::string& out) {
    check_request_head(framing.method, framing.target, framing.host, fields);

    SerializedRequest result;
    HeadWriter head(out);
    head.put(framing.method);
    head.put(" ");
    head.put(framing.target);
    head.put(" HTTP/1.1\r\n");
    head.put_field("Host", framing.host);
    for (const auto& [name, value] : fields)
        if (!is_request_framing_field(name))
            head.put_field(name, value);
    if (framing.content_length) {
        char digits[32];  // 20 at most; 32 for the compiler, which cannot tell, to see a copy_bytes() inside it
        const auto end = std::to_chars(digits, digits + sizeof digits, *framing.content_length).ptr;
        head.put_field("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
        if (framing.expect_continue && *framing.content_length > 0) {
            head.put("Expect: 100-continue\r\n");
            result.expect_continue = true;
        }
    }
    if (!framing.keep_alive) {
        head.put(framing.upgrade ? "Connection: Upgrade, close\r\n" : "Connection: close\r\n");
        result.keep_alive = false;
    } else if (framing.upgrade) {
        head.put("Connection: Upgrade\r\n");
    }
    head.put("\r\n");
    head.flush();
    return result;
}

bool serialize_response(const Response& response, const ResponseFraming& framing, std::string& out) {
    check_response(response);
    HeadWriter head(out);
    head.put_status_line(static_cast<unsigned>(response.status), phrase(response.status));  // three digits: checked
    // Inline at each of its calls, where a constant name (Date, Content-Length) is copied as such.
    emit_response_fields(response, framing, [&head](std::string_view name, std::string_view value)
                                                __attribute__((always_inline)) { head.put_field(name, value); });
    const bool no_body = response_has_no_content(response.status);
    if (!no_body && framing.stream && framing.version_minor >= 1)
        head.put("Transfer-Encoding: chunked\r\n");
    if (framing.upgrade)
        head.put("Connection: Upgrade\r\n");
    else if (!framing.keep_alive)
        head.put("Connection: close\r\n");
    else if (framing.version_minor == 0)
        head.put("Connection: keep-alive\r\n");
    head.put("\r\n");

    if (no_body || framing.head_request || framing.stream) {
        head.flush();
        return false;
    }
    if (framing.external_length || response.body.size() > inline_body_limit) {
        head.flush();
        return true;
    }
    if (response.body.size() <= head.room()) {
        head.put(response.body);  // in the same append as the head
        head.flush();
    } else {
        head.flush();
        out += response.body;
    }
    return false;
}

}  // namespace http::detail
