#include "coding/content_coding.hpp"

#include "proto/parser/char_class.hpp"

#include <zlib.h>

#if HTTPKIT_HAVE_BROTLI
#include <brotli/decode.h>
#include <brotli/encode.h>
#endif
#if HTTPKIT_HAVE_ZSTD
#include <zstd.h>
#endif

#include <array>
#include <stdexcept>
#include <vector>

namespace http::detail {

namespace {

constexpr std::size_t piece_size = 64 * 1024;

}  // namespace

// One coding undone as its bytes arrive. A stage hands what it decodes to `out` a piece at a time
// and stops at the first result other than ok that `out` returns.
class ContentDecoder::Stage {
public:
    using Output = std::function<DecodeResult(std::string_view)>;

    virtual ~Stage() = default;
    virtual DecodeResult feed(std::string_view in, const Output& out, std::string& error) = 0;
    /// The input ended; corrupt if the coding was not complete.
    virtual DecodeResult finish(const Output& out, std::string& error) = 0;

    std::uint64_t consumed = 0;  ///< encoded bytes taken so far

protected:
    char buffer_[piece_size];
};

namespace {

constexpr std::string_view truncated = "the compressed body is truncated";

// gzip (several members allowed, as gzip(1) writes them) and deflate: the zlib format RFC 9110
// names, or raw deflate, which some servers send as "deflate"; which one the first two bytes say.
class InflateStage final : public ContentDecoder::Stage {
public:
    explicit InflateStage(bool gzip) : gzip_(gzip) {}
    ~InflateStage() override {
        if (started_)
            inflateEnd(&stream_);
    }

    DecodeResult feed(std::string_view in, const Output& out, std::string& error) override {
        if (in.empty())
            return DecodeResult::ok;
        if (!started_) {
            // deflate: a zlib header is CM 8, a window of at most 32 KiB, and a check making the
            // first two bytes a multiple of 31 (RFC 1950); anything else is taken as raw deflate.
            if (!gzip_ && prefix_.size() + in.size() < 2) {
                prefix_.append(in);
                return DecodeResult::ok;
            }
            int window_bits = 15 + 16;
            if (!gzip_) {
                const std::string head = prefix_ + std::string(in.substr(0, 2 - prefix_.size()));
                const auto cmf = static_cast<unsigned char>(head[0]);
                const auto flg = static_cast<unsigned char>(head[1]);
                window_bits = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0 ? 15 : -15;
            }
            if (inflateInit2(&stream_, window_bits) != Z_OK) {
                error = "cannot start zlib";
                return DecodeResult::corrupt;
            }
            started_ = true;
            if (!prefix_.empty()) {
                const std::string prefix = std::move(prefix_);
                prefix_.clear();
                if (const DecodeResult r = inflate_some(prefix, out, error); r != DecodeResult::ok)
                    return r;
            }
        }
        return inflate_some(in, out, error);
    }

    DecodeResult finish(const Output&, std::string& error) override {
        if ((started_ && !ended_) || !prefix_.empty()) {
            error = truncated;
            return DecodeResult::corrupt;
        }
        return DecodeResult::ok;
    }

private:
    DecodeResult inflate_some(std::string_view in, const Output& out, std::string& error) {
        stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        stream_.avail_in = static_cast<uInt>(in.size());
        while (stream_.avail_in > 0) {
            if (ended_) {
                if (!gzip_)
                    return DecodeResult::ok;  // bytes after a deflate stream's end are ignored, as ever
                inflateReset(&stream_);       // the next gzip member
                ended_ = false;
            }
            do {
                const uInt before = stream_.avail_in;
                stream_.next_out = reinterpret_cast<Bytef*>(buffer_);
                stream_.avail_out = sizeof buffer_;
                const int rc = inflate(&stream_, Z_NO_FLUSH);
                consumed += before - stream_.avail_in;
                if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
                    error = "the compressed body is corrupt";
                    return DecodeResult::corrupt;
                }
                const std::size_t produced = sizeof buffer_ - stream_.avail_out;
                if (produced > 0)
                    if (const DecodeResult r = out(std::string_view(buffer_, produced)); r != DecodeResult::ok)
                        return r;
                if (rc == Z_STREAM_END) {
                    ended_ = true;
                    break;
                }
                if (rc == Z_BUF_ERROR && produced == 0) {
                    if (stream_.avail_in == 0)
                        break;  // wants more input
                    error = "the compressed body is corrupt";
                    return DecodeResult::corrupt;
                }
            } while (stream_.avail_in > 0 || stream_.avail_out == 0);
        }
        return DecodeResult::ok;
    }

    bool gzip_;
    bool started_ = false;
    bool ended_ = false;
    std::string prefix_;  // deflate's first byte, until the second says which format
    z_stream stream_{};
};

#if HTTPKIT_HAVE_BROTLI
class BrotliStage final : public ContentDecoder::Stage {
public:
    BrotliStage() : state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
    ~BrotliStage() override { BrotliDecoderDestroyInstance(state_); }

    DecodeResult feed(std::string_view in, const Output& out, std::string& error) override {
        if (state_ == nullptr) {
            error = "cannot start brotli";
            return DecodeResult::corrupt;
        }
        const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
        std::size_t available_in = in.size();
        seen_input_ = seen_input_ || !in.empty();
        while (available_in > 0 || result_ == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
            if (result_ == BROTLI_DECODER_RESULT_SUCCESS) {
                error = "the compressed body goes on past its end";
                return DecodeResult::corrupt;
            }
            const std::size_t before = available_in;
            auto* next_out = reinterpret_cast<std::uint8_t*>(buffer_);
            std::size_t available_out = sizeof buffer_;
            result_ = BrotliDecoderDecompressStream(state_, &available_in, &next_in, &available_out, &next_out, nullptr);
            consumed += before - available_in;
            if (result_ == BROTLI_DECODER_RESULT_ERROR) {
                error = std::string("the compressed body is corrupt: ") +
                        BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state_));
                return DecodeResult::corrupt;
            }
            const std::size_t produced = sizeof buffer_ - available_out;
            if (produced > 0)
                if (const DecodeResult r = out(std::string_view(buffer_, produced)); r != DecodeResult::ok)
                    return r;
            if (result_ == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
                break;
        }
        return DecodeResult::ok;
    }

    DecodeResult finish(const Output&, std::string& error) override {
        if (seen_input_ && result_ != BROTLI_DECODER_RESULT_SUCCESS) {
            error = truncated;
            return DecodeResult::corrupt;
        }
        return DecodeResult::ok;
    }

private:
    BrotliDecoderState* state_;
    BrotliDecoderResult result_ = BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT;
    bool seen_input_ = false;
};
#endif

#if HTTPKIT_HAVE_ZSTD
// Frames one after another are one body, as zstd(1) reads them. The window a frame may ask for
// is held to 8 MiB, what RFC 9659 has every HTTP decoder support: a frame that asks for more
// (zstd would allocate up to 128 MiB by default) is refused as corrupt.
class ZstdStage final : public ContentDecoder::Stage {
public:
    ZstdStage() : stream_(ZSTD_createDStream()) {
        if (stream_)
            ZSTD_DCtx_setParameter(stream_, ZSTD_d_windowLogMax, 23);
    }
    ~ZstdStage() override { ZSTD_freeDStream(stream_); }

    DecodeResult feed(std::string_view in, const Output& out, std::string& error) override {
        if (stream_ == nullptr) {
            error = "cannot start zstd";
            return DecodeResult::corrupt;
        }
        ZSTD_inBuffer input{in.data(), in.size(), 0};
        seen_input_ = seen_input_ || !in.empty();
        bool full = false;
        while (input.pos < input.size || full) {
            const std::size_t before = input.pos;
            ZSTD_outBuffer output{buffer_, sizeof buffer_, 0};
            const std::size_t rc = ZSTD_decompressStream(stream_, &output, &input);
            consumed += input.pos - before;
            if (ZSTD_isError(rc)) {
                error = std::string("the compressed body is corrupt: ") + ZSTD_getErrorName(rc);
                return DecodeResult::corrupt;
            }
            // 0: a frame ended (and all of it was handed on). A call that only flushes returns
            // the size of the next frame's header, which ends nothing.
            if (rc == 0)
                frame_done_ = true;
            else if (input.pos > before)
                frame_done_ = false;
            if (output.pos > 0)
                if (const DecodeResult r = out(std::string_view(buffer_, output.pos)); r != DecodeResult::ok)
                    return r;
            full = output.pos == output.size;
        }
        return DecodeResult::ok;
    }

    DecodeResult finish(const Output&, std::string& error) override {
        if (seen_input_ && !frame_done_) {
            error = truncated;
            return DecodeResult::corrupt;
        }
        return DecodeResult::ok;
    }

private:
    ZSTD_DStream* stream_;
    bool seen_input_ = false;
    bool frame_done_ = false;
};
#endif

std::string gzip(std::string_view body) {
    z_stream stream{};
    // Level 1: a response is compressed per request; the larger levels cost several times the
    // CPU for a few percent (docs/BENCHMARKS.md).
    if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("httpkit: cannot start zlib");
    std::string out(deflateBound(&stream, static_cast<uLong>(body.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    stream.avail_in = static_cast<uInt>(body.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

}  // namespace

std::span<const std::string_view> available_codings() noexcept {
    static constexpr auto codings = std::to_array<std::string_view>({
#if HTTPKIT_HAVE_ZSTD
        "zstd",
#endif
#if HTTPKIT_HAVE_BROTLI
        "br",
#endif
        "gzip",
    });
    return codings;
}

std::string_view accepted_codings() noexcept {
    return "gzip, deflate"
#if HTTPKIT_HAVE_BROTLI
           ", br"
#endif
#if HTTPKIT_HAVE_ZSTD
           ", zstd"
#endif
        ;
}

std::string encode_content(std::string_view body, std::string_view coding) {
#if HTTPKIT_HAVE_ZSTD
    if (coding == "zstd") {
        std::string out(ZSTD_compressBound(body.size()), '\0');
        const std::size_t n = ZSTD_compress(out.data(), out.size(), body.data(), body.size(), 1);
        if (ZSTD_isError(n))
            throw std::runtime_error(std::string("httpkit: zstd: ") + ZSTD_getErrorName(n));
        out.resize(n);
        return out;
    }
#endif
#if HTTPKIT_HAVE_BROTLI
    if (coding == "br") {
        std::size_t size = BrotliEncoderMaxCompressedSize(body.size());
        std::string out(size ? size : body.size() + 1024, '\0');
        if (!BrotliEncoderCompress(3, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, body.size(),
                                   reinterpret_cast<const std::uint8_t*>(body.data()), &size,
                                   reinterpret_cast<std::uint8_t*>(out.data())))
            throw std::runtime_error("httpkit: brotli failed");
        out.resize(size);
        return out;
    }
#endif
    if (coding == "gzip")
        return gzip(body);
    throw std::invalid_argument("httpkit: cannot encode '" + std::string(coding) + "'");
}

ContentDecoder::ContentDecoder(std::string_view content_encoding, DecodeLimits limits) : limits_(limits) {
    std::vector<std::string_view> codings;
    for_each_list_element(content_encoding, [&](std::string_view c) { codings.push_back(c); });
    for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
        const std::string_view coding = *it;
        if (equals_lower(coding, "identity"))
            continue;
        if (equals_lower(coding, "gzip") || equals_lower(coding, "x-gzip")) {
            stages_.push_back(std::make_unique<InflateStage>(true));
        } else if (equals_lower(coding, "deflate")) {
            stages_.push_back(std::make_unique<InflateStage>(false));
#if HTTPKIT_HAVE_BROTLI
        } else if (equals_lower(coding, "br")) {
            stages_.push_back(std::make_unique<BrotliStage>());
#endif
#if HTTPKIT_HAVE_ZSTD
        } else if (equals_lower(coding, "zstd")) {
            stages_.push_back(std::make_unique<ZstdStage>());
#endif
        } else {
            unsupported_ = coding;
            error_ = "unsupported content coding '" + unsupported_ + "'";
            stages_.clear();
            return;
        }
    }
}

ContentDecoder::~ContentDecoder() = default;

std::uint64_t ContentDecoder::encoded_size() const noexcept { return stages_.empty() ? 0 : stages_.front()->consumed; }

DecodeResult ContentDecoder::deliver(std::string_view decoded, const Output& out) {
    decoded_ += decoded.size();
    if (decoded_ > limits_.max_size) {
        error_ = "the decoded body exceeds " + std::to_string(limits_.max_size) + " bytes";
        return DecodeResult::too_large;
    }
    // decoded > encoded * ratio, without the product overflowing.
    if (limits_.max_ratio > 0 && decoded_ > limits_.ratio_floor && (decoded_ - 1) / limits_.max_ratio >= encoded_size()) {
        error_ = "the body decodes to more than " + std::to_string(limits_.max_ratio) + " times its encoded size (" +
                 std::to_string(decoded_) + " bytes from " + std::to_string(encoded_size()) + ")";
        return DecodeResult::ratio_exceeded;
    }
    out(decoded);
    return DecodeResult::ok;
}

DecodeResult ContentDecoder::run(std::size_t stage, std::string_view in, const Output& out) {
    if (stage == stages_.size())
        return deliver(in, out);
    return stages_[stage]->feed(in, [&](std::string_view piece) { return run(stage + 1, piece, out); }, error_);
}

DecodeResult ContentDecoder::feed(std::string_view encoded, const Output& out) {
    if (failed_ != DecodeResult::ok || encoded.empty())
        return failed_;
    if (!decodes()) {  // handed over as it came, and never refused: nothing grows
        decoded_ += encoded.size();
        out(encoded);
        return DecodeResult::ok;
    }
    failed_ = run(0, encoded, out);
    return failed_;
}

DecodeResult ContentDecoder::finish(const Output& out) {
    // Each stage ends after the ones before it have handed it all they had.
    for (std::size_t k = 0; k < stages_.size() && failed_ == DecodeResult::ok && decodes(); ++k)
        failed_ = stages_[k]->finish([&](std::string_view piece) { return run(k + 1, piece, out); }, error_);
    return failed_;
}

}  // namespace http::detail
