// HTTP/2 on a server connection (RFC 9113), with libnghttp2 for the framing and HPACK.
//
// The connection keeps the socket, the TLS session, the deadlines and the loop; it hands what it
// receives to receive() and sends what produce() gives. Each stream is an Exchange
// (exchange.hpp), as each HTTP/1.1 request is: the same admission, handlers and finishing. What
// runs application code runs outside any nghttp2 callback: body sinks and on_reply in run(), the
// handlers in run_handlers(), which the connection calls once it waits for the socket, so that a
// handler that blocks long enough for the watchdog leaves the connection to the loop's new owner,
// and its other streams go on meanwhile. Responses go out through nghttp2's data source: a body, a file's parts or a BodyStream,
// each as the peer's flow-control window allows.
//
// The defences against the known HTTP/2 attacks are budgets per connection, each ending the
// connection with GOAWAY ENHANCE_YOUR_CALM when it is spent: stream resets (rapid reset,
// CVE-2023-44487), control frames that cost work and carry nothing (SETTINGS, PING, PRIORITY,
// empty DATA: CVE-2019-9512..9518), header-block bytes across CONTINUATION frames
// (CVE-2024-27316) and decoded header bytes (HPACK bombs). Concurrent streams are bounded by
// SETTINGS_MAX_CONCURRENT_STREAMS, a zero window by write_timeout (Connection).
//
// Where RFC 9113 says MUST and nghttp2 is lenient (it forgets a stream once closed, and skips
// PRIORITY frames once RFC 7540 priorities are off), the session answers itself: DATA or HEADERS
// on a stream the client reset (RST_STREAM STREAM_CLOSED), on a stream both sides ended (GOAWAY
// STREAM_CLOSED), HEADERS on a stream id skipped (GOAWAY PROTOCOL_ERROR), PRIORITY on stream 0 or
// on its own stream, and a SETTINGS_INITIAL_WINDOW_SIZE that takes a stream's window past 2^31-1
// (GOAWAY FLOW_CONTROL_ERROR). A FrameScanner follows the frames ahead of nghttp2 for that, since
// nghttp2 calls back for none of the frames it ignores.
#pragma once

#include "proto/http2/http2.hpp"
#include "server/exchange.hpp"

#include <http/h2_error_codes.hpp>
#include <http/request.hpp>
#include <http/response.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct nghttp2_session nghttp2_session;

namespace http::detail {

/// Follows the client's frames through the bytes received, ahead of nghttp2, and stops at each
/// frame Http2Session checks, at the byte that completes what the check reads (the frame's header,
/// its priority fields, its settings): the bytes before it are nghttp2's to take first, so that
/// the check sees the session as every frame before this one left it, and nghttp2 has acted on
/// nothing of this one yet. A few operations a frame; no payload is copied.
class FrameScanner {
public:
    struct Frame {
        std::uint32_t length = 0;
        std::uint8_t type = 0;
        std::uint8_t flags = 0;
        std::int32_t stream = 0;
        std::int32_t dependency = -1;     ///< PRIORITY, HEADERS with the PRIORITY flag: the stream it depends on
        std::uint32_t initial_window = 0; ///< SETTINGS: the largest SETTINGS_INITIAL_WINDOW_SIZE in it
        bool sets_initial_window = false;
        std::uint64_t closings_before = 0;  ///< closings() when it began
    };
    /// Follows `bytes`, the next received; returns how many of them come before the byte that
    /// completes a frame to check, and sets `due` (the byte is followed: frame() is that frame);
    /// else bytes.size().
    std::size_t follow(std::string_view bytes, bool& due);
    const Frame& frame() const noexcept { return frame_; }
    /// How many frames that may close a stream (RST_STREAM, END_STREAM) were followed to their end.
    std::uint64_t closings() const noexcept { return closings_; }

private:
    void begin();                       // the header is in
    bool take(std::uint8_t byte);       // a payload byte the check reads; true when the check is due

    std::size_t preface_ = http2_preface.size();
    std::uint8_t head_[9] = {};
    std::size_t head_size_ = 0;
    std::uint32_t payload_ = 0;         // bytes of the frame's payload followed
    std::uint32_t reads_ = 0;           // how many of them the check reads (0: the header only)
    bool checks_ = false;               // the frame is checked
    std::uint8_t field_[6] = {};        // a SETTINGS entry, or the pad length and the dependency
    std::size_t field_size_ = 0;
    bool closing_ = false;              // the frame may close a stream
    std::uint64_t closings_ = 0;
    Frame frame_;
};

class Http2Session {
public:
    /// For a connection with `client`, over TLS if `secure`; `wake` makes the connection step
    /// again (a streamed body's producer wrote).
    /// `relayed`: the connection's PROXY protocol header, or null.
    Http2Session(Loop& loop, const ClientInfo& client, const Relayed* relayed, bool secure, std::function<void()> wake);
    ~Http2Session();
    Http2Session(const Http2Session&) = delete;
    Http2Session& operator=(const Http2Session&) = delete;

    /// Takes received bytes (the client's preface first); false when the connection must end,
    /// after what produce() still gives (a GOAWAY, when one can be sent).
    bool receive(std::string_view bytes);
    /// Runs what waits on the loop but the handlers: body sinks, on_reply hooks; submits the
    /// responses that are ready. False if the thread lost the loop while in application code:
    /// the new owner goes on.
    bool run();
    /// Whether requests are whole and their handlers have yet to run (run_handlers()).
    bool handlers_ready() const noexcept { return !ready_.empty(); }
    /// Runs the handlers of the requests that are whole, one after another. False if this thread
    /// lost the loop while in one: the session (and its connection) is the loop's new owner's
    /// from then on, who goes on with the other streams while that handler runs; nothing here
    /// may be touched any more, and the caller wakes the connection on its loop. The new owner
    /// takes what the handler made at the session's next run().
    bool run_handlers();
    /// Whether a stream waits for its handler (to run, or to return on another thread).
    bool handlers_pending() const noexcept;
    /// The client has gone: the coroutine handlers that wait are cancelled (http::Cancelled).
    void cancel_waiting_handlers() noexcept;
    /// Appends frames to send to `out`, up to about `limit` bytes; false on a fatal error.
    bool produce(std::string& out, std::size_t limit);
    /// Graceful close: GOAWAY; the streams already begun are answered, no new one is taken.
    void shut_down();
    /// Ends the connection now with GOAWAY `error_code` (a timeout, a spent budget).
    void terminate(h2::ErrorCode error_code);
    /// Nothing is left to read or write: the connection can close.
    bool finished() const;

    /// What the connection waits on, for its deadline.
    enum class Waiting {
        idle,     ///< no stream open: keep_alive_timeout
        request,  ///< a request is still arriving: read_timeout
        window,   ///< a response waits for the client's flow-control window: write_timeout
        producer  ///< only streamed bodies waiting on their producers: no deadline
    };
    Waiting waiting() const;
    /// The shortest heartbeat interval of the event streams waiting on their producers; 0: none.
    std::chrono::milliseconds heartbeat_interval() const;
    /// Queues a heartbeat comment on each of them; true if there was one.
    bool heartbeat();

    struct Stream;

private:
    friend struct Http2Callbacks;

    Stream* find(std::int32_t id) const;
    using Streams = std::vector<std::pair<std::int32_t, std::shared_ptr<Stream>>>;
    /// Where stream `id` is in streams_, or where it would go.
    Streams::const_iterator position(std::int32_t id) const noexcept;
    /// The request's head is in (with END_STREAM if `last`): the stream's exchange begins, or
    /// the request is refused.
    void on_request_head(Stream& stream, bool last);
    /// Answers `stream` at once with `refusal` (a limit broken while its request arrived).
    void refuse(Stream& stream, const ParseError& refusal);
    /// The stream's exchange refused it: its answer goes out, what more of its content comes is
    /// dropped.
    static void refused(Stream& stream) noexcept;
    /// Submits the stream's response (HEADERS, and its body as the window allows).
    void submit(Stream& stream);
    /// Resets the streams refused while their content came, once their answer is made; true if
    /// it reset any.
    bool reset_refused_streams();
    /// RST_STREAM on stream `id` with `error_code`.
    void reset_stream(std::int32_t id, h2::ErrorCode error_code);
    /// A budget was spent: the connection ends with ENHANCE_YOUR_CALM.
    void calm_down(const char* what);
    /// Gives nghttp2 `bytes`; false if it can go no further (fatal_ set).
    bool feed(std::string_view bytes);
    /// Whether `frame` needs nothing of check(), whatever nghttp2 makes of the bytes before it
    /// that it has yet to take: HEADERS that open a stream, DATA and trailers on an open stream
    /// (the usual frames), which then go to nghttp2 with the rest, not one at a time.
    bool settled(const FrameScanner::Frame& frame);
    /// Answers what RFC 9113 requires of `frame` where nghttp2 would not (see the top of this
    /// file), nghttp2 having taken every frame before it; false if the connection ends (GOAWAY
    /// queued).
    bool check(const FrameScanner::Frame& frame);
    /// How the client's streams ended, for the frames that still come on them (RFC 9113, Section
    /// 5.1), kept for the last `remembered` stream ids: a client that sends on a stream it may
    /// still believe open does so within a round trip, and cannot open so many streams meanwhile.
    enum class Ended : std::uint8_t {
        skipped,        ///< never opened: a higher id was (Section 5.1.1)
        ignored,        ///< reset here (what was in flight is discarded), or not closed yet
        reset_by_peer,  ///< the client reset it
        both_ways,      ///< each side sent END_STREAM
    };
    static constexpr std::int32_t remembered = 1024;
    Ended& ended(std::int32_t id) noexcept { return ended_[static_cast<std::size_t>(id >> 1) % ended_.size()]; }
    /// A HEADERS frame opens stream `id`, above every stream id before it.
    void opening(std::int32_t id) noexcept;
    void report(const std::exception& error) const noexcept { loop_.shared().report(error, client_); }

    Loop& loop_;
    const ServerConfig& config_;
    const ClientInfo& client_;
    const Relayed* const relayed_;
    const bool secure_;
    const std::function<void()> wake_;
    const std::shared_ptr<const std::function<void()>> shared_wake_;  // for streams whose coroutine may outlive this
    nghttp2_session* session_ = nullptr;
    // The open streams by id, in order: a new stream's id is above every id before it (RFC 9113,
    // Section 5.1.1), so it goes at the end, and a stream is found by a binary search. A vector:
    // no node to allocate for each stream. Shared: a handler that runs on when this thread loses
    // the loop keeps its stream alive.
    Streams streams_;
    std::deque<std::shared_ptr<Stream>> ready_;  // whole requests whose handlers are to run
    Replies replies_;  // on_reply hooks, run by run()
    // The response head submit() hands nghttp2 (which copies it): its names in lower case and its
    // values, one after another in head_text_, each field where head_fields_ says. Members, not
    // locals, so that their storage serves the next response without an allocation.
    struct HeadField {
        std::size_t name;  // offsets into head_text_
        std::size_t name_length;
        std::size_t value;
        std::size_t value_length;
    };
    std::string head_text_;
    std::vector<HeadField> head_fields_;
    std::optional<h2::ErrorCode> failure_;  // a defence tripped: GOAWAY with this code
    bool going_away_ = false;
    bool fatal_ = false;          // nghttp2 can go no further: produce() makes the GOAWAY itself
    std::optional<h2::ErrorCode> own_goaway_;  // its error code, until it is made

    /// A token bucket: `burst` at first, refilled at `rate` a second.
    struct Budget {
        double tokens;
        double burst;
        double rate;
        std::chrono::steady_clock::time_point last;
        bool spend();
    };
    Budget resets_;
    Budget control_frames_;
    std::size_t header_block_bytes_ = 0;  // of the header block being received, encoded
    std::size_t continuations_ = 0;       // CONTINUATION frames of that block

    FrameScanner scanner_;
    std::uint64_t closings_fed_ = 0;                            // scanner_.closings() nghttp2 has taken
    std::int32_t highest_stream_ = 0;                           // the highest stream id the client opened
    std::array<Ended, remembered / 2> ended_{};                 // its odd ids, by (id / 2) % size
};

}  // namespace http::detail
