#include "server/http2.hpp"

#include "files/file_content.hpp"
#include "proto/cookies/cookies.hpp"
#include "proto/message/parameters.hpp"
#include "proto/message/refusals.hpp"
#include "proto/message/serialize.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/parser/request_parser.hpp"
#include "server/block_cache.hpp"
#include "server/websocket.hpp"

#include <nghttp2/nghttp2.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

namespace http::detail {

namespace {

using Clock = std::chrono::steady_clock;

// The budgets (tokens at first, tokens refilled a second). A browser resets a few streams when
// the user navigates away and sends a handful of SETTINGS and PINGs; an attack sends thousands.
constexpr double reset_burst = 200, reset_rate = 20;
constexpr double control_burst = 500, control_rate = 50;
// CONTINUATION frames after a HEADERS frame: a real header block needs a few.
constexpr std::size_t max_continuations = 32;
// Received bytes are given to nghttp2 this many at a time, so that a spent budget stops the work.
constexpr std::size_t receive_slice = 16 * 1024;

std::string_view view(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

struct Http2Session::Stream final : Suspension {
    Stream(Loop& loop, const ClientInfo& client, const Relayed* relayed) : exchange(loop, client, relayed) {}

    // A coroutine handler that waits: the stream lives until it has ended (the session may close
    // meanwhile); then the loop takes the response at the session's next run(), as for a handler
    // that returned on a thread the watchdog replaced.
    void arm() noexcept override { keep = self.lock(); }
    void disarm() noexcept override { keep.reset(); }
    void resumed() noexcept override {
        finished_elsewhere.store(true, std::memory_order_release);
        reactor->post([kept = std::move(keep)] { (*kept->wake)(); });
    }

    std::int32_t id = 0;
    Exchange exchange;
    Clock::time_point started;
    std::string method, path, authority;
    std::string protocol;  // :protocol, of an extended CONNECT (RFC 8441)
    // A WebSocket on this stream, once its 200 is submitted: the client's DATA are its frames.
    std::shared_ptr<WebSocketSession> websocket;
    std::string websocket_input;  // received, not yet read by the session
    std::vector<std::string> cookies;  // cookie fields, joined into one (RFC 9113, Section 8.2.3)
    std::size_t header_bytes = 0;
    std::size_t header_fields = 0;
    bool too_large = false;    // the header section broke a limit: 431
    bool head_done = false;    // the request's header section is in
    bool complete = false;     // END_STREAM from the client
    bool handled = false;      // the response is ready (handlers ran, or a refusal)
    bool queued = false;       // whole: its handler is to run, or runs
    bool running = false;      // its handler runs (here, or on a thread that lost the loop)
    bool closed = false;       // nghttp2 closed it: a handler still to run does not
    // Set by the thread that lost the loop in this stream's handler, once it has returned, or
    // by the one that ended its coroutine.
    std::atomic<bool> finished_elsewhere{false};
    // For its coroutine handler: itself, kept while it waits, and how to step the connection
    // once it has ended.
    std::weak_ptr<Stream> self;
    std::shared_ptr<Stream> keep;
    std::shared_ptr<const std::function<void()>> wake;
    Reactor* reactor = nullptr;
    bool submitted = false;
    bool discard_body = false; // refused: what more of the body comes is dropped
    bool content_opened = false;  // Exchange::open_content() ran
    std::optional<std::uint64_t> declared;  // the request's Content-Length
    // Sending the response's content.
    bool has_body = false;
    std::size_t body_sent = 0;
    std::size_t file_part = 0;
    std::uint64_t part_sent = 0;
    std::shared_ptr<StreamState> streamed;
    std::string chunk;  // taken from the stream's producers, being sent
    std::size_t chunk_sent = 0;
    bool deferred = false;  // waits for its producers
    bool body_done = false; // the last DATA frame is made
    bool reset_sent = false;   // RST_STREAM NO_ERROR after a response given before the request ended
    bool reset_here = false;   // a RST_STREAM went out on it
    bool reset_by_peer = false;  // the client's RST_STREAM closed it
    // Of the request's content: how much of it has come.
    std::uint64_t body_received = 0;
};

bool Http2Session::Budget::spend() {
    const auto now = Clock::now();
    tokens = std::min(burst, tokens + std::chrono::duration<double>(now - last).count() * rate);
    last = now;
    if (tokens < 1)
        return false;
    tokens -= 1;
    return true;
}

std::size_t FrameScanner::follow(std::string_view bytes, bool& due) {
    due = false;
    std::size_t at = 0;
    while (at < bytes.size() && !due) {
        if (preface_ > 0) {
            const std::size_t n = std::min(preface_, bytes.size() - at);
            preface_ -= n;
            at += n;
            continue;
        }
        if (head_size_ < sizeof head_) {
            const std::size_t n = std::min(sizeof head_ - head_size_, bytes.size() - at);
            std::memcpy(head_ + head_size_, bytes.data() + at, n);
            head_size_ += n;
            at += n;
            if (head_size_ < sizeof head_)
                break;
            begin();
            due = checks_ && reads_ == 0;
        } else if (payload_ < reads_) {
            ++payload_;
            due = take(static_cast<std::uint8_t>(bytes[at++]));
        } else {
            const std::size_t n = std::min<std::size_t>(frame_.length - payload_, bytes.size() - at);
            payload_ += static_cast<std::uint32_t>(n);
            at += n;
        }
        if (payload_ == frame_.length) {
            head_size_ = 0;  // the next frame's header follows
            closings_ += closing_;
        }
    }
    return due ? at - 1 : bytes.size();
}

void FrameScanner::begin() {
    frame_ = Frame{};
    frame_.length = std::uint32_t{head_[0]} << 16 | std::uint32_t{head_[1]} << 8 | head_[2];
    frame_.type = head_[3];
    frame_.flags = head_[4];
    frame_.stream = static_cast<std::int32_t>((std::uint32_t{head_[5]} << 24 | std::uint32_t{head_[6]} << 16 |
                                               std::uint32_t{head_[7]} << 8 | head_[8]) & 0x7fffffff);
    frame_.closings_before = closings_;
    closing_ = frame_.type == NGHTTP2_RST_STREAM ||
               ((frame_.type == NGHTTP2_DATA || frame_.type == NGHTTP2_HEADERS) && (frame_.flags & NGHTTP2_FLAG_END_STREAM));
    payload_ = 0;
    field_size_ = 0;
    reads_ = 0;
    checks_ = false;
    switch (frame_.type) {
    case NGHTTP2_DATA:
        checks_ = true;
        break;
    case NGHTTP2_HEADERS:
        checks_ = true;
        if (frame_.flags & NGHTTP2_FLAG_PRIORITY) {
            // The dependency, after the pad length if there is one: read when the frame is long
            // enough to hold them (else nghttp2 ends the connection with FRAME_SIZE_ERROR).
            const std::uint32_t fields = (frame_.flags & NGHTTP2_FLAG_PADDED) ? 5 : 4;
            reads_ = frame_.length >= fields ? fields : 0;
        }
        break;
    case NGHTTP2_PRIORITY:
        // The stream and the dependency (another length is nghttp2's FRAME_SIZE_ERROR).
        checks_ = frame_.length == 5;
        reads_ = checks_ ? 4 : 0;
        break;
    case NGHTTP2_SETTINGS:
        // Read whole, as nghttp2 reads it before it applies any of it.
        checks_ = !(frame_.flags & NGHTTP2_FLAG_ACK) && frame_.length > 0 && frame_.length % 6 == 0;
        reads_ = checks_ ? frame_.length : 0;
        break;
    default:
        break;
    }
}

bool FrameScanner::take(std::uint8_t byte) {
    field_[field_size_++] = byte;
    if (frame_.type == NGHTTP2_SETTINGS) {
        if (field_size_ == 6) {
            field_size_ = 0;
            if ((field_[0] << 8 | field_[1]) == NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) {
                const std::uint32_t value = std::uint32_t{field_[2]} << 24 | std::uint32_t{field_[3]} << 16 |
                                            std::uint32_t{field_[4]} << 8 | field_[5];
                frame_.initial_window = frame_.sets_initial_window ? std::max(frame_.initial_window, value) : value;
                frame_.sets_initial_window = true;
            }
        }
    } else if (payload_ == reads_) {
        const std::uint8_t* const dependency = field_ + (field_size_ - 4);  // after the pad length, if any
        frame_.dependency = static_cast<std::int32_t>((std::uint32_t{dependency[0]} << 24 | std::uint32_t{dependency[1]} << 16 |
                                                       std::uint32_t{dependency[2]} << 8 | dependency[3]) & 0x7fffffff);
    }
    return payload_ == reads_;
}

// nghttp2's callbacks, with access to the session.
struct Http2Callbacks {
    static Http2Session& of(void* user_data) { return *static_cast<Http2Session*>(user_data); }

    static int begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
        Http2Session& self = of(user_data);
        if (self.failure_)
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        if (hd->type == NGHTTP2_HEADERS) {
            self.header_block_bytes_ = hd->length;
            self.continuations_ = 0;
        } else if (hd->type == NGHTTP2_CONTINUATION) {
            // Header bytes are bounded across CONTINUATION frames, and so are the frames.
            self.header_block_bytes_ += hd->length;
            if (++self.continuations_ > max_continuations)
                self.calm_down("CONTINUATION frames");
        }
        const ServerConfig& config = self.config_;
        if ((hd->type == NGHTTP2_HEADERS || hd->type == NGHTTP2_CONTINUATION) &&
            self.header_block_bytes_ > 2 * config.head_rules.max_header_size + 1024)
            self.calm_down("header block bytes");
        // Frames that cost work and carry nothing, counted as they begin: nghttp2 does not report
        // every one of them (PRIORITY is ignored once RFC 7540 priorities are off).
        const bool ack = hd->flags & NGHTTP2_FLAG_ACK;
        switch (hd->type) {
        case NGHTTP2_RST_STREAM:
            if (!self.resets_.spend())
                self.calm_down("stream resets");
            break;
        case NGHTTP2_SETTINGS:
        case NGHTTP2_PING:
            if (!ack && !self.control_frames_.spend())
                self.calm_down("SETTINGS and PING frames");
            break;
        case NGHTTP2_PRIORITY:
            if (!self.control_frames_.spend())
                self.calm_down("PRIORITY frames");
            break;
        case NGHTTP2_DATA:
            if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM) && !self.control_frames_.spend())
                self.calm_down("empty DATA frames");
            break;
        default:
            break;
        }
        // A spent budget stops nghttp2 at once: not one more frame is read or answered.
        return self.failure_ ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
    }

    static int begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
        Http2Session& self = of(user_data);
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
            return 0;
        auto stream = std::make_shared<Http2Session::Stream>(self.loop_, self.client_, self.relayed_);
        stream->self = stream;
        stream->wake = self.shared_wake_;
        stream->reactor = &self.loop_.reactor();
        stream->id = frame->hd.stream_id;
        stream->started = Clock::now();
        nghttp2_session_set_stream_user_data(session, stream->id, stream.get());
        const std::int32_t id = stream->id;
        self.streams_.emplace(self.position(id), id, std::move(stream));  // at the end: ids only grow
        return 0;
    }

    static int header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t name_length,
                      const std::uint8_t* value, std::size_t value_length, std::uint8_t, void* user_data) {
        Http2Session& self = of(user_data);
        Http2Session::Stream* stream = self.find(frame->hd.stream_id);
        if (!stream || frame->hd.type != NGHTTP2_HEADERS)
            return 0;
        const ServerConfig& config = self.config_;
        // HPACK can make a small block decode to a great deal (a bomb): the decoded bytes are
        // counted as SETTINGS_MAX_HEADER_LIST_SIZE counts them, and far past the limit the
        // connection ends.
        stream->header_bytes += name_length + value_length + 32;
        if (stream->header_bytes > 4 * config.head_rules.max_header_size + 65536) {
            self.calm_down("decoded header bytes");
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        if (stream->too_large || stream->discard_body)
            return 0;
        if (stream->header_bytes > config.head_rules.max_header_size ||
            ++stream->header_fields > config.head_rules.max_header_fields) {
            stream->too_large = true;
            return 0;
        }
        const std::string_view n = view(name, name_length), v = view(value, value_length);
        Request& request = stream->exchange.request;
        if (stream->head_done) {  // trailers
            request.trailers.add(std::string(n), std::string(v));
        } else if (n == ":method") {
            stream->method = v;
        } else if (n == ":path") {
            stream->path = v;
        } else if (n == ":authority") {
            stream->authority = v;
        } else if (n == ":protocol") {
            stream->protocol = v;
        } else if (n == "cookie") {
            parse_cookie_header(v, request.cookies);
            stream->cookies.emplace_back(v);
        } else if (n.front() != ':') {
            request.headers.add(std::string(n), std::string(v));
        }
        return 0;
    }

    static int frame_received(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
        Http2Session& self = of(user_data);
        const bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
        switch (frame->hd.type) {
        case NGHTTP2_HEADERS:
            if (Http2Session::Stream* stream = self.find(frame->hd.stream_id)) {
                if (!stream->head_done)
                    self.on_request_head(*stream, end_stream);
                stream->complete = stream->complete || end_stream;
            }
            break;
        case NGHTTP2_DATA:
            if (Http2Session::Stream* stream = self.find(frame->hd.stream_id))
                stream->complete = stream->complete || end_stream;
            break;
        case NGHTTP2_RST_STREAM:
            if (Http2Session::Stream* stream = self.find(frame->hd.stream_id))
                stream->reset_by_peer = true;
            break;
        default:
            break;
        }
        return 0;
    }

    static int frame_sent(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
        if (frame->hd.type == NGHTTP2_RST_STREAM)
            if (Http2Session::Stream* stream = of(user_data).find(frame->hd.stream_id))
                stream->reset_here = true;
        return 0;
    }

    static int data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                          std::size_t length, void* user_data) {
        Http2Session& self = of(user_data);
        Http2Session::Stream* stream = self.find(stream_id);
        if (!stream)
            return 0;
        stream->body_received += length;
        if (stream->discard_body)
            return 0;
        if (!stream->protocol.empty()) {
            // A WebSocket's frames, read by run() (where application code may run). Before its
            // 200 is out the client may already send; once it ended, nothing more is read.
            if (!stream->websocket || !stream->websocket->done())
                stream->websocket_input.append(view(data, length));
            return 0;
        }
        // Into the multipart parser, or to wait for the sink; past max_body_size, refused.
        stream->exchange.content_buffer().append(view(data, length));
        if (!stream->exchange.took_content())
            Http2Session::refused(*stream);
        return 0;
    }

    static int stream_closed(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* user_data) {
        Http2Session& self = of(user_data);
        const auto it = self.position(stream_id);
        if (it == self.streams_.end() || it->first != stream_id)
            return 0;
        Http2Session::Stream& stream = *it->second;
        // What frames still coming on it get (Http2Session::check()).
        if (self.highest_stream_ - stream_id < Http2Session::remembered)
            self.ended(stream_id) = stream.reset_by_peer ? Http2Session::Ended::reset_by_peer
                                    : stream.reset_here  ? Http2Session::Ended::ignored
                                                         : Http2Session::Ended::both_ways;
        Exchange& exchange = stream.exchange;
        if (stream.streamed) {
            exchange.stream_ended(stream.streamed->content_bytes());
            stream.streamed->detach();  // its producers see false
        }
        if (stream.websocket) {
            // on_close with ABNORMAL_CLOSURE unless it has run: application code, so posted.
            self.loop_.reactor().post([session = std::move(stream.websocket)] { session->lost(); });
        }
        if (stream.submitted && static_cast<h2::ErrorCode>(error_code) == h2::ErrorCode::NO_ERROR && Replies::wanted(self.loop_)) {
            exchange.response().body.clear();
            self.replies_.add(std::move(exchange.request), std::move(exchange.response()));
        }
        stream.closed = true;
        if (exchange.suspended()) {
            // Reset by the client, or the connection ends: its coroutine handler is cancelled,
            // outside this callback (it is application code).
            self.loop_.reactor().post([keep = it->second] { keep->exchange.cancel(); });
        }
        // Its response, sent, goes back to the thread's spares for the next stream, unless a
        // handler elsewhere (or a posted cancel) still holds the stream, or a body stream or a
        // WebSocket (whose frames are a stream too) was attached to it.
        if (it->second.use_count() == 1 && !stream.streamed && stream.submitted)
            exchange.release_response();
        self.streams_.erase(it);  // a handler running elsewhere keeps it until it returns
        return 0;
    }

    static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buffer, std::size_t length,
                             std::uint32_t* flags, nghttp2_data_source* source, void* user_data) {
        Http2Session& self = of(user_data);
        Http2Session::Stream& stream = *static_cast<Http2Session::Stream*>(source->ptr);
        std::size_t n = 0;
        if (stream.streamed) {
            bool drained = false;
            while (stream.chunk_sent == stream.chunk.size()) {
                stream.chunk.clear();
                stream.chunk_sent = 0;
                switch (stream.streamed->take(stream.chunk)) {
                case StreamState::Take::data:
                    continue;
                case StreamState::Take::empty:
                    // An on_drain producer makes some now (the connection hands itself off after
                    // this if the producer held the thread too long); else wait for a write.
                    if (!drained && stream.streamed->drain([&self](const std::exception& error) {
                            self.report(error);
                        })) {
                        drained = true;
                        continue;
                    }
                    if (!stream.streamed->park())
                        continue;  // written meanwhile
                    stream.deferred = true;
                    return NGHTTP2_ERR_DEFERRED;
                case StreamState::Take::done:
                    if (stream.streamed->truncated())
                        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // short of its length: RST_STREAM
                    *flags |= NGHTTP2_DATA_FLAG_EOF;
                    stream.body_done = true;
                    return 0;
                case StreamState::Take::abort:
                    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
                }
            }
            n = std::min(length, stream.chunk.size() - stream.chunk_sent);
            std::memcpy(buffer, stream.chunk.data() + stream.chunk_sent, n);
            stream.chunk_sent += n;
        } else if (const FileContent* file = stream.exchange.response().file.get()) {
            if (stream.file_part < file->parts.size()) {
                const FileContent::Part& part = file->parts[stream.file_part];
                const std::uint64_t left = part.size() - stream.part_sent;
                n = static_cast<std::size_t>(std::min<std::uint64_t>(length, left));
                if (part.from_file()) {
                    const ssize_t got = ::pread(file->fd(), buffer, n, static_cast<off_t>(part.offset + stream.part_sent));
                    if (got <= 0)
                        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // the file shrank: its length cannot be kept
                    n = static_cast<std::size_t>(got);
                } else {
                    std::memcpy(buffer, part.text.data() + stream.part_sent, n);
                }
                stream.part_sent += n;
                if (stream.part_sent == part.size()) {
                    ++stream.file_part;
                    stream.part_sent = 0;
                }
            }
            if (stream.file_part == file->parts.size()) {
                *flags |= NGHTTP2_DATA_FLAG_EOF;
                stream.body_done = true;
            }
        } else {
            const std::string& body = stream.exchange.response().body;
            n = std::min(length, body.size() - stream.body_sent);
            std::memcpy(buffer, body.data() + stream.body_sent, n);
            stream.body_sent += n;
            if (stream.body_sent == body.size()) {
                *flags |= NGHTTP2_DATA_FLAG_EOF;
                stream.body_done = true;
            }
        }
        return static_cast<ssize_t>(n);
    }
};

Http2Session::Http2Session(Loop& loop, const ClientInfo& client, const Relayed* relayed, bool secure,
                           std::function<void()> wake)
    : loop_(loop),
      config_(loop.config()),
      client_(client),
      relayed_(relayed),
      secure_(secure),
      wake_(std::move(wake)),
      shared_wake_(std::make_shared<const std::function<void()>>(wake_)),
      resets_{reset_burst, reset_burst, reset_rate, Clock::now()},
      control_frames_{control_burst, control_burst, control_rate, Clock::now()} {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_option* options = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&options) != 0)
        throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, Http2Callbacks::begin_frame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Http2Callbacks::begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, Http2Callbacks::header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Http2Callbacks::frame_received);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Http2Callbacks::data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Http2Callbacks::stream_closed);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, Http2Callbacks::frame_sent);
    // The CONTINUATION bound is this session's own (begin_frame), which ends the connection with
    // a GOAWAY; nghttp2's, lower by default, would end it without one.
    nghttp2_option_set_max_continuations(options, 4 * max_continuations);
    // nghttp2's blocks from a per-thread cache (server/block_cache.hpp); nghttp2 copies this.
    nghttp2_mem memory{nullptr, [](std::size_t size, void*) { return block_cache::allocate(size); },
                       [](void* block, void*) { block_cache::free(block); },
                       [](std::size_t count, std::size_t size, void*) { return block_cache::allocate_zeroed(count, size); },
                       [](void* block, std::size_t size, void*) { return block_cache::reallocate(block, size); }};
    const int made = nghttp2_session_server_new3(&session_, callbacks, this, options, &memory);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_option_del(options);
    if (made != 0)
        throw std::bad_alloc();

    const ServerConfig& config = config_;
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, http2_max_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 256 * 1024},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(config.head_rules.max_header_size)},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
        {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},  // WebSocket over a stream (RFC 8441)
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    // The connection's receive window: room for several streams' uploads at once.
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 4 * 1024 * 1024);
}

Http2Session::~Http2Session() {
    for (auto& [id, stream] : streams_) {
        if (stream->streamed)
            stream->streamed->detach();
        stream->exchange.cancel();  // a coroutine handler waiting unwinds now: its client is gone
    }
    nghttp2_session_del(session_);
}

Http2Session::Streams::const_iterator Http2Session::position(std::int32_t id) const noexcept {
    return std::lower_bound(streams_.begin(), streams_.end(), id,
                            [](const auto& entry, std::int32_t wanted) { return entry.first < wanted; });
}

Http2Session::Stream* Http2Session::find(std::int32_t id) const {
    const auto it = position(id);
    return it == streams_.end() || it->first != id ? nullptr : it->second.get();
}

void Http2Session::calm_down(const char* what) {
    if (failure_)
        return;
    failure_ = h2::ErrorCode::ENHANCE_YOUR_CALM;
    report(std::runtime_error(std::string("httpkit: HTTP/2 client exceeded the budget of ") + what +
                              "; the connection is closed (ENHANCE_YOUR_CALM)"));
}

void Http2Session::on_request_head(Stream& stream, bool last) {
    stream.head_done = true;
    if (stream.too_large) {
        refuse(stream, refusals::header_section_too_large);
        return;
    }
    if (stream.path.size() > config_.head_rules.max_request_target) {
        refuse(stream, refusals::target_too_long);
        return;
    }
    if (!stream.protocol.empty()) {
        // An extended CONNECT (RFC 8441): nghttp2 has checked its pseudo-header fields.
        if (stream.protocol != "websocket") {
            refuse(stream, {Status::NOT_IMPLEMENTED, "no protocol but websocket is spoken over CONNECT"});
            return;
        }
    } else if (stream.path.empty()) {  // CONNECT, which this server does not do
        refuse(stream, {Status::NOT_IMPLEMENTED, "CONNECT is not supported"});
        return;
    }
    Exchange& exchange = stream.exchange;
    Request& r = exchange.request;
    std::string host = stream.authority.empty() ? std::string(r.headers.get("host")) : stream.authority;
    if (host.empty() || !valid_authority(host)) {
        refuse(stream, {Status::BAD_REQUEST, host.empty() ? "no :authority or Host" : "invalid :authority"});
        return;
    }
    exchange.begin(stream.started);
    r.method = std::move(stream.method);
    r.request_uri = stream.path;
    r.http_version.assign(1, '2');  // not = "2": GCC 12 at -O3 warns falsely (-Wrestrict) about it
    r.protocol = stream.protocol;
    if (!stream.cookies.empty()) {
        std::string joined;
        for (const std::string& cookie : stream.cookies)
            joined += (joined.empty() ? "" : "; ") + cookie;
        r.headers.add("cookie", std::move(joined));
    }
    r.host = std::move(host);
    exchange.resolve_target(stream.path, secure_);
    if (std::uint64_t length = 0; parse_content_length(r.headers.get("content-length"), length))
        stream.declared = length;
    if (!stream.protocol.empty()) {
        // The stream stays open both ways: its DATA are the WebSocket's, not a content, and the
        // handler runs now, not at the request's end.
        stream.content_opened = true;
        return;
    }
    // Content follows: admitted now if that runs no application code (a declared length past the
    // limit is refused before the content comes), else by run().
    if (!last && exchange.opens_content_quietly()) {
        stream.content_opened = true;
        if (!exchange.open_content(stream.declared))
            refused(stream);
    }
}

bool Http2Session::feed(std::string_view bytes) {
    if (bytes.empty())
        return true;
    const ssize_t result =
        nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    if (result < 0) {
        // A spent budget, not HTTP/2 (a bad preface), or a flood nghttp2 caught itself. The
        // session can make no more frames: the GOAWAY is this session's own (produce()).
        fatal_ = true;
        own_goaway_ = failure_                                 ? *failure_
                      : result == NGHTTP2_ERR_FLOODED          ? h2::ErrorCode::ENHANCE_YOUR_CALM
                      : result == NGHTTP2_ERR_CALLBACK_FAILURE ? h2::ErrorCode::INTERNAL_ERROR
                                                               : h2::ErrorCode::PROTOCOL_ERROR;
        return false;
    }
    return true;
}

void Http2Session::opening(std::int32_t id) noexcept {
    // The ids between the last one and this one are closed without having been opened.
    for (std::int32_t skipped = std::max(highest_stream_ + 2, id - remembered + 2); skipped < id; skipped += 2)
        ended(skipped) = Ended::skipped;
    ended(id) = Ended::ignored;  // until it closes (or if nghttp2 refuses it)
    highest_stream_ = id;
}

bool Http2Session::settled(const FrameScanner::Frame& frame) {
    const std::int32_t id = frame.stream;
    switch (frame.type) {
    case NGHTTP2_DATA:
    case NGHTTP2_HEADERS:
        if (frame.dependency == id)
            return false;  // HEADERS that depend on their own stream
        if (id % 2 == 0)
            return true;  // 0, or a stream id of the server's: nghttp2's
        if (id > highest_stream_) {
            if (frame.type == NGHTTP2_HEADERS)
                opening(id);
            return true;  // a new stream (DATA on an idle one is nghttp2's PROTOCOL_ERROR)
        }
        // Open now, and nothing that could close it (RST_STREAM, END_STREAM) between what nghttp2
        // took and this frame.
        return frame.closings_before == closings_fed_ && nghttp2_session_find_stream(session_, id) != nullptr;
    case NGHTTP2_PRIORITY:
        return id != 0 && frame.dependency != id;
    case NGHTTP2_SETTINGS:
        return !frame.sets_initial_window;
    default:
        return true;
    }
}

bool Http2Session::check(const FrameScanner::Frame& frame) {
    if (!nghttp2_session_want_read(session_))
        return true;  // nghttp2 reads no more (a GOAWAY is on its way)
    const std::int32_t id = frame.stream;
    const bool open = id != 0 && nghttp2_session_find_stream(session_, id) != nullptr;
    const bool client_id = id % 2 == 1;
    switch (frame.type) {
    case NGHTTP2_PRIORITY:
        // RFC 9113, Section 6.3: PRIORITY on stream 0 is a connection error. Section 5.3.1 of RFC
        // 7540 (which Section 5.3.2 keeps): a stream that depends on itself, a stream error; on
        // a stream that is not open (idle or closed), where no RST_STREAM may go, a connection
        // error.
        if (id == 0) {
            terminate(h2::ErrorCode::PROTOCOL_ERROR);
            return false;
        }
        if (frame.dependency == id) {
            if (!open) {
                terminate(h2::ErrorCode::PROTOCOL_ERROR);
                return false;
            }
            reset_stream(id, h2::ErrorCode::PROTOCOL_ERROR);
        }
        return true;
    case NGHTTP2_SETTINGS:
        // RFC 9113, Section 6.9.2: an initial window that takes an open stream's window past
        // 2^31-1 is a connection error (nghttp2 resets the stream). Above 2^31-1 itself, nghttp2
        // ends the connection.
        if (frame.sets_initial_window && frame.initial_window <= NGHTTP2_MAX_WINDOW_SIZE) {
            const std::int64_t change =
                std::int64_t{frame.initial_window} -
                nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE);
            if (change > 0)
                for (const auto& [stream, pointer] : streams_)
                    if (nghttp2_session_get_stream_remote_window_size(session_, stream) + change > NGHTTP2_MAX_WINDOW_SIZE) {
                        terminate(h2::ErrorCode::FLOW_CONTROL_ERROR);
                        return false;
                    }
        }
        return true;
    case NGHTTP2_HEADERS:
        if (client_id && id > highest_stream_) {
            opening(id);  // a new stream (one that depends on itself is nghttp2's PROTOCOL_ERROR)
            return true;
        }
        if (open && frame.dependency == id) {
            terminate(h2::ErrorCode::PROTOCOL_ERROR);  // trailers that depend on their stream: as nghttp2 does a request's
            return false;
        }
        break;
    case NGHTTP2_DATA:
        break;
    default:
        return true;
    }
    // DATA or HEADERS on a stream of the client's that nghttp2 no longer has (it forgets a closed
    // stream at once, and ignores what comes on it). RFC 9113, Section 5.1 (with RFC 7540's
    // MUSTs, which h2spec checks): what follows the client's own RST_STREAM is a stream error
    // STREAM_CLOSED, and what follows both END_STREAMs a connection error STREAM_CLOSED; what
    // comes after a RST_STREAM sent here is discarded, as it may have been in flight. Section
    // 5.1.1: HEADERS on an id the client skipped is a connection error PROTOCOL_ERROR.
    if (!client_id || open || id > highest_stream_)
        return true;  // idle, or open: nghttp2's
    if (highest_stream_ - id >= remembered) {
        // Forgotten: too old for anything still in flight. HEADERS cannot open it (Section 5.1.1).
        if (frame.type != NGHTTP2_HEADERS)
            return true;
        terminate(h2::ErrorCode::PROTOCOL_ERROR);
        return false;
    }
    switch (ended(id)) {
    case Ended::ignored:
        return true;
    case Ended::reset_by_peer:
        reset_stream(id, h2::ErrorCode::STREAM_CLOSED);
        ended(id) = Ended::ignored;  // one RST_STREAM for it (Section 5.4.2)
        return true;
    case Ended::skipped:
        terminate(frame.type == NGHTTP2_HEADERS ? h2::ErrorCode::PROTOCOL_ERROR : h2::ErrorCode::STREAM_CLOSED);
        return false;
    case Ended::both_ways:
        terminate(h2::ErrorCode::STREAM_CLOSED);
        return false;
    }
    return true;
}

void Http2Session::refuse(Stream& stream, const ParseError& refusal) {
    stream.exchange.refuse(refusal);
    refused(stream);
}

void Http2Session::refused(Stream& stream) noexcept {
    stream.handled = true;
    stream.discard_body = true;
}

bool Http2Session::receive(std::string_view bytes) {
    std::size_t fed = 0;       // taken by nghttp2
    std::size_t followed = 0;  // followed by the scanner, ahead of nghttp2
    while (fed < bytes.size() && !failure_ && !fatal_) {
        const std::size_t end = std::min(bytes.size(), fed + receive_slice);
        bool due = false;
        followed += scanner_.follow(bytes.substr(followed, end - followed), due);
        if (!due) {
            if (!feed(bytes.substr(fed, end - fed)))
                return false;
            fed = end;
            closings_fed_ = scanner_.closings();
            continue;
        }
        // A frame to check, which the byte at `followed` completes. Unless nothing nghttp2 has
        // yet to take can matter to it, nghttp2 takes what comes before it, then the check
        // answers, and nghttp2 takes the frame with what follows.
        const FrameScanner::Frame& frame = scanner_.frame();
        if (!settled(frame)) {
            if (!feed(bytes.substr(fed, followed - fed)))
                return false;
            fed = followed;
            closings_fed_ = frame.closings_before;
            if (!failure_ && !check(frame))
                return false;  // a connection error: its GOAWAY goes out, nothing more is read
        }
        ++followed;
    }
    if (failure_) {
        terminate(*failure_);
        return false;
    }
    return !fatal_;
}

bool Http2Session::run() {
    for (auto& [id, pointer] : streams_) {
        Stream& stream = *pointer;
        Exchange& exchange = stream.exchange;
        if (!stream.handled && stream.head_done) {
            // The content, if there is some, is admitted: the application may take it as it
            // arrives (Server::on_body).
            if (!stream.content_opened && (!stream.complete || !exchange.request.body.empty())) {
                stream.content_opened = true;
                if (!exchange.open_content(stream.declared))
                    refused(stream);
                if (!loop_.on_owner_thread())
                    return false;
            }
            if (!stream.handled && exchange.has_sink() && !exchange.request.body.empty()) {
                if (!exchange.feed_sink())
                    refused(stream);
                if (!loop_.on_owner_thread())
                    return false;
            }
            if ((stream.complete || !stream.protocol.empty()) && !stream.handled && !stream.queued) {
                if (exchange.end_content()) {
                    stream.queued = true;
                    ready_.push_back(pointer);  // its handler runs once the connection waits
                } else {
                    refused(stream);
                }
            }
        }
        if (stream.running && stream.finished_elsewhere.load(std::memory_order_acquire)) {
            stream.running = false;  // its handler returned on the thread that lost the loop
            stream.handled = true;
        }
        if (stream.handled && !stream.submitted)
            submit(stream);
        if (stream.websocket && !stream.websocket_input.empty() && !stream.websocket->done()) {
            std::size_t used = 0;
            const WebSocketSession::Result result = stream.websocket->receive(stream.websocket_input, used);
            stream.websocket_input.erase(0, used);
            if (result == WebSocketSession::Result::away)
                return false;  // a callback held this thread long enough to be replaced
        }
        if (stream.websocket && stream.complete && stream.websocket_input.empty() && !stream.websocket->done()) {
            // The client ended its side without a close frame (a TCP end, in RFC 8441's terms):
            // this side ends too; on_close hears ABNORMAL_CLOSURE when the stream closes.
            stream.websocket->give_up();
            stream.streamed->close();
        }
    }
    if (!replies_.run(loop_, client_))
        return false;
    for (auto& [id, stream] : streams_) {
        if (stream->deferred) {
            stream->deferred = false;
            nghttp2_session_resume_data(session_, id);
        }
    }
    return true;
}

bool Http2Session::reset_refused_streams() {
    bool any = false;
    for (auto& [id, stream] : streams_) {
        // Refused while its body still came (413, say), and the answer is out: the client is
        // told to stop sending (RFC 9113, Section 8.1), after the response, not before it. Only
        // when that saves something: a rest that fits the stream's initial window is sent
        // whatever we say, and curl 7.88 takes a reset that comes before its body is sent for
        // a failure (error 92), not the response.
        if (stream->discard_body && stream->body_done && !stream->complete && !stream->reset_sent &&
            (!stream->declared || *stream->declared < stream->body_received ||
             *stream->declared - stream->body_received > NGHTTP2_INITIAL_WINDOW_SIZE)) {
            stream->reset_sent = true;
            reset_stream(id, h2::ErrorCode::NO_ERROR);
            any = true;
        }
    }
    return any;
}

bool Http2Session::run_handlers() {
    bool woken = false;
    while (!ready_.empty()) {
        const std::shared_ptr<Stream> stream = std::move(ready_.front());
        ready_.pop_front();
        if (stream->closed)
            continue;  // reset by the client meanwhile
        if (!woken && !ready_.empty()) {
            // Others wait behind this handler: if it blocks long enough for the watchdog, the
            // loop's new owner has this to step the connection and run them (no event of the
            // socket may come to do it). Otherwise a step that finds nothing to do.
            woken = true;
            wake_();
        }
        stream->running = true;
        switch (stream->exchange.run(stream.get())) {
        case Exchange::Run::done:
            break;
        case Exchange::Run::away:
            // This thread lost the loop in the handler: only the stream, kept alive here, is
            // told; the loop's new owner takes the response at its next run(). (A coroutine that
            // still waits tells it itself when it ends: Stream::resumed().)
            if (!stream->exchange.suspended())
                stream->finished_elsewhere.store(true, std::memory_order_release);
            return false;
        case Exchange::Run::suspended:
            continue;  // a coroutine handler waits, holding no thread: the other streams go on
        }
        stream->running = false;
        stream->handled = true;
    }
    return true;
}

bool Http2Session::handlers_pending() const noexcept {
    if (!ready_.empty())
        return true;
    for (const auto& [id, stream] : streams_)
        if (stream->running)
            return true;
    return false;
}

void Http2Session::cancel_waiting_handlers() noexcept {
    for (auto& [id, stream] : streams_)
        stream->exchange.cancel();
}

void Http2Session::submit(Stream& stream) {
    stream.submitted = true;
    Exchange& exchange = stream.exchange;
    const bool head = exchange.request.method == "HEAD";
    Outgoing outgoing = exchange.finish(head, Delimiting::frames, [&](const Response& response, const Outgoing& out) {
        check_response(response);  // a header value with CR or LF ... throws
        const ResponseFraming framing{head, true, 1, out.external_length,
                                      out.stream && out.stream_framing != StreamState::Framing::length};
        // The fields, their names in lower case as HTTP/2 requires, copied as they come: a value
        // may be a view of emit_response_fields()'s own digits.
        head_text_.clear();
        head_fields_.clear();
        auto add = [this](std::string_view name, std::string_view value) {
            const std::size_t at = head_text_.size();
            head_text_.append(name).append(value);
            char* const lower = head_text_.data() + at;  // not head_text_[i]: a char store may alias the string
            for (std::size_t i = 0; i < name.size(); ++i)
                lower[i] = ascii_lower(lower[i]);
            head_fields_.push_back({at, name.size(), at + name.size(), value.size()});
        };
        const auto code = static_cast<unsigned>(response.status);  // three digits: check_response()
        const char status[3] = {static_cast<char>('0' + code / 100), static_cast<char>('0' + code / 10 % 10),
                                static_cast<char>('0' + code % 10)};
        add(":status", std::string_view(status, 3));
        emit_response_fields(response, framing, [&add](std::string_view name, std::string_view value) {
            if (!is_http2_connection_specific(name))  // a handler's, set for HTTP/1.1
                add(name, value);
        });
        // Up to 32 fields in place; more (a response of many cookies) in a vector of their own.
        constexpr std::size_t inline_fields = 32;
        nghttp2_nv inline_nv[inline_fields];
        std::vector<nghttp2_nv> more;
        nghttp2_nv* nv = inline_nv;
        if (head_fields_.size() > inline_fields) {
            more.resize(head_fields_.size());
            nv = more.data();
        }
        auto* text = reinterpret_cast<std::uint8_t*>(head_text_.data());
        for (std::size_t i = 0; i < head_fields_.size(); ++i) {
            const HeadField& f = head_fields_[i];
            nv[i] = {text + f.name, text + f.value, f.name_length, f.value_length, NGHTTP2_NV_FLAG_NONE};
        }
        const bool content = !head && !response_has_no_content(response.status);
        stream.has_body = content && (out.stream || out.websocket || response.file || !response.body.empty());
        nghttp2_data_provider provider{};
        provider.source.ptr = &stream;
        provider.read_callback = Http2Callbacks::read_body;
        nghttp2_submit_response(session_, stream.id, nv, head_fields_.size(), stream.has_body ? &provider : nullptr);
        if (head_text_.capacity() > 16 * 1024)  // a rare large head's storage is not kept for the connection's life
            std::string().swap(head_text_);
    });
    if (outgoing.stream) {
        exchange.attach_stream(outgoing, wake_);
        stream.streamed = std::move(outgoing.stream);
    }
    if (outgoing.websocket) {
        // The stream's DATA both ways are the WebSocket's frames from now on.
        stream.streamed = outgoing.websocket->out_state();
        stream.streamed->attach(StreamState::Framing::until_close, 0, wake_);
        stream.websocket = std::make_shared<WebSocketSession>(loop_, client_, std::move(outgoing.websocket));
    }
}

bool Http2Session::produce(std::string& out, std::size_t limit) {
    if (fatal_) {
        if (own_goaway_) {
            // GOAWAY: length 8, type 7, no flags, stream 0; the last stream taken, the error code.
            const std::uint32_t last = static_cast<std::uint32_t>(nghttp2_session_get_last_proc_stream_id(session_));
            const auto code = static_cast<std::uint32_t>(*own_goaway_);
            const unsigned char frame[17] = {0, 0, 8, NGHTTP2_GOAWAY, 0, 0, 0, 0, 0,
                                             static_cast<unsigned char>(last >> 24), static_cast<unsigned char>(last >> 16),
                                             static_cast<unsigned char>(last >> 8), static_cast<unsigned char>(last),
                                             static_cast<unsigned char>(code >> 24), static_cast<unsigned char>(code >> 16),
                                             static_cast<unsigned char>(code >> 8), static_cast<unsigned char>(code)};
            out.append(reinterpret_cast<const char*>(frame), sizeof frame);
            own_goaway_.reset();
        }
        return true;
    }
    // Twice at most: a refused stream's answer made in the first pass gets its reset in the
    // second, in the same write (else it waits for the client's next bytes).
    for (int pass = 0; pass < 2; ++pass) {
        while (out.size() < limit) {
            const std::uint8_t* data = nullptr;
            const ssize_t n = nghttp2_session_mem_send(session_, &data);
            if (n < 0) {
                fatal_ = true;
                return false;
            }
            if (n == 0)
                break;
            out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
        }
        if (!reset_refused_streams())
            break;
    }
    return true;
}

void Http2Session::shut_down() {
    if (going_away_)
        return;
    going_away_ = true;
    for (auto& [id, stream] : streams_)
        if (stream->websocket)
            stream->websocket->close(CloseCode::GOING_AWAY, "the server is shutting down");
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          static_cast<std::uint32_t>(h2::ErrorCode::NO_ERROR), nullptr, 0);
}

void Http2Session::reset_stream(std::int32_t id, h2::ErrorCode error_code) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, static_cast<std::uint32_t>(error_code));
}

void Http2Session::terminate(h2::ErrorCode error_code) {
    going_away_ = true;
    nghttp2_session_terminate_session(session_, static_cast<std::uint32_t>(error_code));
}

bool Http2Session::finished() const {
    if (fatal_)
        return true;
    const bool writing = nghttp2_session_want_write(session_) != 0;
    return (!nghttp2_session_want_read(session_) && !writing) || (going_away_ && streams_.empty() && !writing);
}

Http2Session::Waiting Http2Session::waiting() const {
    if (streams_.empty())
        return Waiting::idle;
    bool sending = false;
    for (const auto& [id, stream] : streams_) {
        if (!stream->complete && !stream->discard_body && !stream->websocket)
            return Waiting::request;  // a WebSocket's stream stays open: it has no deadline
        if (stream->submitted && stream->has_body && !stream->body_done && !stream->deferred)
            sending = true;
    }
    // Everything that could be written was: what is left waits for the client's window.
    return sending ? Waiting::window : Waiting::producer;
}

std::chrono::milliseconds Http2Session::heartbeat_interval() const {
    std::chrono::milliseconds shortest{0};
    for (const auto& [id, stream] : streams_)
        if (stream->streamed && stream->deferred)
            if (const auto interval = stream->streamed->heartbeat_interval();
                interval.count() > 0 && (shortest.count() == 0 || interval < shortest))
                shortest = interval;
    return shortest;
}

bool Http2Session::heartbeat() {
    bool any = false;
    for (auto& [id, stream] : streams_)
        if (stream->streamed && stream->deferred)
            any = stream->streamed->heartbeat() || any;  // each wakes the connection
    return any;
}

}  // namespace http::detail
