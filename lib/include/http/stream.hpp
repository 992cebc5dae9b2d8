// Response bodies sent as they are produced: http::BodyStream, and Server-Sent Events over it
// (http::EventStream).
#pragma once

#include <http/detail/chrono.hpp>
#include <cstddef>
#include <http/detail/function.hpp>
#include <memory>
#include <string_view>

namespace http {

class Response;
class StreamState;  // what a stream shares with the connection sending it (the server's)
class BodyStream;
namespace detail {
BodyStream start_stream(Response& res, bool may_wait);  // for res.stream() and EventStream
}

/// The body of a response, written while it goes out; the handler may return first.
///
///     http::BodyStream out = res.stream();
///     std::thread([out]() mutable {
///         while (produce(chunk) && out.write(chunk)) {}
///         out.close();
///     }).detach();
///
/// Threading: write() and close() may be called from any thread, concurrently with the
/// connection sending what was written. A write from a thread other than the server's I/O
/// thread waits until the handler has returned and the head is out, and while the stream's
/// unsent bytes exceed server.stream_buffer_size (backpressure); on the I/O thread (the handler itself, an on_drain callback) it never waits,
/// and a write that would pass that bound disconnects the client instead, as does a client that
/// stops reading for write_timeout. Either way write() then returns false, as it does once the
/// client is gone: a producer stops on false.
///
/// The body is chunked, unless the handler set Content-Length (then exactly that many bytes
/// must be written) or the client speaks HTTP/1.0 (then the connection closes after it). The
/// body ends at close(), or when the last copy of the stream is destroyed. A HEAD request, or a
/// status without content, takes no body: writes return false.
class BodyStream {
public:
    /// A stream of no response: write() returns false.
    BodyStream() = default;
    BodyStream(const BodyStream& other);
    BodyStream(BodyStream&& other) noexcept = default;
    BodyStream& operator=(BodyStream other) noexcept;
    ~BodyStream();

    /// Appends `data` to the body. False if the client is gone (or was disconnected as above)
    /// or the stream was closed. Throws std::length_error past a declared Content-Length (what the
    /// handler wrote before it returned is cut to that length, and on_error is told).
    bool write(std::string_view data);
    /// Ends the body. Further writes return false. Safe to call more than once.
    void close();
    /// The client is still there and close() was not called.
    bool is_open() const;
    /// Bytes one write() can take now without waiting or passing the bound (ask again after
    /// each write: framing counts too); 0 once closed.
    std::size_t room() const;
    /// Runs `fn` on the I/O thread each time the connection has taken everything written so far
    /// (room() is then nearly the whole bound), until the stream ends: a producer that makes its data
    /// on demand needs no thread of its own. `fn` writes what it has (up to room()) and closes
    /// the stream at its end; it must not block. Set it once, before the handler returns.
    void on_drain(std::function<void(BodyStream&)> fn);

private:
    friend class Response;
    friend class EventStream;
    friend class StreamState;
    friend BodyStream detail::start_stream(Response& res, bool may_wait);
    explicit BodyStream(std::shared_ptr<StreamState> state);
    std::shared_ptr<StreamState> state_;
};

/// Server-Sent Events (the HTML standard's text/event-stream) on a response.
///
///     http::EventStream events(res);              // in the handler
///     events.send("{\"price\": 42}", "tick", "42");  // from any thread, now or later
///
/// Sets Content-Type: text/event-stream and Cache-Control: no-cache, then sends events as they
/// come. Sending never waits: a client that does not read past server.stream_buffer_size is
/// disconnected and send() returns false, so one slow client cannot stall a broadcast (so is one
/// sent a burst of events larger than that bound faster than the server hands them to the
/// kernel: keep bursts under it). A comment
/// line goes out after each `heartbeat` of silence, so proxies keep the connection and a client
/// that vanished is noticed. The client's Last-Event-ID is req.headers.get("Last-Event-ID").
/// The stream ends at close() or when the server closes (clients reconnect).
class EventStream {
public:
    explicit EventStream(Response& res, std::chrono::milliseconds heartbeat = std::chrono::seconds(15));

    /// Sends one event: `data` (a line feed in it becomes another data: line, as the standard
    /// has it), with an `event` type and an `id` when not empty. False once the client is gone.
    /// Throws std::invalid_argument for an `event` or `id` holding CR, LF (or NUL, in an id).
    bool send(std::string_view data, std::string_view event = {}, std::string_view id = {});
    /// Asks the client to wait this long before reconnecting (the retry: field).
    bool retry(std::chrono::milliseconds delay);
    /// A comment line (": text"), which clients ignore. Throws std::invalid_argument for CR or LF.
    bool comment(std::string_view text);
    void close() { stream_.close(); }
    bool is_open() const { return stream_.is_open(); }
    /// Runs `fn` once when the stream ends: the client left or was let go, close() was called
    /// and the rest sent, or the server closed. It runs on the server's I/O thread (at once, on
    /// the caller's, if the stream has ended already): keep it short, and do not throw (what it
    /// throws is dropped). The place to forget a subscriber.
    void on_close(std::function<void()> fn);

private:
    BodyStream stream_;
};

}  // namespace http
