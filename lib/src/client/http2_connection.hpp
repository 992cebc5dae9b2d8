// An HTTP/2 connection of the client (RFC 9113): the requests to one origin made on one loop share
// it, each as a stream, many at once.
//
// No coroutine owns the connection's I/O. A request submits its stream, then waits for its
// response; while it waits, one of the waiting requests drives the connection: it writes what
// the session has to send, reads what came and wakes the streams that changed, waiting for the
// socket (readable or writable, whichever first) only when neither can go on. The request that
// drives hands over to another waiting one when its own response is whole. So the socket is read
// only while a response is awaited, and a connection with nothing in flight costs nothing. A
// request that produces output while another drives (a new stream, a window opened as a body is
// taken) has it written at the end of the loop's turn, with what the other requests of that turn
// produced: one write for many streams.
//
// Everything runs on one loop (the client keeps a connection per loop). Its state is still under a
// mutex, held between waits only: a server's watchdog may hand the loop to another thread while a
// handler's coroutine, resumed on the old one, is inside this connection, and the requests the
// new thread resumes then share the connection with it.
#pragma once

#include "client/http2_session.hpp"
#include "client/stream.hpp"
#include "server/reactor.hpp"
#include "task/strand.hpp"

#include <http/headers.hpp>
#include <http/task.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace http::detail {

/// A stream the server did not process (REFUSED_STREAM, or above a GOAWAY's last stream id), or
/// a connection that could take no new stream: the request may go again, on another connection,
/// whatever its method (RFC 9113, Section 8.7).
struct Http2Refused : NetFailure {
    using NetFailure::NetFailure;
};

/// What one stream sends: the request's head and its content, whole.
struct Http2Request {
    std::string_view method;
    std::string_view scheme;
    std::string_view authority;
    std::string_view path;
    const Headers* fields = nullptr;
    std::string_view body;
    /// When set, the body is not `body` (empty) but comes from the receiver's next_upload(), a
    /// part at a time as the stream takes it, this many bytes in all.
    std::optional<std::uint64_t> body_length;
};

/// What takes a stream's response as it comes: the client's intake of one request.
class Http2Receiver {
public:
    /// The deadline of the next wait (receive_timeout, within the request's own).
    virtual Clock::time_point wait_until() const = 0;
    /// The final head is in. Called with the connection's state locked: it must not block.
    virtual void on_head(const Http2ClientStream& stream) = 0;
    /// A piece of the body, in order.
    virtual void on_body(std::string_view piece) = 0;
    /// The response is whole: `stream` has its trailers.
    virtual void on_end(const Http2ClientStream& stream) = 0;
    /// The next part of a body that comes in parts (Http2Request::body_length), once the part
    /// before has gone out; `last` set with the last part. Called unlocked; the part must stay
    /// valid until the next call or the end of the exchange. A receiver of a request whose body
    /// comes in parts must give them: this one throws std::logic_error.
    virtual std::string_view next_upload(bool& last);
    /// The parts next_upload() gave have gone out (progress). Called unlocked.
    virtual void on_uploaded() {}

protected:
    ~Http2Receiver() = default;
};

class Http2Connection : public std::enable_shared_from_this<Http2Connection> {
public:
    Http2Connection(std::unique_ptr<Stream> stream, Http2ClientLimits limits, std::shared_ptr<ReactorLife> loop);
    Http2Connection(const Http2Connection&) = delete;
    Http2Connection& operator=(const Http2Connection&) = delete;
    ~Http2Connection();

    /// Whether a new stream may open on it now, from `loop`: the loop it belongs to, still alive,
    /// no GOAWAY, no failure, a stream free under the server's limit.
    bool usable(const ReactorLife* loop) const;
    /// Whether it has ended for good (a failure, a GOAWAY): the pool lets it go.
    bool ended() const;

    /// Opens a stream for `request`: its head is copied at once, so it need not outlive the call
    /// (a waiting request's frame keeps neither its head nor its fields); its body must live until
    /// the response is whole. Returns the stream's id, which response() then awaits at once.
    /// Throws Http2Refused when the connection takes no new stream, NetFailure when the head
    /// cannot be sent.
    std::int32_t open(const Http2Request& request);
    /// Waits for the response of the stream open() opened, handing it to `receiver` as it comes;
    /// returns once it is whole. Throws NetFailure: Http2Refused when the request may go again
    /// elsewhere, a timeout when a wait passed receiver.wait_until(); what the receiver throws
    /// goes through. However it ends, the stream is let go (reset if still open).
    Task<> response(std::int32_t id, Http2Receiver& receiver);

private:
    /// A request waiting for its stream to change, in its response()'s frame, found by the
    /// stream's id; under the mutex. So a waiting stream costs no allocation of its own: no
    /// trigger, no timer (the connection has one, for the earliest deadline of its waits).
    struct Waiter {
        std::uint64_t wakes = 0;  // times the stream changed, or its request was asked to drive
        bool suspended = false;   // a wait is suspended, to resume as `wait_id` of `strand`
        bool timed_out = false;
        std::weak_ptr<Strand> strand;
        std::uint64_t wait_id = 0;
        Clock::time_point deadline{};
    };
    /// A waiting stream's hold on its Waiter (CountWait's source): the count is waiter.wakes.
    class Waiting;
    /// What a waiting stream's co_await waits with: until waiter.wakes moves past `seen` (true)
    /// or `deadline` (false); throws http::Cancelled when its strand is cancelled.
    using Wait = CountWait<Waiting>;
    /// Resumptions to make once the connection is unlocked, on its loop.
    using Resumptions = std::vector<std::pair<std::weak_ptr<Strand>, std::uint64_t>>;

    /// Counts a wake-up of `waiter`, and adds its resumption if it is suspended; the mutex held.
    static void wake_locked(Waiter& waiter, Resumptions& resume);
    /// Makes the connection's timer due at `deadline` at the latest; the mutex held.
    void arm_timer_locked(Clock::time_point deadline);
    /// The timer: the suspended waits past their deadline time out.
    void time_out();
    /// One round of the driver: what can be written and read without waiting, or else a wait for
    /// the socket until `deadline`. False when the deadline came first.
    Task<bool> drive(Clock::time_point deadline);
    /// Whether it has ended for good; the mutex held.
    bool ended_locked() const;
    /// Writes and reads what can go without waiting, and wakes the streams that changed. True if
    /// anything moved.
    bool pump();
    /// Writes what the session has to send, as far as the socket takes it now; the mutex held.
    void flush_locked() noexcept;
    /// flush() soon, once this turn of the loop is over: the streams opened and the windows
    /// opened in one turn go out in one write. The mutex held.
    void flush_soon_locked();
    /// Wakes the streams the session says changed (all of them once the connection failed); the
    /// mutex held.
    void dispatch_locked();
    /// Hands stream `id` the next part of its request body from `receiver` (read unlocked: a
    /// file). Not in response()'s frame: the part's view and flag are not kept while it waits.
    void give_part(std::int32_t id, Http2Receiver& receiver);
    /// Wakes a waiting stream other than `except`, to drive the connection in its turn; the
    /// mutex held.
    void wake_one_locked(std::int32_t except);

    mutable std::mutex mutex_;
    std::unique_ptr<Stream> stream_;
    Http2ClientSession session_;
    std::shared_ptr<ReactorLife> loop_;
    std::map<std::int32_t, Waiter*> waiting_;  // streams in flight; their request (null before response())
    std::optional<Reactor::TimerId> timer_;   // for the earliest deadline of the suspended waits
    Clock::time_point timer_deadline_{};      // what timer_ was set for
    std::optional<NetFailure> broken_;                          // the socket failed
    bool driving_ = false;
    bool flush_scheduled_ = false;
};

}  // namespace http::detail
