#include "server/connection.hpp"

#include "files/file_content.hpp"
#include "proto/cookies/cookies.hpp"
#include "proto/message/serialize.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/proxy/proxy_header.hpp"
#include "server/http2.hpp"
#include "server/reuse.hpp"
#include "server/transport.hpp"
#include "server/websocket.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <new>

namespace http::detail {

namespace {

using State = Http1ServerSession::State;
using Event = Http1ServerSession::Event;

// Pipelined responses are written together until this much is waiting.
constexpr std::size_t output_batch_limit = 64 * 1024;
// On a graceful close, how long a keep-alive connection must have been idle before it is closed:
// about a round trip on any network, for a request sent just before the close to arrive.
constexpr std::chrono::milliseconds shutdown_idle_grace{250};
// A lingering close reads and drops at most this much before giving up on the client.
constexpr std::size_t max_lingering_bytes = 1024 * 1024;

// For deadlines, which the sweep checks a tick (10 ms or more) at a time: the kernel's coarse
// monotonic clock, on steady_clock's time line (CLOCK_MONOTONIC) but at most a few milliseconds
// behind it, and read without the time stamp counter, which a precise reading costs.
Clock::time_point coarse_now() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(now.tv_sec) +
                                                                         std::chrono::nanoseconds(now.tv_nsec)));
}

}  // namespace

Connection::Connection(Loop& loop, int fd, ClientInfo client)
    : loop_(loop),
      config_(loop.config()),
      fd_(fd),
      client_(std::move(client)),
      session_(loop.config().head_rules, loop.config().chunked_limits),
      exchange_(loop, client_, loop.config().proxy_protocol ? &relayed_ : nullptr) {}

// close() unlinks a connection from its loop; one destroyed unclosed only goes with its loop.
Connection::~Connection() {
    if (fd_ >= 0)
        ::close(fd_);  // never started
    // Gone with its loop: producers waiting on a stream see false.
    if (stream_)
        stream_->detach();
}


void Connection::start() {
    self_ = shared_from_this();
    loop_.add(this);
    if (config_.proxy_protocol) {
        // on_connect runs once the header has named the client; a refused peer is not announced.
        phase_ = Phase::proxy;
        if (!trusted_address(client_.ip, config_.trusted_proxies)) {
            ::close(std::exchange(fd_, -1));  // only balancers may say who their clients are
            close();
            return;
        }
        set_deadline(config_.read_timeout);  // for the whole header: no slowloris before TLS either
    }
    ServerTls* const tls = loop_.shared().tls;
    may_be_h2c_ = config_.http2 && !tls;  // over TLS, ALPN says
    try {
        transport_ = Transport::open(loop_.reactor(), std::exchange(fd_, -1), tls, *this);
    } catch (const std::exception& error) {
        report(error);
        close();
        return;
    }
    if (!transport_) {
        close();  // out of memory
        return;
    }
    process();
}

void Connection::abandon() noexcept {
    exchange_.abandon();  // a coroutine handler waiting is destroyed there
    disarm();
    loop_.remove(this);
    self_.reset();  // may destroy this
}

void Connection::on_events(std::uint32_t events) {
    if (away_.load(std::memory_order_acquire))
        return;  // the replaced thread still has it; its hand-back reads the socket again
    if (phase_ == Phase::closed)
        return;
    transport_->on_events(events);
    if (peer_watch_ && transport_->readable()) {
        // Parked on a stream: a client that closes or resets is noticed now, not at the next write.
        switch (transport_->peek()) {
        case Transport::Pending::end:
            close();  // the producers see false at once
            return;
        case Transport::Pending::bytes:
            peer_watch_ = false;  // the client sent its next request; it is read when this response is out
            break;
        case Transport::Pending::nothing:
            break;
        }
    }
    const bool resume = (waiting_ == Wait::read && transport_->readable()) ||
                        (waiting_ == Wait::write && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)));
    if (resume) {
        waiting_ = Wait::none;
        process();
    }
}

void Connection::resumed() noexcept {
    // On the thread that ended the coroutine: the rest is the loop's.
    loop_.reactor().post([keep = std::move(suspended_self_)] { keep->process(); });
}

void Connection::resume_after_handoff() {
    if (away_.exchange(false, std::memory_order_acq_rel))
        transport_->assume_readable();  // edges that came meanwhile were not recorded: read to find out
    process();
}

void Connection::process() {
    if (away_.load(std::memory_order_acquire))
        return;  // a wake while the replaced thread has it: its hand-back does the work
    const std::shared_ptr<Connection> keep = self_;  // closing in a step must not end this call
    while (true) {
        Next wanted;
        do {
            wanted = step();
        } while (wanted == Next::again);

        // What the connection waits for; nothing touches it after this, but HTTP/2's handlers.
        switch (wanted) {
        case Next::read:
            if (receive())
                continue;
            waiting_ = Wait::read;
            break;
        case Next::write:
            waiting_ = Wait::write;
            break;
        case Next::handoff:
            loop_.reactor().post([keep] { keep->resume_after_handoff(); });
            return;
        case Next::again:
        case Next::stop:
            return;
        }
        // HTTP/2 runs its streams' handlers now that the connection waits: one that blocks long
        // enough for the watchdog leaves it, waiting as it is, to the loop's new owner, which
        // goes on with its other streams meanwhile.
        if (!h2_ || !h2_->handlers_ready())
            return;
        const std::weak_ptr<Connection> weak = keep;
        Reactor& reactor = loop_.reactor();
        if (!h2_->run_handlers()) {
            // Lost the loop: touch nothing, have the connection's owner take the response.
            reactor.post([weak] {
                if (const auto connection = weak.lock())
                    connection->resume();
            });
            return;
        }
        waiting_ = Wait::none;  // still the owner: what the handlers made goes out
    }
}

bool Connection::receive() {
    if (!transport_->readable())
        return false;
    if (peer_closed_ && phase_ == Phase::http2)
        return false;  // its end was read: what is left to do (handlers) wakes the connection
    if (phase_ == Phase::lingering) {
        char discard[4096];
        const ssize_t n = transport_->discard(discard, sizeof discard);
        if (n < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? false : (close(), true);
        lingering_discarded_ += static_cast<std::size_t>(n);
        if (n == 0 || lingering_discarded_ > max_lingering_bytes)
            close();
        return true;
    }
    std::size_t room = 0;
    // A stream of frames or a body is read in blocks; a request head into the small inline area.
    const bool bulk = phase_ == Phase::http2 || phase_ == Phase::websocket || session_.state() == State::content;
    char* const space = bulk ? input_.bulk_space(room) : input_.space(room);
    const ssize_t n = phase_ == Phase::proxy ? transport_->receive_before_tls(space, room) : transport_->receive(space, room);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return false;
        close();  // reset by the client, say: nothing to report
        return true;
    }
    const auto got = static_cast<std::size_t>(n);
    input_.commit(got);
    loop_.metrics().count_bytes_in(got);
    if (got == 0) {
        peer_closed_ = true;
        session_.input_ended();
    }
    return true;
}

void Connection::resume() {
    if (waiting_ == Wait::none || away_.load(std::memory_order_acquire))
        return;  // closed, or away: the hand-back steps it
    waiting_ = Wait::none;
    process();
}

void Connection::wake() {
    if (waiting_ == Wait::none)
        return;
    waiting_ = Wait::none;
    loop_.reactor().post([self = self_] {
        if (self)
            self->process();
    });
}

bool Connection::sent(ssize_t result, Next& then) {
    if (result >= 0) {
        loop_.metrics().count_bytes_out(static_cast<std::size_t>(result));
        return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        set_deadline(config_.write_timeout);  // a client that stops reading is let go
        transport_->wait_writable();
        then = Next::write;
    } else {
        then = close();  // the client went away: nothing to report
    }
    return false;
}

std::function<void()> Connection::waker() {
    return [weak = weak_from_this(), &reactor = loop_.reactor()] {
        reactor.post([weak] {
            if (const auto connection = weak.lock())
                connection->process();
        });
    };
}

void Connection::set_deadline(std::chrono::milliseconds timeout) noexcept {
    deadline_.store((coarse_now() + timeout).time_since_epoch().count(), std::memory_order_relaxed);
}

void Connection::check_deadline(Clock::time_point now) {
    // A connection in a handler has no deadline, so one that a replaced thread is still working
    // on is never touched here.
    if (now.time_since_epoch().count() < deadline_.load(std::memory_order_relaxed))
        return;
    if (stream_ && stream_->heartbeat()) {
        // A parked event stream has been quiet for its heartbeat interval.
        set_deadline(stream_->heartbeat_interval());
        return;
    }
    if (h2_ && h2_->waiting() == Http2Session::Waiting::producer && h2_->heartbeat()) {
        clear_deadline();  // the step the heartbeats wake sets the next one
        return;
    }
    clear_deadline();
    timed_out_ = true;
    wake();  // the read or write it waits for sees timed_out_
}

void Connection::cut() {
    cut_.store(true, std::memory_order_relaxed);
    if (away_.load(std::memory_order_acquire))
        return;  // the step after the hand-back closes
    exchange_.cancel();  // a coroutine handler's waits end (soon, on the loop): its continuation closes
    wake();  // the read or write it waits for closes
    if (stream_ && stream_->unpark())
        process();  // parked for a producer: no operation to wake
}

void Connection::shut_down() {
    shutdown_requested_ = true;
    if (away_.load(std::memory_order_acquire))
        return;  // the step after the hand-back sees it
    if (h2_) {
        wake();  // its step sends GOAWAY: the streams begun are answered, then it closes
        return;
    }
    if (ws_) {
        ws_->close(CloseCode::GOING_AWAY, "the server is shutting down");  // its writes wake it
        return;
    }
    if (stream_)
        stream_->end_for_shutdown();  // an event stream ends now; a body stream is let finish
    if (phase_ == Phase::proxy)
        wake();  // the read of a PROXY protocol header closes
    if (phase_ == Phase::http1 && session_.state() == State::idle && !writing_ && input_.empty()) {
        // An idle keep-alive connection: the sweep closes it after shutdown_idle_grace, so that
        // a request its client sent as the close began, still on its way, is answered (with
        // Connection: close) rather than lost to a reset.
        close_when_idle_at_ = coarse_now() + shutdown_idle_grace;
        const std::int64_t close_at = close_when_idle_at_.time_since_epoch().count();
        deadline_.store(std::min(deadline_.load(std::memory_order_relaxed), close_at), std::memory_order_relaxed);
    }
}

Connection::Next Connection::step() {
    if (phase_ == Phase::closed)
        return Next::stop;
    if (cut_.load(std::memory_order_relaxed) && phase_ != Phase::handling) {
        // The shutdown deadline passed: no more waiting on this client.
        transport_->reset_on_close();
        return close();
    }
    if (timed_out_) {
        timed_out_ = false;
        if (h2_) {
            h2_->terminate(h2::ErrorCode::NO_ERROR);  // idle, or a client that stopped reading or sending
            return end_http2();
        }
        if (ws_)
            return websocket_timeout();
        if (writing_) {
            // The client stopped reading: reset rather than leave the unsent bytes in the kernel.
            transport_->reset_on_close();
            return close();
        }
        if (phase_ == Phase::lingering || phase_ == Phase::handshake || phase_ == Phase::proxy ||
            session_.state() == State::idle)
            return close();  // an idle keep-alive connection, the end of a lingering close, or a
                             // TLS handshake or PROXY protocol header that did not finish in time
        refuse(refusals::request_timeout);
        return Next::again;
    }
    if (writing_)
        return write_output();

    switch (phase_) {
    case Phase::proxy:
        return read_proxy_header();
    case Phase::connecting:
        phase_ = Phase::http1;
        if (transport_->secure()) {
            phase_ = Phase::handshake;
            set_deadline(config_.read_timeout);  // for the whole handshake
        }
        if (!config_.connect_hooks.empty()) {
            Exchange::run_hooks(loop_, client_, config_.connect_hooks, "on_connect", std::as_const(client_));
            if (!loop_.on_owner_thread())
                return Next::handoff;
        }
        return Next::again;
    case Phase::handshake:
        return handshake();
    case Phase::http1:
        return read_request();
    case Phase::handling:
        return handle();
    case Phase::http2:
        return http2_step();
    case Phase::websocket:
        return websocket_step();
    case Phase::lingering:
        input_.clear();
        return peer_closed_ ? close() : Next::read;
    case Phase::closed:
        break;
    }
    return Next::stop;
}

Connection::Next Connection::read_proxy_header() {
    ProxyHeaderFields header;
    std::string_view error;
    switch (parse_proxy_header(input_.data(), header, error)) {
    case ProxyParse::incomplete:
        return peer_closed_ || shutdown_requested_ ? close() : Next::read;
    case ProxyParse::invalid:
        return close();  // nothing is answered: the balancer logs the connection's end
    case ProxyParse::done:
        break;
    }
    input_.consume(header.size);
    if (header.relayed) {
        client_.ip = std::move(header.source_ip);
        client_.port = header.source_port;
        relayed_.header = {std::move(header.destination_ip), header.destination_port, std::move(header.alpn),
                           std::move(header.authority)};
        relayed_.tls = header.tls;
    }
    if (transport_->secure() && !input_.empty()) {
        try {
            transport_->return_to_tls(input_.data());  // the ClientHello's first bytes, read with the header
        } catch (const std::bad_alloc&) {
            return close();
        }
        input_.clear();
    }
    clear_deadline();
    phase_ = Phase::connecting;
    return Next::again;
}

Connection::Next Connection::handshake() {
    switch (transport_->handshake()) {
    case Transport::Handshake::done:
        phase_ = Phase::http1;
        if (transport_->alpn() == "h2")
            return begin_http2();
        return Next::again;
    case Transport::Handshake::want_read:
        return Next::read;
    case Transport::Handshake::want_write:
        return Next::write;
    case Transport::Handshake::plain_http:
        // As nginx does: a 400 the client can read, in the clear, and the connection closes.
        phase_ = Phase::http1;
        refuse({Status::BAD_REQUEST, "a plain HTTP request was sent to an HTTPS port"});
        return Next::again;
    case Transport::Handshake::failed:
        break;
    }
    return close();  // not TLS, or nothing both sides accept: OpenSSL has sent its alert
}

// --- HTTP/1.1 ------------------------------------------------------------------------------------

Connection::Next Connection::read_request() {
    if (session_.state() == State::closing)
        return has_output() ? (writing_ = true, Next::again) : linger();  // the last response is out
    if (session_.state() == State::idle && !input_.empty()) {
        if (may_be_h2c_) {
            // HTTP/2 by prior knowledge (h2c): the connection starts with the client's preface.
            const std::string_view data = input_.data();
            const std::string_view start = data.substr(0, http2_preface.size());
            if (http2_preface.starts_with(start))
                return start.size() < http2_preface.size() ? need_input() : begin_http2();
            may_be_h2c_ = false;
        }
        if (!head_deadline_set_) {
            set_deadline(config_.read_timeout);  // for the whole header section: no slowloris
            head_deadline_set_ = true;
        }
    }
    std::size_t used = 0;
    switch (session_.next(input_.data(), used, exchange_.content_buffer())) {
    case Event::need_input:
        return need_input();
    case Event::head:
        head_deadline_set_ = false;
        return on_head();
    case Event::content:
        input_.consume(used);
        return on_content(false);
    case Event::end:
        input_.consume(used);
        return on_content(true);
    case Event::error:
        refuse(session_.error());
        return Next::again;
    case Event::closed:
        break;
    }
    // The client will send nothing more: answer what it asked, then close.
    if (has_output()) {
        writing_ = true;
        return Next::again;
    }
    return close();
}

Connection::Next Connection::on_head() {
    may_be_h2c_ = false;
    // The request began when its bytes came: the loop's last wake (Reactor::woke_at), which
    // spares a clock reading per request; no earlier than the last response, for pipelined
    // requests behind a slow one.
    exchange_.begin(std::max(loop_.reactor().woke_at(), exchange_.finished_at()));
    const RequestHead& head = session_.head();
    const std::optional<std::uint64_t> declared =
        head.framing == Framing::content_length ? std::optional(head.content_length) : std::nullopt;
    exchange_.take_head(head, transport_->secure());  // copies out of the input before its bytes are released
    input_.consume(head.size);
    if (shutdown_requested_)
        session_.must_close();

    if (session_.state() == State::responding) {
        phase_ = Phase::handling;  // no content
        return Next::again;
    }
    if (!exchange_.open_content(declared)) {
        session_.refuse();
        respond();
        return Next::again;
    }
    session_.read_content(exchange_.content_limit(), !input_.empty(), output_);
    body_started_ = Clock::now();
    if (exchange_.has_sink() && !loop_.on_owner_thread())
        return Next::handoff;  // the hook held this thread long enough to be replaced
    return Next::again;
}

Connection::Next Connection::on_content(bool end) {
    if (!exchange_.took_content() || !exchange_.feed_sink() || (end && !exchange_.end_content(session_.trailers()))) {
        session_.refuse();
        respond();
        return Next::again;
    }
    if (end)
        phase_ = Phase::handling;
    // Replaced while in a sink: the loop's new owner reads on (or, complete, handles).
    return loop_.on_owner_thread() ? Next::again : Next::handoff;
}

Connection::Next Connection::need_input() {
    if (has_output()) {
        writing_ = true;  // answer what was asked before waiting for more
        return Next::again;
    }
    const State state = session_.state();
    if (state == State::idle && input_.empty()) {
        if (shutdown_requested_) {
            // Idle now, as shut_down() finds a connection: a request may be on its way.
            const Clock::time_point now = coarse_now();
            if (close_when_idle_at_ == Clock::time_point{})
                close_when_idle_at_ = now + shutdown_idle_grace;
            if (now >= close_when_idle_at_)
                return close();
            input_.clear();
            deadline_.store(close_when_idle_at_.time_since_epoch().count(), std::memory_order_relaxed);
            return Next::read;
        }
        input_.clear();
        set_deadline(config_.keep_alive_timeout);
        head_deadline_set_ = false;
        return Next::read;
    }
    std::size_t room = 0;
    if (!input_.space(room)) {
        if (session_.input_full(input_.capacity())) {
            refuse(session_.error());
            return Next::again;
        }
        input_.grow(session_.input_limit());
    }
    if (state == State::content) {
        // read_timeout between reads, and overall the content keeps to min_body_rate.
        auto deadline = coarse_now() + config_.read_timeout;
        if (config_.min_body_rate > 0) {
            const auto allowed = config_.read_timeout +
                                 std::chrono::milliseconds(session_.content_received() * 1000 / config_.min_body_rate);
            deadline = std::min(deadline, body_started_ + allowed);
        }
        deadline_.store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
    }
    return Next::read;
}

Connection::Next Connection::handle() {
    if (!exchange_.handled())
        clear_deadline();
    switch (exchange_.run(this)) {
    case Exchange::Run::done:
        break;
    case Exchange::Run::away:
        return Next::handoff;  // this thread blocked long enough to be replaced: the new owner goes on
    case Exchange::Run::suspended:
        // A coroutine handler waits, holding no thread: the connection waits for it (kept alive
        // until it ends: arm()), watching for a client that goes away, which cancels it.
        watch_peer();
        return Next::stop;
    }
    peer_watch_ = false;
    respond();
    // Uploads (and their temporary files) and a large body go now, not when the next request
    // on this keep-alive connection comes.
    Request& request = exchange_.request;
    if (!request.files.empty())  // tested first: a call to empty a map costs more
        request.files.clear();
    if (request.body.capacity() > 64 * 1024)
        std::string().swap(request.body);
    if (session_.state() == State::closing || large_response_ || stream_ || output_.size() >= output_batch_limit)
        writing_ = true;
    return Next::again;
}

void Connection::respond() {
    phase_ = Phase::http1;
    if (shutdown_requested_)
        session_.must_close();
    const std::size_t mark = output_.size();
    bool separate_body = false;
    const Delimiting delimiting = session_.version_minor() >= 1 ? Delimiting::chunked : Delimiting::close;
    Outgoing outgoing = exchange_.finish(session_.head_request(), delimiting, [&](const Response& response, const Outgoing& out) {
        output_.resize(mark);
        const bool stream = out.stream && out.stream_framing != StreamState::Framing::length;
        const Http1ServerSession::Shape shape{out.external_length, stream,
                                              out.stream_framing == StreamState::Framing::until_close,
                                              out.websocket != nullptr};
        separate_body = session_.write_response(response, shape, output_);
        // A small file goes out with its head, in one write, read in a single bounded copy.
        if (separate_body && response.file && *out.external_length <= inline_body_limit) {
            if (!response.file->append_to(output_)) {
                output_.resize(mark);
                throw std::runtime_error("httpkit: a file being sent could not be read");
            }
            separate_body = false;
        }
    });
    if (outgoing.stream) {
        exchange_.attach_stream(outgoing, waker());
        stream_ = std::move(outgoing.stream);
    }
    if (outgoing.websocket) {
        upgrade_ = std::move(outgoing.websocket);
        writing_ = true;  // the 101 goes out now: the connection speaks WebSocket after it
    }
    if (Replies::wanted(loop_)) {
        Response& response = exchange_.response();
        replies_.add(exchange_.request, separate_body ? Response(response) : std::move(response));
    }
    if (separate_body && !stream_)
        large_response_ = exchange_.take_response();  // its body is written from it
    exchange_.release_response();  // an idle connection holds none
}

void Connection::refuse(const ParseError& error) {
    // After a refused request the byte stream cannot be trusted: answer, then close.
    exchange_.refuse(error);
    session_.refuse();
    respond();
    writing_ = true;
}

Connection::Next Connection::write_output() {
    const FileContent* file = large_response_ ? large_response_->file.get() : nullptr;
    if (file && !corked_) {
        // Corked while a file goes out, as nginx's tcp_nopush: the head and the file leave in
        // full segments rather than one per sendfile page, which costs the receiver dearly.
        transport_->cork(corked_ = true);
    }
    while (true) {
        if (file && output_sent_ == output_.size()) {
            // The head is out: the file's parts, ranges of it with sendfile(2).
            if (file_part_ == file->parts.size()) {
                transport_->cork(corked_ = false);  // sends what is left at once
                return after_write();
            }
            const FileContent::Part& part = file->parts[file_part_];
            ssize_t result;
            if (part.from_file()) {
                const auto offset = static_cast<off_t>(part.offset + large_sent_);
                const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(part.length - large_sent_, 1 << 20));
                result = transport_->send_file(file->fd(), offset, count);
                if (result == 0)
                    return close();  // the file shrank: its Content-Length cannot be kept
            } else {
                const iovec text{const_cast<char*>(part.text.data() + large_sent_), part.text.size() - large_sent_};
                result = transport_->send(&text, 1);
            }
            Next then;
            if (!sent(result, then))
                return then;
            large_sent_ += static_cast<std::size_t>(result);
            if (large_sent_ == part.size()) {
                ++file_part_;
                large_sent_ = 0;
            }
            continue;
        }
        if (stream_ && output_sent_ == output_.size())
            return write_stream();
        std::array<iovec, 2> buffers{};
        int count = 0;
        if (output_sent_ < output_.size())
            buffers[count++] = iovec{output_.data() + output_sent_, output_.size() - output_sent_};
        if (large_response_ && !file && large_sent_ < large_response_->body.size())
            buffers[count++] = iovec{large_response_->body.data() + large_sent_, large_response_->body.size() - large_sent_};
        if (count == 0)
            return after_write();
        const ssize_t result = transport_->send(buffers.data(), count);
        Next then;
        if (!sent(result, then))
            return then;
        const auto n = static_cast<std::size_t>(result);
        const std::size_t from_output = std::min(n, output_.size() - output_sent_);
        output_sent_ += from_output;
        large_sent_ += n - from_output;
    }
}

bool Connection::flush_stream_out(Next& then) {
    while (stream_sent_ < stream_out_.size()) {
        const iovec piece{stream_out_.data() + stream_sent_, stream_out_.size() - stream_sent_};
        const ssize_t result = transport_->send(&piece, 1);
        if (!sent(result, then))
            return false;
        stream_sent_ += static_cast<std::size_t>(result);
    }
    stream_out_.clear();
    stream_sent_ = 0;
    return true;
}

Connection::Next Connection::write_stream() {
    const auto report_error = [this](const std::exception& error) { report(error); };
    while (true) {
        if (Next then; !flush_stream_out(then))
            return then;
        switch (stream_->take(stream_out_)) {
        case StreamState::Take::data:
            break;
        case StreamState::Take::empty:
            // Nothing written yet: an on_drain producer makes some now, else wait for a write.
            if (stream_->drain(report_error)) {
                if (!loop_.on_owner_thread())
                    return Next::handoff;
                continue;
            }
            if (!stream_->park())
                continue;  // written meanwhile
            if (const auto interval = stream_->heartbeat_interval(); interval.count() > 0)
                set_deadline(interval);
            else
                clear_deadline();
            watch_peer();
            return Next::stop;  // the next write posts process()
        case StreamState::Take::done:
            finish_stream();
            return after_write();
        case StreamState::Take::abort:
            // The client is not reading what is produced: reset, do not leave it in the kernel.
            transport_->reset_on_close();
            return close();
        }
        // An on_drain producer refills while this batch goes out.
        if (stream_->drain(report_error) && !loop_.on_owner_thread())
            return Next::handoff;
    }
}

void Connection::finish_stream() {
    if (stream_->truncated())
        session_.must_close();  // the body ended short: the connection cannot be reused
    exchange_.stream_ended(stream_->content_bytes());
    stream_->detach();
    stream_.reset();
    std::string().swap(stream_out_);
    peer_watch_ = false;  // the watch does not outlive the stream
}

void Connection::watch_peer() {
    if (peer_watch_)
        return;
    peer_watch_ = true;
    // The client may have closed already, its edge come and gone: look once now.
    if (transport_->readable())
        loop_.reactor().post([self = self_] {
            if (self)
                self->on_events(0);
        });
}

Connection::Next Connection::after_write() {
    writing_ = false;
    clear_deadline();
    output_.clear();
    output_sent_ = 0;
    if (output_.capacity() > 2 * output_batch_limit)
        output_.shrink_to_fit();
    large_response_.reset();
    large_sent_ = 0;
    file_part_ = 0;
    if (!replies_.run(loop_, client_))
        return Next::handoff;
    if (upgrade_ && session_.state() == State::upgraded)
        return begin_websocket();
    return Next::again;
}

Connection::Next Connection::linger() {
    // Close our sending side first and drain what the client still sends, so that a response to
    // a request whose body was not read is not destroyed by a TCP reset (RFC 9112, Section 9.6).
    // Over TLS, close_notify says first that nothing more comes.
    if (!transport_->shutdown_sending() || peer_closed_)
        return close();
    phase_ = Phase::lingering;
    input_.clear();
    set_deadline(config_.lingering_timeout);
    return Next::read;
}

// --- HTTP/2 --------------------------------------------------------------------------------------

Connection::Next Connection::begin_http2() {
    try {
        h2_ = std::make_unique<Http2Session>(loop_, client_, config_.proxy_protocol ? &relayed_ : nullptr,
                                             transport_->secure(), waker());
    } catch (const std::exception& error) {
        report(error);
        return close();
    }
    phase_ = Phase::http2;
    return Next::again;  // the step sends GOAWAY at once if the server is shutting down
}

Connection::Next Connection::http2_step() {
    // Application code runs in this step (handlers, sinks, producers) while the streams of the
    // connection go on: until it is done, or handed back after the watchdog replaced this
    // thread, the loop's other threads keep off (away_).
    clear_deadline();
    away_.store(true, std::memory_order_release);
    const Next wanted = http2_work();
    if (wanted != Next::handoff)
        away_.store(false, std::memory_order_release);
    return wanted;
}

Connection::Next Connection::http2_work() {
    if (shutdown_requested_)
        h2_->shut_down();  // GOAWAY (once): the streams begun are answered, then it closes
    if (!input_.empty()) {
        const bool more = h2_->receive(input_.data());
        input_.clear();  // nghttp2 has taken all of it
        if (!more)
            return end_http2();
    }
    if (!h2_->run())
        return Next::handoff;  // a handler held this thread long enough to be replaced
    // Frames out until there are none; a full socket waits (write_timeout).
    while (true) {
        if (output_sent_ == output_.size()) {
            output_.clear();
            output_sent_ = 0;
            if (!h2_->produce(output_, output_batch_limit))
                return close();
            if (!loop_.on_owner_thread())
                return Next::handoff;  // an on_drain producer held this thread
            if (output_.empty())
                break;
        }
        const iovec out{output_.data() + output_sent_, output_.size() - output_sent_};
        Next then;
        const ssize_t result = transport_->send(&out, 1);
        if (!sent(result, then))
            return then;
        output_sent_ += static_cast<std::size_t>(result);
    }
    if (output_.capacity() > 2 * output_batch_limit)
        std::string().swap(output_);
    if (h2_->finished() || (peer_closed_ && !h2_->handlers_pending()))
        return close();  // a client that sent its last byte gets what it asked for first
    if (peer_closed_)
        h2_->cancel_waiting_handlers();  // but a coroutine's wait is not worth keeping it for
    switch (h2_->waiting()) {
    case Http2Session::Waiting::idle:
        set_deadline(config_.keep_alive_timeout);
        break;
    case Http2Session::Waiting::request:
        set_deadline(config_.read_timeout);
        break;
    case Http2Session::Waiting::window:
        set_deadline(config_.write_timeout);  // a window held at zero is a client not reading
        break;
    case Http2Session::Waiting::producer:
        // Event streams with a heartbeat: a comment when they have been quiet that long.
        if (const auto interval = h2_->heartbeat_interval(); interval.count() > 0)
            set_deadline(interval);
        else
            clear_deadline();
        break;
    }
    return Next::read;
}

Connection::Next Connection::end_http2() {
    output_.erase(0, output_sent_);
    output_sent_ = 0;
    h2_->produce(output_, output_batch_limit);
    h2_.reset();
    // A lingering close once the GOAWAY (which says why) is out: closing with the client's
    // frames unread would reset the connection, and the reset can destroy the GOAWAY before the
    // client reads it. A client that does not read it is let go after write_timeout.
    session_.must_close();
    phase_ = Phase::http1;
    if (!output_.empty()) {
        writing_ = true;
        return Next::again;
    }
    return linger();
}

// --- WebSocket -----------------------------------------------------------------------------------

Connection::Next Connection::begin_websocket() {
    phase_ = Phase::websocket;
    ws_ = std::make_unique<WebSocketSession>(loop_, client_, std::move(upgrade_));
    ws_->socket().out().attach(StreamState::Framing::until_close, 0, waker());
    ws_deadline_ = Clock::time_point::max();
    if (config_.websocket_ping_interval.count() > 0)
        ws_deadline_ = coarse_now() + config_.websocket_ping_interval;
    // A shutdown that came while the 101 was being written found no WebSocket to close: it
    // closes now, or the client would wait for the shutdown deadline.
    if (shutdown_requested_)
        ws_->close(CloseCode::GOING_AWAY, "the server is shutting down");
    return Next::again;
}

Connection::Next Connection::websocket_step() {
    // Frames in: messages to the application, control frames answered.
    if (!input_.empty()) {
        if (ws_->done()) {
            input_.clear();  // after the closing handshake, nothing more is read
        } else {
            // on_message and on_close run in here, and their sends wake this connection: until
            // they are done, or handed back after the watchdog replaced this thread, the loop's
            // other threads keep off (away_), as they do from HTTP/2's handlers.
            std::size_t used = 0;
            away_.store(true, std::memory_order_release);
            const WebSocketSession::Result result = ws_->receive(input_.data(), used);
            input_.consume(used);
            if (result == WebSocketSession::Result::away)
                return Next::handoff;  // resume_after_handoff clears away_
            away_.store(false, std::memory_order_release);
            // Anything from the client says it is there: the next ping waits a whole interval.
            ws_ping_sent_ = false;
            if (config_.websocket_ping_interval.count() > 0 && !ws_->awaiting_close())
                ws_deadline_ = coarse_now() + config_.websocket_ping_interval;
        }
    }
    if (ws_->awaiting_close() && ws_deadline_ == Clock::time_point::max())
        ws_deadline_ = coarse_now() + config_.read_timeout;  // the peer's close is due
    // Frames out: what the application and the session queued.
    StreamState& out = ws_->socket().out();
    while (true) {
        if (Next then; !flush_stream_out(then))
            return then;
        const StreamState::Take taken = out.take(stream_out_);
        if (taken == StreamState::Take::data)
            continue;
        if (taken == StreamState::Take::abort) {
            // The client does not read what is sent: let it go, do not leave it in the kernel.
            transport_->reset_on_close();
            return close();
        }
        if (taken == StreamState::Take::done && (ws_->done() || peer_closed_))
            return end_websocket();  // the closing handshake is over (or failed), our close is out
        if (taken == StreamState::Take::empty && !out.park())
            continue;  // written meanwhile
        break;
    }
    if (peer_closed_)
        return end_websocket();  // the client went without a close frame
    if (ws_deadline_ == Clock::time_point::max())
        clear_deadline();
    else
        deadline_.store(ws_deadline_.time_since_epoch().count(), std::memory_order_relaxed);
    return Next::read;
}

Connection::Next Connection::websocket_timeout() {
    if (stream_sent_ < stream_out_.size()) {
        // A write did not move for write_timeout: the client stopped reading.
        transport_->reset_on_close();
        return close();
    }
    if (ws_->awaiting_close() || ws_ping_sent_) {
        // No close after ours, or nothing after a ping, within read_timeout: the client is gone.
        // Our close frame goes out if it can, then the connection ends.
        if (!ws_->awaiting_close())
            ws_->close(CloseCode::GOING_AWAY, "no answer to a ping");
        ws_->give_up();
        return Next::again;
    }
    ws_->ping();
    ws_ping_sent_ = true;
    ws_deadline_ = coarse_now() + config_.read_timeout;
    return Next::again;
}

Connection::Next Connection::end_websocket() {
    // on_close with ABNORMAL_CLOSURE unless it has run: application code, so posted to the loop
    // rather than run here, where the connection goes on.
    loop_.reactor().post([session = std::shared_ptr<WebSocketSession>(std::move(ws_))] { session->lost(); });
    phase_ = Phase::http1;
    session_.must_close();
    return linger();  // what is written (our close frame) reaches the client before the end
}

Connection::Next Connection::close() {
    if (phase_ == Phase::closed)
        return Next::stop;
    const bool refused_before_connect = phase_ == Phase::proxy;  // on_connect did not run either
    phase_ = Phase::closed;
    clear_deadline();
    waiting_ = Wait::none;
    peer_watch_ = false;
    exchange_.cancel();  // a coroutine handler waiting unwinds soon, on the loop: its client is gone
    h2_.reset();  // its streams' producers see false
    if (ws_) {
        // The WebSocket ended without its closing handshake: on_close runs on the loop, after
        // this connection is gone (it is application code).
        loop_.reactor().post([session = std::shared_ptr<WebSocketSession>(std::move(ws_))] { session->lost(); });
    }
    upgrade_.reset();
    if (transport_)
        transport_->close(loop_.reactor());
    input_.clear();
    if (stream_) {
        // A stream the client ended is logged as it went, as a finished one is (finish_stream).
        exchange_.stream_ended(stream_->content_bytes());
        stream_->detach();  // its producers see false; on_close runs
        stream_.reset();
    }
    loop_.remove(this);
    // Events for it may already have been taken from the kernel: it lives until they are seen.
    loop_.reactor().release_later(std::move(self_));
    if (!config_.disconnect_hooks.empty() && !refused_before_connect)
        Exchange::run_hooks(loop_, client_, config_.disconnect_hooks, "on_disconnect", std::as_const(client_));
    return Next::stop;
}

}  // namespace http::detail
