// What a BodyStream shares with the connection that sends it.
//
// Producers append to `pending_` under the mutex; the connection (on its loop's thread) takes
// all of it at once into its own buffer and writes that, so a stream holds at most its bound
// waiting plus one batch being written. When the connection has sent everything and the stream
// is still open it parks (`waiting_`); the next write wakes it through `wake_`, which posts to the
// loop. Nothing here blocks the loop: only a producer on another thread waits, for room.
#pragma once

#include <http/stream.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace http {

namespace detail {

/// What the server running a handler tells the streams made from its response
/// (Response::stream(), EventStream, a WebSocket), through the response: their bound, and whether
/// the calling thread is the server's I/O thread (which must never wait for room).
struct StreamContext {
    std::size_t bound = 1 << 20;
    std::function<bool()> on_io_thread;
    /// For a WebSocket accepted by the handler: whether permessage-deflate may be agreed.
    bool websocket_compression = true;
};

}  // namespace detail

class StreamState : public std::enable_shared_from_this<StreamState> {
public:
    /// How the body is framed on the wire, chosen when the response's head is written.
    enum class Framing : std::uint8_t { chunked, length, until_close, none };

    /// What take() found.
    enum class Take : std::uint8_t { data, empty, done, abort };

    /// A stream made from a response: `may_wait` for a BodyStream's producers, not an
    /// EventStream's; `context` is what the server running the handler said of itself through
    /// the response (null outside a handler: the defaults, and no I/O thread).
    StreamState(bool may_wait, const detail::StreamContext* context);

    // Producers (any thread).
    bool write(std::string_view data);
    void close();
    bool is_open() const;
    std::size_t room() const;
    void on_drain(std::function<void(BodyStream&)> fn);
    /// Runs `fn` once when the stream ends (detach()): at once if it has.
    void on_end(std::function<void()> fn);
    void add_handle() noexcept;
    void drop_handle();

    // The connection (its loop's thread).
    /// Starts sending, framed so, waking the connection with `wake`. What was written before
    /// goes out first; returns how many of those bytes were past `length` and dropped.
    std::uint64_t attach(Framing framing, std::uint64_t length, std::function<void()> wake);
    /// Appends every pending byte to `out`: `data`; `empty` when there is none yet; `done` when
    /// the body is complete and all of it was taken; `abort` when the client must be
    /// disconnected (a producer passed the bound).
    Take take(std::string& out);
    /// Parks the connection until a write (or close) wakes it, unless something is pending:
    /// false then. wake_ is called once for a park.
    bool park();
    /// Unparks without a write (the connection must act on its own: a shutdown deadline);
    /// false if it was not parked.
    bool unpark();
    /// Runs the on_drain callback, if there is one and the stream is open. True if it ran.
    bool drain(const std::function<void(const std::exception&)>& report);
    /// The connection is gone (closed, or the response was replaced): producers see false, and
    /// on_end's callback runs (here, on the calling thread, once).
    void detach();
    /// The server is shutting down: an event stream ends now (its clients reconnect elsewhere).
    void end_for_shutdown();
    /// A heartbeat comment, when the stream is parked and has one; true if one was queued.
    bool heartbeat();
    /// Whether a heartbeat is due every this long (0: none).
    std::chrono::milliseconds heartbeat_interval() const noexcept { return heartbeat_interval_; }
    void set_heartbeat(std::chrono::milliseconds interval) noexcept { heartbeat_interval_ = interval; }
    /// Content bytes written so far (for the access log).
    std::uint64_t content_bytes() const;
    /// The body ended short of its declared Content-Length: the connection cannot be reused.
    bool truncated() const;
    bool ends_on_shutdown = false;  ///< an event stream

private:
    bool append_locked(std::string_view data, std::unique_lock<std::mutex>& lock);
    void frame_locked(std::string_view data);
    void end_locked();
    void close_locked();
    void wake_locked();

    mutable std::mutex mutex_;
    std::condition_variable room_;
    const bool may_wait_;  ///< a BodyStream's producer waits for room; an EventStream's never does
    std::string pending_;   ///< framed bytes after attach(), raw content before it
    bool attached_ = false;
    bool closed_ = false;    ///< close() was called
    bool gone_ = false;      ///< no connection will send more
    bool waiting_ = false;   ///< the connection is parked until a write
    bool ended_ = false;     ///< the terminating bytes are in pending_ (or none are needed)
    bool truncated_ = false; ///< closed short of the declared length
    bool abort_ = false;     ///< a producer passed the bound: disconnect the client
    Framing framing_ = Framing::chunked;
    std::uint64_t remaining_ = 0;  ///< Framing::length: bytes still owed
    std::uint64_t written_ = 0;
    std::size_t bound_;
    std::thread::id creator_;  ///< the handler's thread: it never waits before the handler returns
    std::chrono::milliseconds heartbeat_interval_{0};
    int handles_ = 0;
    std::function<void()> wake_;
    std::function<bool()> on_io_thread_;
    std::function<void(BodyStream&)> on_drain_;
    std::function<void()> on_end_;
};

}  // namespace http
