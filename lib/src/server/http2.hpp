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
#pragma once

#include "server/exchange.hpp"

#include <http/request.hpp>
#include <http/response.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

typedef struct nghttp2_session nghttp2_session;

namespace http::detail {

/// The client connection preface (RFC 9113, Section 3.4), which starts h2c by prior knowledge.
inline constexpr std::string_view http2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The most streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
inline constexpr std::uint32_t http2_max_streams = 100;

class Http2Session {
public:
    /// For a connection with `client`, over TLS if `secure`; `wake` makes the connection step
    /// again (a streamed body's producer wrote).
    Http2Session(Loop& loop, const ClientInfo& client, bool secure, std::function<void()> wake);
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
    /// Appends frames to send to `out`, up to about `limit` bytes; false on a fatal error.
    bool produce(std::string& out, std::size_t limit);
    /// Graceful close: GOAWAY; the streams already begun are answered, no new one is taken.
    void shut_down();
    /// Ends the connection now with GOAWAY `error_code` (a timeout, a spent budget).
    void terminate(std::uint32_t error_code);
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
    /// A budget was spent: the connection ends with ENHANCE_YOUR_CALM.
    void calm_down(const char* what);
    void report(const std::exception& error) const noexcept { loop_.shared().report(error, client_); }

    Loop& loop_;
    const ServerConfig& config_;
    const ClientInfo& client_;
    const bool secure_;
    const std::function<void()> wake_;
    nghttp2_session* session_ = nullptr;
    // Shared: a handler that runs on when this thread loses the loop keeps its stream alive.
    std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
    std::deque<std::shared_ptr<Stream>> ready_;  // whole requests whose handlers are to run
    Replies replies_;  // on_reply hooks, run by run()
    std::uint32_t failure_ = 0;  // a defence tripped: GOAWAY with this code (0: none)
    bool going_away_ = false;
    bool fatal_ = false;          // nghttp2 can go no further: produce() makes the GOAWAY itself
    std::uint32_t own_goaway_ = 0;  // its error code, until it is made

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
};

}  // namespace http::detail
