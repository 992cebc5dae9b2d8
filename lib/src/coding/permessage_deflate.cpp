#include "coding/permessage_deflate.hpp"

#include <zlib.h>

#include <new>
#include <vector>

namespace http::detail {

// A zlib stream, raw deflate, either way.
struct PerMessageDeflate::Stream {
    Stream(bool compressing, int window_bits) : deflating(compressing), bits(window_bits) {
        const int made = compressing ? deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY)
                                   : inflateInit2(&z, -window_bits);
        if (made != Z_OK)
            throw std::bad_alloc();
    }
    ~Stream() {
        if (deflating)
            deflateEnd(&z);
        else
            inflateEnd(&z);
    }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    void reset() noexcept {
        if (deflating)
            deflateReset(&z);
        else
            inflateReset(&z);
    }

    z_stream z{};
    bool deflating;
    int bits;
};

namespace {

// Messages shorter than this go uncompressed: framing and the deflate block's own bytes would
// make them longer, not shorter.
constexpr std::size_t min_compressed_size = 64;
// A message ends with an empty stored block, whose last four bytes the sender leaves out.
constexpr unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};

// The thread's compressor for ends that keep no context, by window size, and its spare
// inflaters (each held by a connection while a message of its arrives, then given back).
thread_local std::unique_ptr<PerMessageDeflate::Stream> thread_deflaters[16];
thread_local std::vector<std::unique_ptr<PerMessageDeflate::Stream>> thread_inflaters;

}  // namespace

PerMessageDeflate::PerMessageDeflate(const websocket::DeflateParameters& parameters, websocket::Role role) {
    const bool server = role == websocket::Role::server;
    keep_inflating_ = !(server ? parameters.client_no_context_takeover : parameters.server_no_context_takeover);
    keep_deflating_ = !(server ? parameters.server_no_context_takeover : parameters.client_no_context_takeover);
    deflate_bits_ = server ? parameters.server_max_window_bits : parameters.client_max_window_bits;
}

PerMessageDeflate::~PerMessageDeflate() {
    if (inflating_ && !keep_inflating_) {
        inflating_->reset();
        thread_inflaters.push_back(std::move(inflating_));  // a message cut short: the stream is still good
    }
}

bool PerMessageDeflate::inflate(std::string_view input, bool last, std::string& out, std::size_t room, bool& too_large) {
    too_large = false;
    if (!inflating_) {
        if (!keep_inflating_ && !thread_inflaters.empty()) {
            inflating_ = std::move(thread_inflaters.back());
            thread_inflaters.pop_back();
        } else {
            inflating_ = std::make_unique<Stream>(false, 15);  // the most the peer may use
        }
    }
    z_stream& z = inflating_->z;
    bool ok = true;
    const auto run = [&](const unsigned char* data, std::size_t size) {
        z.next_in = const_cast<unsigned char*>(data);
        z.avail_in = static_cast<uInt>(size);
        while (ok) {
            const std::size_t at = out.size();
            const std::size_t chunk = 16 * 1024;
            out.resize(at + chunk);
            z.next_out = reinterpret_cast<unsigned char*>(out.data() + at);
            z.avail_out = static_cast<uInt>(chunk);
            const int result = ::inflate(&z, Z_SYNC_FLUSH);
            const std::size_t produced = chunk - z.avail_out;
            out.resize(at + produced);
            if (produced > room) {
                too_large = true;
                ok = false;
                break;
            }
            room -= produced;
            if (result == Z_STREAM_END) {
                inflateReset(&z);  // a final block: what follows starts a new stream
                if (z.avail_in == 0)
                    break;
                continue;
            }
            if (result != Z_OK && result != Z_BUF_ERROR) {
                ok = false;
                break;
            }
            if (z.avail_in == 0 && z.avail_out != 0)
                break;  // all taken, and no more output pending
            if (result == Z_BUF_ERROR && produced == 0)
                break;
        }
    };
    if (!input.empty())
        run(reinterpret_cast<const unsigned char*>(input.data()), input.size());
    if (ok && last)
        run(tail, sizeof tail);
    if (last || !ok) {
        if (keep_inflating_ && ok)
            return true;
        inflating_->reset();
        if (!keep_inflating_) {
            thread_inflaters.push_back(std::move(inflating_));
        }
    }
    return ok;
}

bool PerMessageDeflate::compresses(std::size_t size) const noexcept {
    return size >= min_compressed_size && deflate_bits_ > 8;
}

void PerMessageDeflate::deflate(std::string_view message, std::string& out) {
    Stream* stream = deflating_.get();
    if (!stream) {
        if (keep_deflating_) {
            deflating_ = std::make_unique<Stream>(true, deflate_bits_);
            stream = deflating_.get();
        } else {
            auto& thread_stream = thread_deflaters[deflate_bits_];
            if (!thread_stream)
                thread_stream = std::make_unique<Stream>(true, deflate_bits_);
            stream = thread_stream.get();
        }
    }
    z_stream& z = stream->z;
    const std::size_t start = out.size();
    z.next_in = reinterpret_cast<unsigned char*>(const_cast<char*>(message.data()));
    z.avail_in = static_cast<uInt>(message.size());
    std::size_t at = start;
    do {
        const std::size_t chunk = deflateBound(&z, static_cast<uLong>(z.avail_in)) + 16;
        out.resize(at + chunk);
        z.next_out = reinterpret_cast<unsigned char*>(out.data() + at);
        z.avail_out = static_cast<uInt>(chunk);
        ::deflate(&z, Z_SYNC_FLUSH);
        at += chunk - z.avail_out;
        out.resize(at);
    } while (z.avail_out == 0);
    // Z_SYNC_FLUSH ends with the empty stored block's 00 00 FF FF: left out (RFC 7692, 7.2.1).
    if (out.size() - start >= 4 && out.compare(out.size() - 4, 4, reinterpret_cast<const char*>(tail), 4) == 0)
        out.resize(out.size() - 4);
    if (!keep_deflating_)
        stream->reset();
}

}  // namespace http::detail
