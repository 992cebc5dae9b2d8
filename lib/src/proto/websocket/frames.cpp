#include "proto/websocket/frames.hpp"

#include <algorithm>
#include <cstring>

namespace http::detail::websocket {

namespace {

constexpr std::size_t max_control_payload = 125;

bool is_control(Opcode opcode) noexcept { return (static_cast<unsigned>(opcode) & 0x8) != 0; }

// XORs `n` bytes of `data` with the mask, which starts at `offset` into the payload.
void unmask(char* data, std::size_t n, const unsigned char* mask, std::uint64_t offset) noexcept {
    unsigned char key[8];
    for (std::size_t i = 0; i < 8; ++i)
        key[i] = mask[(offset + i) % 4];
    std::uint64_t word_key;
    std::memcpy(&word_key, key, 8);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, 8);
        word ^= word_key;
        std::memcpy(data + i, &word, 8);
    }
    for (; i < n; ++i)
        data[i] = static_cast<char>(static_cast<unsigned char>(data[i]) ^ key[i % 8]);
}

}  // namespace

// --- UTF-8 ----------------------------------------------------------------------------------------

// The state: how many continuation bytes are still owed, and the range the next one must be in
// (narrower after E0, ED, F0 and F4: no overlong forms, no surrogates, nothing past U+10FFFF).
bool Utf8Validator::feed(std::string_view bytes) noexcept {
    std::uint32_t remaining = state_ & 0xff;
    std::uint32_t low = (state_ >> 8) & 0xff, high = (state_ >> 16) & 0xff;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const unsigned char* const end = p + bytes.size();
    while (p < end) {
        if (remaining == 0) {
            // ASCII, eight bytes at a time.
            while (end - p >= 8) {
                std::uint64_t word;
                std::memcpy(&word, p, 8);
                if (word & 0x8080808080808080ULL)
                    break;
                p += 8;
            }
            if (p == end)
                break;
            const unsigned c = *p++;
            if (c < 0x80)
                continue;
            if (c < 0xc2 || c > 0xf4)
                return false;
            if (c < 0xe0) {
                remaining = 1;
                low = 0x80, high = 0xbf;
            } else if (c < 0xf0) {
                remaining = 2;
                low = c == 0xe0 ? 0xa0 : 0x80;
                high = c == 0xed ? 0x9f : 0xbf;
            } else {
                remaining = 3;
                low = c == 0xf0 ? 0x90 : 0x80;
                high = c == 0xf4 ? 0x8f : 0xbf;
            }
        } else {
            const unsigned c = *p++;
            if (c < low || c > high)
                return false;
            --remaining;
            low = 0x80, high = 0xbf;
        }
    }
    state_ = remaining == 0 ? 0 : remaining | low << 8 | high << 16;
    return true;
}

bool valid_utf8(std::string_view text) noexcept {
    Utf8Validator validator;
    return validator.feed(text) && validator.complete();
}

// --- Reading --------------------------------------------------------------------------------------

std::string_view MessageReader::close_reason() const noexcept {
    return control_.size() > 2 ? std::string_view(control_).substr(2) : std::string_view();
}

MessageReader::Event MessageReader::fail(CloseCode code, std::string_view reason) noexcept {
    state_ = State::failed;
    error_code_ = code;
    error_reason_ = reason;
    return Event::error;
}

MessageReader::Event MessageReader::next(std::string_view input, std::size_t& used) {
    used = 0;
    while (true) {
        if (state_ == State::failed)
            return Event::error;
        if (state_ == State::header) {
            // 2 bytes, then the extended length and the mask key they announce.
            std::size_t wanted = 2;
            if (header_have_ >= 2) {
                const unsigned length7 = header_[1] & 0x7f;
                wanted += (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((header_[1] & 0x80) ? 4 : 0);
            }
            const std::size_t take = std::min(wanted - header_have_, input.size() - used);
            std::memcpy(header_ + header_have_, input.data() + used, take);
            header_have_ += take;
            used += take;
            if (header_have_ < wanted)
                return Event::need_input;
            if (wanted == 2 && ((header_[1] & 0x7f) >= 126 || (header_[1] & 0x80)))
                continue;  // the rest of the header is now known to be wanted
            const Event started = start_frame();
            if (started != Event::need_input)
                return started;
            continue;
        }
        // The payload.
        const std::size_t available = input.size() - used;
        if (available == 0 && remaining_ > 0)
            return Event::need_input;
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, available));
        const std::string_view piece = input.substr(used, take);
        used += take;
        remaining_ -= take;
        if (take > 0) {
            const Event taken = take_payload(piece);
            if (taken != Event::need_input)
                return taken;
        }
        if (remaining_ > 0)
            return Event::need_input;
        const Event ended = end_frame();
        if (ended != Event::need_input)
            return ended;
    }
}

MessageReader::Event MessageReader::start_frame() {
    const unsigned char b0 = header_[0], b1 = header_[1];
    fin_ = b0 & 0x80;
    const bool rsv1 = b0 & 0x40;
    if (b0 & 0x30)
        return fail(CloseCode::PROTOCOL_ERROR, "reserved bits RSV2 or RSV3 set");
    const unsigned op = b0 & 0x0f;
    if (!(op <= 0x2 || (op >= 0x8 && op <= 0xa)))
        return fail(CloseCode::PROTOCOL_ERROR, "reserved opcode");
    opcode_ = static_cast<Opcode>(op);
    masked_ = b1 & 0x80;
    if (role_ == Role::server && !masked_)
        return fail(CloseCode::PROTOCOL_ERROR, "a client's frame must be masked");
    if (role_ == Role::client && masked_)
        return fail(CloseCode::PROTOCOL_ERROR, "a server's frame must not be masked");
    std::uint64_t length = b1 & 0x7f;
    std::size_t at = 2;
    if (length == 126) {
        length = std::uint64_t{header_[2]} << 8 | header_[3];
        at = 4;
        if (length < 126)
            return fail(CloseCode::PROTOCOL_ERROR, "frame length not in its shortest form");
    } else if (length == 127) {
        length = 0;
        for (std::size_t i = 2; i < 10; ++i)
            length = length << 8 | header_[i];
        at = 10;
        if (length >> 63)
            return fail(CloseCode::PROTOCOL_ERROR, "frame length with its most significant bit set");
        if (length <= 0xffff)
            return fail(CloseCode::PROTOCOL_ERROR, "frame length not in its shortest form");
    }
    if (masked_)
        std::memcpy(mask_, header_ + at, 4);
    mask_offset_ = 0;
    remaining_ = length;

    if (is_control(opcode_)) {
        if (!fin_)
            return fail(CloseCode::PROTOCOL_ERROR, "a fragmented control frame");
        if (length > max_control_payload)
            return fail(CloseCode::PROTOCOL_ERROR, "a control frame longer than 125 bytes");
        if (rsv1)
            return fail(CloseCode::PROTOCOL_ERROR, "a compressed control frame");
        control_.clear();
    } else if (opcode_ == Opcode::continuation) {
        if (!in_message_)
            return fail(CloseCode::PROTOCOL_ERROR, "a continuation frame without a message");
        if (rsv1)
            return fail(CloseCode::PROTOCOL_ERROR, "RSV1 on a continuation frame");
    } else {
        if (in_message_)
            return fail(CloseCode::PROTOCOL_ERROR, "a new message before the last one ended");
        if (rsv1 && !inflater_)
            return fail(CloseCode::PROTOCOL_ERROR, "RSV1 set without permessage-deflate");
        in_message_ = true;
        binary_ = opcode_ == Opcode::binary;
        compressed_ = rsv1;
        message_.clear();
        utf8_.reset();
    }
    if (!is_control(opcode_) && !compressed_ && length > max_message_size_ - message_.size())
        return fail(CloseCode::MESSAGE_TOO_BIG, "a message larger than the limit");
    state_ = State::payload;
    return Event::need_input;
}

MessageReader::Event MessageReader::take_payload(std::string_view piece) {
    std::string& into = is_control(opcode_) ? control_ : compressed_ ? piece_ : message_;
    if (&into == &piece_)
        piece_.clear();  // a compressed piece goes to the inflater at once
    const std::size_t at = into.size();
    into.append(piece);
    if (masked_)
        unmask(into.data() + at, piece.size(), mask_, mask_offset_);
    mask_offset_ += piece.size();
    if (is_control(opcode_))
        return Event::need_input;
    if (compressed_)
        return inflate(piece_, false);
    if (!binary_ && !utf8_.feed(std::string_view(message_).substr(at)))
        return fail(CloseCode::INVALID_FRAME_PAYLOAD_DATA, "a text message that is not UTF-8");
    return Event::need_input;
}

// What the inflater gave before it failed is checked first: a text message fails at its first
// bad byte, whether that is in what was inflated or in the compressed bytes after it, however the
// frame was cut into reads (one read may hold both, another only the first).
MessageReader::Event MessageReader::inflate(std::string_view input, bool last) {
    const std::size_t checked_from = message_.size();
    bool too_large = false;
    const bool inflated = inflater_->inflate(input, last, message_, max_message_size_ - message_.size(), too_large);
    if (!binary_) {
        const std::size_t within_limit = std::min(message_.size(), max_message_size_);
        if (!utf8_.feed(std::string_view(message_).substr(checked_from, within_limit - checked_from)))
            return fail(CloseCode::INVALID_FRAME_PAYLOAD_DATA, "a text message that is not UTF-8");
    }
    if (!inflated)
        return too_large ? fail(CloseCode::MESSAGE_TOO_BIG, "a message larger than the limit")
                         : fail(CloseCode::INVALID_FRAME_PAYLOAD_DATA, "a compressed message that does not inflate");
    return Event::need_input;
}

MessageReader::Event MessageReader::end_frame() {
    state_ = State::header;
    header_have_ = 0;
    switch (opcode_) {
    case Opcode::ping:
        return Event::ping;
    case Opcode::pong:
        return Event::pong;
    case Opcode::close:
        if (control_.empty()) {
            close_code_ = static_cast<std::uint16_t>(CloseCode::NO_STATUS_RCVD);
            return Event::close;
        }
        if (control_.size() == 1)
            return fail(CloseCode::PROTOCOL_ERROR, "a close frame of one byte");
        close_code_ = static_cast<std::uint16_t>(static_cast<unsigned char>(control_[0]) << 8 |
                                                 static_cast<unsigned char>(control_[1]));
        if (!may_receive_close_code(close_code_))
            return fail(CloseCode::PROTOCOL_ERROR, "a close code that may not be sent");
        if (!valid_utf8(close_reason()))
            return fail(CloseCode::INVALID_FRAME_PAYLOAD_DATA, "a close reason that is not UTF-8");
        return Event::close;
    case Opcode::continuation:
    case Opcode::text:
    case Opcode::binary:
        break;
    }
    if (!fin_)
        return Event::need_input;  // more fragments to come
    if (compressed_) {
        const Event inflated = inflate({}, true);
        if (inflated != Event::need_input)
            return inflated;
    }
    if (!binary_ && !utf8_.complete())
        return fail(CloseCode::INVALID_FRAME_PAYLOAD_DATA, "a text message that ends inside a UTF-8 sequence");
    in_message_ = false;
    compressed_ = false;
    return Event::message;
}

// --- Writing --------------------------------------------------------------------------------------

void write_frame(std::string& out, Opcode opcode, std::string_view payload, bool fin, bool rsv1,
                 const unsigned char* mask) {
    unsigned char header[14];
    std::size_t size = 2;
    header[0] = static_cast<unsigned char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<unsigned>(opcode));
    const unsigned char mask_bit = mask ? 0x80 : 0;
    const std::uint64_t length = payload.size();
    if (length < 126) {
        header[1] = static_cast<unsigned char>(mask_bit | length);
    } else if (length <= 0xffff) {
        header[1] = mask_bit | 126;
        header[2] = static_cast<unsigned char>(length >> 8);
        header[3] = static_cast<unsigned char>(length);
        size = 4;
    } else {
        header[1] = mask_bit | 127;
        for (int i = 0; i < 8; ++i)
            header[2 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
        size = 10;
    }
    if (mask) {
        std::memcpy(header + size, mask, 4);
        size += 4;
    }
    out.append(reinterpret_cast<const char*>(header), size);
    const std::size_t at = out.size();
    out.append(payload);
    if (mask)
        unmask(out.data() + at, payload.size(), mask, 0);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
    if (code == static_cast<std::uint16_t>(CloseCode::NO_STATUS_RCVD))
        return {};
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xff);
    // At most 123 bytes of reason, cut before a continuation byte so that it stays UTF-8.
    std::size_t keep = std::min(reason.size(), max_control_payload - 2);
    while (keep > 0 && keep < reason.size() && (static_cast<unsigned char>(reason[keep]) & 0xc0) == 0x80)
        --keep;
    payload.append(reason.substr(0, keep));
    return payload;
}

}  // namespace http::detail::websocket
