#include "server/connection.hpp"

#include "proto/message/parameters.hpp"
#include "coding/compress_response.hpp"
#include "server/access_log.hpp"
#include "files/file_content.hpp"
#include "proto/cookies/cookies.hpp"
#include "proto/multipart/multipart.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/message/problem.hpp"
#include "proto/message/serialize.hpp"
#include "proto/url/percent.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>

namespace http::detail {

namespace {

// Pipelined responses are written together until this much is waiting.
constexpr std::size_t output_batch_limit = 64 * 1024;
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

// Storage a thread keeps between the requests it handles, so that the next one need not allocate
// it again: a response's header list (emptied), and the map nodes of a request's cookies while
// its fields are read (connections mostly carry the same cookies from one request to the next).
thread_local Headers spare_headers;
thread_local std::vector<Fields::node_type> spare_cookies;

// Whether the n bytes at a and b are the same. Up to 16 bytes in registers, with two loads from
// each that may overlap: most of a request's strings are that short, and a call to memcmp costs
// more than comparing them.
bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
    auto load = [](const char* p, auto word) {
        std::memcpy(&word, p, sizeof word);
        return word;
    };
    if (n >= 8 && n <= 16)
        return load(a, std::uint64_t{}) == load(b, std::uint64_t{}) &&
               load(a + n - 8, std::uint64_t{}) == load(b + n - 8, std::uint64_t{});
    if (n >= 4 && n < 8)
        return load(a, std::uint32_t{}) == load(b, std::uint32_t{}) &&
               load(a + n - 4, std::uint32_t{}) == load(b + n - 4, std::uint32_t{});
    if (n < 4) {
        for (std::size_t i = 0; i < n; ++i)
            if (a[i] != b[i])
                return false;
        return true;
    }
    return std::memcmp(a, b, n) == 0;
}

// Most of a request's strings are what they were for the request before on the same connection
// (method, version, client address, scheme, often the target and host): comparing costs less
// than assigning.
void assign(std::string& to, std::string_view value) {
    if (to.size() != value.size() || !same_bytes(to.data(), value.data(), value.size()))
        to.assign(value);
}

}  // namespace

Connection::Connection(Loop& loop, int fd, ClientInfo client)
    : loop_(loop),
      config_(loop.config()),
      fd_(fd),
      client_(std::move(client)),
      may_be_h2c_(loop.config().http2),
      head_parser_(loop.config().head_rules),
      body_(loop.config().chunked_limits) {}

// close() unlinks a connection from its loop; one destroyed unclosed only goes with its loop.
Connection::~Connection() {
    if (fd_ >= 0)
        ::close(fd_);
    // Gone with its loop: producers waiting on a stream see false.
    if (stream_)
        stream_->detach();
    if (response_ && response_->stream_state)
        response_->stream_state->detach();
}


void Connection::start() {
    self_ = shared_from_this();
    loop_.add(this);
    if (ServerTls* const tls = loop_.shared().tls) {
        may_be_h2c_ = false;  // over TLS, ALPN says
        tls_ = tls->accept(fd_);
        if (!tls_) {
            close();  // out of memory
            return;
        }
    }
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // fails on a Unix socket: ignored
    try {
        if (tls_)
            loop_.reactor().watch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, *this);
        else
            ring_ = loop_.reactor().watch_socket(fd_, *this);
    } catch (const std::exception& error) {
        report(error);
        close();
        return;
    }
    process();
}

void Connection::abandon() noexcept {
    loop_.remove(this);
    self_.reset();  // may destroy this
}

void Connection::on_events(std::uint32_t events) {
    if (away_.load(std::memory_order_acquire))
        return;  // the replaced thread still has it; its hand-back reads the socket again
    if (phase_ == Phase::closed)
        return;
    if (events & (EPOLLRDHUP | EPOLLHUP))
        peer_shut_ = true;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        readable_ = true;
        if (tls_)
            tls_->on_readable_edge();
    }
    if (tls_ && tls_->read_wants_write() && (events & EPOLLOUT))
        readable_ = true;  // TLS had to answer the peer before it could read on
    if (peer_watch_ && readable_) {
        // Parked on a stream: a client that closes or resets is noticed now, not at the next write.
        ssize_t n;
        if (ring_) {
            // The ring has received what there is: the client's next request, or its end.
            const Ring::Input input = loop_.reactor().input(*ring_);
            n = input == Ring::Input::bytes ? 1 : input == Ring::Input::end ? 0 : -1;
            errno = EAGAIN;
        } else {
            char byte;
            n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        }
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            close();  // the producers see false at once
            return;
        }
        if (n > 0)
            peer_watch_ = false;  // the client sent its next request; it is read when this response is out
        else
            readable_ = false;
    }
    const bool resume = (waiting_ == Wait::read && readable_) ||
                        (waiting_ == Wait::write && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)));
    if (resume) {
        waiting_ = Wait::none;
        process();
    }
}

void Connection::resume_after_handoff() {
    if (away_.exchange(false, std::memory_order_acq_rel))
        readable_ = true;  // edges that came meanwhile were not recorded: read to find out
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

        // What the connection waits for; nothing touches it after this.
        switch (wanted) {
        case Next::read:
            if (receive())
                continue;
            waiting_ = Wait::read;
            return;
        case Next::write:
            waiting_ = Wait::write;
            return;
        case Next::handoff:
            loop_.reactor().post([keep] { keep->resume_after_handoff(); });
            return;
        case Next::again:
        case Next::stop:
            return;
        }
    }
}

bool Connection::receive() {
    if (!readable_)
        return false;
    char discard[4096];  // what a lingering close reads, to drop
    std::size_t room = sizeof discard;
    char* space = phase_ == Phase::lingering                            ? discard
                  : phase_ == Phase::http2 || phase_ == Phase::body ? input_.bulk_space(room)
                                                                    : input_.space(room);
    ssize_t n;
    Ring::Input ring_left = Ring::Input::none;  // what the ring has after this read
    if (tls_ && phase_ != Phase::lingering) {
        n = tls_->read(space, room);
    } else if (ring_) {
        n = loop_.reactor().receive(*ring_, space, room, ring_left);
    } else {
        do {
            n = ::recv(fd_, space, room, 0);
        } while (n < 0 && errno == EINTR);
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            readable_ = false;
            return false;
        }
        close();  // reset by the client, say: nothing to report
        return true;
    }
    const auto got = static_cast<std::size_t>(n);
    // A short read emptied the socket: the next bytes bring another edge. TLS knows whether its
    // read of the socket was short, and whether it holds bytes it has not passed on.
    // But once the client has shut its side, its end is still to be read after the last bytes,
    // and no edge will come for it.
    if (ring_)
        readable_ = ring_left != Ring::Input::none;
    else
        readable_ = (tls_ && phase_ != Phase::lingering ? tls_->readable() : got == room) || (peer_shut_ && got > 0);
    if (phase_ == Phase::lingering) {
        lingering_discarded_ += got;
        if (got == 0 || lingering_discarded_ > max_lingering_bytes)
            close();
        return true;
    }
    input_.commit(got);
    loop_.metrics().count_bytes_in(got);
    if (got == 0)
        peer_closed_ = true;
    return true;
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

ssize_t Connection::send(const iovec* buffers, int count) noexcept {
    if (tls_)
        return tls_->write(buffers, count);
    if (ring_)
        return loop_.reactor().send(*ring_, buffers, count);
    msghdr message{};
    message.msg_iov = const_cast<iovec*>(buffers);
    message.msg_iovlen = static_cast<std::size_t>(count);
    ssize_t n;
    do {
        n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

bool Connection::sent(ssize_t result, Next& then) {
    if (result >= 0) {
        loop_.metrics().count_bytes_out(static_cast<std::size_t>(result));
        return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        set_deadline(config_.write_timeout);  // a client that stops reading is let go
        if (ring_)
            loop_.reactor().want_writable(*ring_);  // after a sendfile; a ring send's end says so itself
        then = Next::write;
    } else {
        then = close();  // the client went away: nothing to report
    }
    return false;
}

void Connection::reset_on_close() noexcept {
    const ::linger reset{1, 0};  // the struct, not Connection::linger()
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
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
    if (stream_)
        stream_->end_for_shutdown();  // an event stream ends now; a body stream is let finish
    if (phase_ == Phase::idle && !writing_ && input_.empty())
        wake();  // the idle read closes
}

Connection::Next Connection::step() {
    if (phase_ == Phase::closed)
        return Next::stop;
    if (cut_.load(std::memory_order_relaxed) && phase_ != Phase::handling) {
        // The shutdown deadline passed: no more waiting on this client.
        reset_on_close();
        return close();
    }
    if (timed_out_) {
        timed_out_ = false;
        if (h2_) {
            h2_->terminate(0);  // NO_ERROR: idle, or a client that stopped reading or sending
            return end_http2();
        }
        if (writing_) {
            // The client stopped reading: reset rather than leave the unsent bytes in the kernel.
            reset_on_close();
            return close();
        }
        if (phase_ == Phase::idle || phase_ == Phase::lingering || phase_ == Phase::handshake)
            return close();  // an idle keep-alive connection, the end of a lingering close, or a
                             // TLS handshake that did not finish in time
        queue_error(Status::REQUEST_TIMEOUT, "the request did not arrive in time");
        return Next::again;
    }
    if (writing_)
        return write_output();

    switch (phase_) {
    case Phase::connecting:
        phase_ = Phase::idle;
        if (tls_) {
            phase_ = Phase::handshake;
            set_deadline(config_.read_timeout);  // for the whole handshake
        }
        if (!config_.connect_hooks.empty()) {
            run_hooks(config_.connect_hooks, "on_connect", client_);
            if (!loop_.on_owner_thread())
                return Next::handoff;
        }
        return Next::again;
    case Phase::handshake:
        return handshake();
    case Phase::http2:
        return http2_step();
    case Phase::idle:
        if (!keep_alive_)
            return linger();  // the last response is out
        if (input_.empty()) {
            if (has_output()) {
                writing_ = true;
                return Next::again;
            }
            if (shutdown_requested_ || peer_closed_)
                return close();
            input_.clear();
            set_deadline(config_.keep_alive_timeout);
            return Next::read;
        }
        phase_ = Phase::head;
        set_deadline(config_.read_timeout);  // for the whole header section: no slowloris
        return parse_head();
    case Phase::head:
        return parse_head();
    case Phase::body:
        return read_body();
    case Phase::handling:
        return handle();
    case Phase::lingering:
        input_.clear();
        return need_input();
    case Phase::closed:
        break;
    }
    return Next::stop;
}

Connection::Next Connection::handshake() {
    switch (tls_->handshake()) {
    case TlsSession::Handshake::done:
        phase_ = Phase::idle;
        readable_ = tls_->readable();  // a request may have come with the handshake's last flight
        if (tls_->alpn() == "h2")
            return begin_http2();
        return Next::again;
    case TlsSession::Handshake::want_read:
        readable_ = false;  // the socket is empty: the next edge resumes the handshake
        return Next::read;
    case TlsSession::Handshake::want_write:
        return Next::write;
    case TlsSession::Handshake::plain_http:
        // As nginx does: a 400 the client can read, in the clear, and the connection closes.
        tls_.reset();
        queue_error(Status::BAD_REQUEST, "a plain HTTP request was sent to an HTTPS port");
        return Next::again;
    case TlsSession::Handshake::failed:
        break;
    }
    return close();  // not TLS, or nothing both sides accept: OpenSSL has sent its alert
}

Connection::Next Connection::begin_http2() {
    try {
        h2_ = std::make_unique<Http2Session>(*this);
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
        const ssize_t result = send(&out, 1);
        if (!sent(result, then))
            return then;
        output_sent_ += static_cast<std::size_t>(result);
    }
    if (output_.capacity() > 2 * output_batch_limit)
        std::string().swap(output_);
    if (h2_->finished() || peer_closed_)
        return close();
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
    keep_alive_ = false;
    phase_ = Phase::idle;
    if (!output_.empty()) {
        writing_ = true;
        return Next::again;
    }
    return linger();
}

Connection::Next Connection::need_input() {
    if (has_output()) {
        writing_ = true;  // answer what was asked before waiting for more
        return Next::again;
    }
    if (peer_closed_) {
        // The client will send nothing more. A request it left unfinished gets a 400 it may still
        // read (it may have closed only its sending side).
        if (phase_ == Phase::head || phase_ == Phase::body) {
            queue_error(Status::BAD_REQUEST, "the connection closed before the request was complete");
            return Next::again;
        }
        return close();
    }
    std::size_t room = 0;
    if (!input_.space(room)) {
        // Only a header section fills the buffer: bodies are moved out as they arrive.
        const std::size_t wanted = config_.head_rules.max_header_size + 4096;
        if (input_.capacity() >= wanted) {
            queue_error(Status::REQUEST_HEADER_FIELDS_TOO_LARGE, "header section too large");
            return Next::again;
        }
        input_.grow(wanted);
    }
    if (phase_ == Phase::body) {
        // read_timeout between reads, and overall the body keeps to min_body_rate.
        auto deadline = coarse_now() + config_.read_timeout;
        if (config_.min_body_rate > 0) {
            const auto allowed = config_.read_timeout + std::chrono::milliseconds(body_received_ * 1000 / config_.min_body_rate);
            deadline = std::min(deadline, body_started_ + allowed);
        }
        deadline_.store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
    }
    return Next::read;
}

Connection::Next Connection::parse_head() {
    if (may_be_h2c_) {
        // HTTP/2 by prior knowledge (h2c): the connection starts with the client's preface.
        const std::string_view data = input_.data();
        const std::string_view start = data.substr(0, http2_preface.size());
        if (http2_preface.starts_with(start)) {
            if (start.size() < http2_preface.size())
                return need_input();
            return begin_http2();
        }
        may_be_h2c_ = false;
    }
    switch (head_parser_.parse(input_.data(), head_)) {
    case RequestHeadParser::Result::incomplete:
        return need_input();
    case RequestHeadParser::Result::error:
        queue_error(head_parser_.error().status, head_parser_.error().reason);
        return Next::again;
    case RequestHeadParser::Result::complete:
        break;
    }
    may_be_h2c_ = false;
    // The request began when its bytes came: the loop's last wake (Reactor::woke_at), which
    // spares a clock reading per request; no earlier than the last response, for pipelined
    // requests behind a slow one.
    request_started_ = std::max(loop_.reactor().woke_at(), response_finished_);
    build_request();  // copies out of the buffer before the head's bytes are released
    input_.consume(head_.size);
    head_parser_.reset();
    keep_alive_ = head_.keep_alive && !shutdown_requested_;

    if (head_.framing == Framing::none) {
        phase_ = Phase::handling;
        return Next::again;
    }
    // The application may take this body as it arrives (Server::on_body).
    body_sink_ = nullptr;
    if (!config_.body_hooks.empty() && !start_body_sink())
        return Next::again;  // refused by the hook
    if (head_.framing == Framing::content_length && !body_sink_ && head_.content_length > config_.max_body_size) {
        // Refused from the header alone, before any of the body is read.
        queue_error(Status::CONTENT_TOO_LARGE, "the content is larger than the server accepts");
        return Next::again;
    }
    body_.set_max_body_size(body_sink_ ? UINT64_MAX : config_.max_body_size);
    body_.start(head_.framing, head_.content_length);
    body_started_ = Clock::now();
    body_received_ = 0;
    multipart_.reset();
    if (const ParameterizedValue type = parse_parameterized(request_.headers.get("Content-Type"));
        !body_sink_ && iequals(type.value, "multipart/form-data")) {
        const std::string* boundary = type.find("boundary");
        if (!boundary) {
            queue_error(Status::BAD_REQUEST, "multipart/form-data without a boundary");
            return Next::again;
        }
        multipart_ = std::make_unique<MultipartReader>(*boundary, request_.form, request_.files, config_.multipart_limits);
    } else if (head_.framing == Framing::content_length) {
        request_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(head_.content_length, 1 << 20)));
    }
    phase_ = Phase::body;
    // 100 Continue, unless the body is already arriving or the client speaks HTTP/1.0, which
    // must not get one (RFC 9110, Section 10.1.1).
    if (head_.expect_continue && head_.version_minor >= 1 && input_.empty())
        output_ += "HTTP/1.1 100 Continue\r\n\r\n";
    if (body_sink_ && !loop_.on_owner_thread())
        return Next::handoff;  // the hook held this thread long enough to be replaced
    return read_body();
}


std::optional<Response> Connection::open_body_sink(Request& request, BodySink& sink) {
    Loop::UserCode user_code(loop_);
    std::optional<Response> failure = guarded("an on_body hook", request, [&] {
        for (const auto& hook : config_.body_hooks)
            if ((sink = hook(request)))
                break;
    });
    if (failure)
        sink = nullptr;
    return failure;
}

std::optional<Response> Connection::feed_body_sink(Request& request, BodySink& sink) {
    Loop::UserCode user_code(loop_);
    std::optional<Response> failure = guarded("a body sink", request, [&] { sink(request.body); });
    request.body.clear();
    if (failure)
        sink = nullptr;
    return failure;
}

bool Connection::start_body_sink() {
    std::optional<Response> failure = open_body_sink(request_, body_sink_);
    if (failure)
        refuse(std::move(*failure));
    return !failure;
}

bool Connection::feed_body_sink() {
    std::optional<Response> failure = feed_body_sink(request_, body_sink_);
    if (failure)
        refuse(std::move(*failure));
    return !failure;
}

void Connection::refuse(Response&& response) {
    // The rest of the body will not be read: answer, then close.
    keep_alive_ = false;
    queue(std::move(response));
    phase_ = Phase::idle;
    writing_ = true;
}

Connection::Next Connection::read_body() {
    std::size_t consumed = 0;
    std::string& sink = multipart_ ? body_piece_ : request_.body;
    const std::size_t before = sink.size();
    const auto result = body_.feed(input_.data(), consumed, sink);
    input_.consume(consumed);
    body_received_ += sink.size() - before;
    if (result == BodyReader::Result::error) {
        queue_error(body_.error().status, body_.error().reason);
        return Next::again;
    }
    if (multipart_) {
        const auto parsed = multipart_->feed(body_piece_);
        body_piece_.clear();
        if (parsed == MultipartReader::Result::error ||
            (result == BodyReader::Result::complete && multipart_->finish() == MultipartReader::Result::error)) {
            queue_error(multipart_->error().status, multipart_->error().reason);
            return Next::again;
        }
    }
    if (body_sink_ && !request_.body.empty()) {
        if (!feed_body_sink())
            return Next::again;  // refused
        if (!loop_.on_owner_thread())
            // Replaced while in the sink: the loop's new owner reads on (or, complete, handles).
            return result == BodyReader::Result::complete ? finish_body() : Next::handoff;
    }
    if (result == BodyReader::Result::incomplete)
        return need_input();
    return finish_body();
}

Connection::Next Connection::finish_body() {
    for (const Field& field : body_.trailers())
        request_.trailers.add(std::string(field.name), std::string(field.value));
    multipart_.reset();
    body_sink_ = nullptr;  // what it holds (a file, a digest) is done with before the handler runs
    if (!decode_form(request_)) {
        queue_error(Status::CONTENT_TOO_LARGE, "too many form fields");
        return Next::again;
    }
    phase_ = Phase::handling;
    return loop_.on_owner_thread() ? Next::again : Next::handoff;
}

void Connection::build_request() {
    Request& r = request_;
    assign(r.method, head_.method);
    assign(r.request_uri, head_.target);
    assign(r.http_version, head_.version_minor == 0 ? "1.0" : "1.1");
    assign(r.ip, client_.ip);
    r.port = client_.port;
    r.trailers.clear();
    r.queries.clear();
    // The cookies' nodes, for this request's cookies to reuse (parse_cookie_header).
    while (!r.cookies.empty())
        spare_cookies.push_back(r.cookies.extract(r.cookies.begin()));
    r.form.clear();
    r.params.clear();
    r.files.clear();
    r.body.clear();
    r.locals.reset();

    set_target(r, head_.target);
    // The fields, into the strings the request before on this connection left when there are
    // no fewer of them (a client sends much the same fields each time): no allocation for
    // long values.
    if (r.headers.size() > head_.fields.size())
        r.headers.clear();
    r.headers.reserve(head_.fields.size());
    auto reused = r.headers.begin();
    const std::size_t reusable = r.headers.size();
    for (std::size_t i = 0; i < head_.fields.size(); ++i) {
        const Field& field = head_.fields[i];
        if (i < reusable) {
            assign(reused->first, field.name);
            assign(reused->second, field.value);
            ++reused;
        } else {
            r.headers.add(std::string(field.name), std::string(field.value));
        }
        if (field.name.size() == 6 && iequals(field.name, "cookie"))
            parse_cookie_header(field.value, r.cookies, spare_cookies);
    }
    spare_cookies.clear();  // nodes this request had no use for
    assign(r.host, head_.host);
    set_origin(r);
}

void Connection::set_target(Request& r, std::string_view target) {
    if (target.front() != '/' && target != "*") {
        // absolute-form: the path starts after the authority; authority-form (CONNECT) has none.
        const std::size_t scheme = target.find("://");
        if (scheme == std::string_view::npos) {
            target = {};
        } else {
            const std::size_t path = target.find_first_of("/?#", scheme + 3);
            target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
        }
    }
    const std::size_t query = target.find('?');
    const std::string_view path = target.substr(0, std::min(query, target.find('#')));
    assign(r.path, path.empty() && !target.empty() ? std::string_view("/") : path);
    if (query != std::string_view::npos) {
        std::string_view q = target.substr(query + 1);
        parse_urlencoded(q.substr(0, q.find('#')), r.queries);
    }

}

void Connection::set_origin(Request& r) const {
    assign(r.scheme, tls_ ? "https" : "http");
    if (!config_.trusted_proxies.empty()) {
        Origin origin = resolve_origin(r.headers, client_.ip, config_.trusted_proxies);
        r.ip = std::move(origin.ip);
        if (!origin.host.empty())
            r.host = std::move(origin.host);
        if (!origin.scheme.empty())
            r.scheme = std::move(origin.scheme);
    }
}

bool Connection::decode_form(Request& request) const {
    const std::string_view type = request.headers.get("Content-Type");
    if (request.body.empty() || !iequals(parse_parameterized(type).value, "application/x-www-form-urlencoded"))
        return true;
    return parse_urlencoded(request.body, request.form, config_.max_form_fields);
}

Connection::Next Connection::handle() {
    // A response handed back by a thread that lost the loop while its handler ran, or none yet.
    const std::unique_ptr<Response> handed_back = std::move(response_);
    Response response;
    response.headers = std::move(spare_headers);  // empty; its storage spares an allocation
    if (!handed_back) {
        clear_deadline();
        run_handlers(request_, response);
        // This thread blocked long enough to be replaced: the loop's new owner goes on.
        if (!loop_.on_owner_thread()) {
            response_ = std::make_unique<Response>(std::move(response));
            return Next::handoff;
        }
    }
    queue(handed_back ? std::move(*handed_back) : std::move(response));
    spare_headers = std::move(response.headers);  // what queue() did not take
    spare_headers.clear();
    // Uploads (and their temporary files) and a large body go now, not when the next request
    // on this keep-alive connection comes.
    request_.files.clear();
    if (request_.body.capacity() > 64 * 1024)
        std::string().swap(request_.body);
    phase_ = Phase::idle;
    if (!keep_alive_ || large_response_ || stream_ || output_.size() >= output_batch_limit)
        writing_ = true;
    return Next::again;
}

void Connection::run_handlers(Request& request, Response& response) {
    Loop::UserCode user_code(loop_);
    StreamState::current = &loop_.stream_context();  // for streams the handler makes
    std::optional<Response> failure = guarded("a handler", request, [&] {
        for (const auto& hook : config_.receive_hooks)
            hook(request, response);
    });
    StreamState::current = nullptr;
    if (failure) {
        // A handler that failed after starting a stream sends the failure instead: the stream's
        // producers see false.
        if (response.stream_state)
            response.stream_state->detach();
        response = std::move(*failure);
    }
}

void Connection::prepare_response(const Request& request, Response& response) {
    if (config_.compression && !response.stream_state) {
        try {
            compress_response(request.headers.get("Accept-Encoding"), response, config_.compression_min_size);
        } catch (const std::exception& error) {
            report(error);  // sent as it is
        }
    }
    if (const std::string_view field = missing_required_field(response);
        !field.empty() && loop_.shared().first_report_for(response.status)) {
        // Sent as it is (the handler knows its application), but said once per status.
        report(std::runtime_error("httpkit: " + describe(response.status) + " was sent without " + std::string(field) +
                                  ", which " + std::string(reference(response.status)) + " requires"));
    }
}

std::function<void()> Connection::waker() {
    return [weak = weak_from_this(), &reactor = loop_.reactor()] {
        reactor.post([weak] {
            if (const auto connection = weak.lock())
                connection->process();
        });
    };
}

void Connection::queue(Response&& response) {
    if (shutdown_requested_)
        keep_alive_ = false;
    prepare_response(request_, response);
    ResponseFraming framing{request_.method == "HEAD", keep_alive_, head_.version_minor, {}};
    if (response.file)
        framing.external_length = response.file->size();
    std::shared_ptr<StreamState> streamed = std::move(response.stream_state);
    StreamState::Framing stream_framing = StreamState::Framing::chunked;
    std::uint64_t stream_length = 0;
    if (streamed) {
        // A length the handler declared is kept to; otherwise chunked, or for HTTP/1.0 (which
        // has no chunked coding) the end of the connection ends the body.
        if (framing.head_request || response_has_no_content(response.status))
            stream_framing = StreamState::Framing::none;
        else if (parse_content_length(response.headers.get("Content-Length"), stream_length))
            stream_framing = StreamState::Framing::length;
        else if (head_.version_minor == 0)
            stream_framing = StreamState::Framing::until_close;
        if (stream_framing == StreamState::Framing::length)
            framing.external_length = stream_length;
        else if (stream_framing == StreamState::Framing::until_close)
            framing.keep_alive = keep_alive_ = false;
        framing.stream = stream_framing != StreamState::Framing::length;
    }
    const std::size_t mark = output_.size();
    bool separate_body = false;
    try {
        separate_body = serialize_response(response, framing, output_);
        // A small file goes out with its head, in one write, read in a single bounded copy.
        if (separate_body && response.file && *framing.external_length <= inline_body_limit) {
            if (!append_file_content(*response.file)) {
                output_.resize(mark);
                throw std::runtime_error("httpkit: a file being sent could not be read");
            }
            separate_body = false;
        }
    } catch (const std::exception& error) {
        // The handler produced a response that cannot be sent (a header value with CR or LF ...).
        report(error);
        output_.resize(mark);
        response = failure_response(Status::INTERNAL_SERVER_ERROR, "The server produced an invalid response.",
                                    request_.headers.get("Accept"));
        framing.external_length.reset();
        framing.stream = false;
        if (streamed)
            streamed->detach();
        streamed.reset();
        separate_body = serialize_response(response, framing, output_);
    }
    if (streamed) {
        stream_until_close_ = stream_framing == StreamState::Framing::until_close;
        stream_status_ = response.status;
        const std::uint64_t excess = streamed->attach(stream_framing, stream_length, waker());
        if (excess > 0)
            report(std::runtime_error("httpkit: a handler wrote " + std::to_string(excess) +
                                      " bytes to a stream past its Content-Length; they were not sent"));
        stream_ = std::move(streamed);
    }
    response_finished_ = Clock::now();
    loop_.metrics().count_response(request_.method, response.status, response_finished_ - request_started_);
    if (config_.access_log && !stream_) {
        const bool content = !framing.head_request && !response_has_no_content(response.status);
        log_access(&request_, response.status,
                   content ? (framing.external_length ? *framing.external_length : response.body.size()) : 0,
                   request_started_);
    }
    if (!config_.reply_hooks.empty())
        sent_replies_.emplace_back(request_, separate_body ? response : std::move(response));
    if (separate_body && !stream_)
        large_response_ = std::make_unique<Response>(std::move(response));
}

void Connection::log_access(const Request* request, Status status, std::uint64_t bytes, Clock::time_point started) {
    AccessRecord record;
    record.request = request;
    record.ip = client_.ip;
    record.status = status;
    record.bytes = bytes;
    record.time = std::chrono::system_clock::now();
    record.duration = request ? Clock::now() - started : Clock::duration{};
    loop_.shared().log_access(format_access_line(config_.access_log_format, record));
}

void Connection::set_cork(bool on) noexcept {
    const int value = on ? 1 : 0;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &value, sizeof value);
    corked_ = on;
}

bool Connection::append_file_content(const FileContent& file) {
    for (const FileContent::Part& part : file.parts) {
        if (!part.from_file()) {
            output_ += part.text;
            continue;
        }
        const std::size_t at = output_.size();
        output_.resize(at + part.length);
        std::size_t done = 0;
        while (done < part.length) {
            const ssize_t n = ::pread(file.fd(), output_.data() + at + done, part.length - done,
                                      static_cast<off_t>(part.offset + done));
            if (n <= 0)
                return false;  // a read error, or the file shrank
            done += static_cast<std::size_t>(n);
        }
    }
    return true;
}

void Connection::queue_error(Status status, std::string_view reason) {
    // After a refused request the byte stream cannot be trusted: answer, then close.
    keep_alive_ = false;
    phase_ = Phase::idle;
    writing_ = true;
    loop_.metrics().count_refusal(status);
    const Response response = failure_response(status, reason, {});
    serialize_response(response, ResponseFraming{false, false, 1, {}}, output_);
    if (config_.access_log)
        log_access(nullptr, status, response.body.size(), {});
}

Connection::Next Connection::write_output() {
    const FileContent* file = large_response_ ? large_response_->file.get() : nullptr;
    if (file && !corked_) {
        // Corked while a file goes out, as nginx's tcp_nopush: the head and the file leave in
        // full segments rather than one per sendfile page, which costs the receiver dearly.
        set_cork(true);
    }
    while (true) {
        if (file && output_sent_ == output_.size()) {
            // The head is out: the file's parts, ranges of it with sendfile(2).
            if (file_part_ == file->parts.size()) {
                set_cork(false);  // sends what is left at once
                return after_write();
            }
            const FileContent::Part& part = file->parts[file_part_];
            ssize_t result;
            if (part.from_file()) {
                auto offset = static_cast<off_t>(part.offset + large_sent_);
                const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(part.length - large_sent_, 1 << 20));
                result = tls_ ? tls_->send_file(file->fd(), offset, count) : ::sendfile(fd_, file->fd(), &offset, count);
                if (result == 0)
                    return close();  // the file shrank: its Content-Length cannot be kept
            } else {
                const iovec text{const_cast<char*>(part.text.data() + large_sent_), part.text.size() - large_sent_};
                result = send(&text, 1);
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
        const ssize_t result = send(buffers.data(), count);
        Next then;
        if (!sent(result, then))
            return then;
        const auto n = static_cast<std::size_t>(result);
        const std::size_t from_output = std::min(n, output_.size() - output_sent_);
        output_sent_ += from_output;
        large_sent_ += n - from_output;
    }
}

Connection::Next Connection::write_stream() {
    while (true) {
        if (stream_sent_ < stream_out_.size()) {
            const iovec out{stream_out_.data() + stream_sent_, stream_out_.size() - stream_sent_};
            const ssize_t result = send(&out, 1);
            Next then;
            if (!sent(result, then))
                return then;
            stream_sent_ += static_cast<std::size_t>(result);
            continue;
        }
        stream_out_.clear();
        stream_sent_ = 0;
        switch (stream_->take(stream_out_)) {
        case StreamState::Take::data:
            break;
        case StreamState::Take::empty:
            // Nothing written yet: an on_drain producer makes some now, else wait for a write.
            if (stream_->drain([this](const std::exception& error) { report(error); })) {
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
        case StreamState::Take::abort: {
            // The client is not reading what is produced: reset, do not leave it in the kernel.
            reset_on_close();
            return close();
        }
        }
        // An on_drain producer refills while this batch goes out.
        if (stream_->drain([this](const std::exception& error) { report(error); }) && !loop_.on_owner_thread())
            return Next::handoff;
    }
}

void Connection::finish_stream() {
    if (stream_->truncated() || stream_until_close_)
        keep_alive_ = false;  // the body ended short, or only the end of the connection ends it
    if (config_.access_log)
        log_access(&request_, stream_status_, stream_->content_bytes(), request_started_);
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
    if (readable_)
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
    if (!sent_replies_.empty()) {
        for (auto& [request, response] : sent_replies_)
            run_hooks(config_.reply_hooks, "on_reply", std::as_const(request), std::as_const(response));
        sent_replies_.clear();
        if (!loop_.on_owner_thread())
            return Next::handoff;
    }
    return Next::again;
}

Connection::Next Connection::linger() {
    // Close our sending side first and drain what the client still sends, so that a response to
    // a request whose body was not read is not destroyed by a TCP reset (RFC 9112, Section 9.6).
    // Over TLS, close_notify says first that nothing more comes.
    if (tls_)
        tls_->close_notify();
    if (::shutdown(fd_, SHUT_WR) != 0 || peer_closed_)
        return close();
    phase_ = Phase::lingering;
    input_.clear();
    set_deadline(config_.lingering_timeout);
    return Next::read;
}

Connection::Next Connection::close() {
    if (phase_ == Phase::closed)
        return Next::stop;
    phase_ = Phase::closed;
    clear_deadline();
    waiting_ = Wait::none;
    peer_watch_ = false;
    h2_.reset();  // its streams' producers see false
    if (tls_) {
        tls_->close_notify();  // best effort: the socket is not waited for
        tls_.reset();
    }
    // Out of the reactor first: close() alone leaves the registration while another process
    // holds the socket too (a child between fork and exec, a popen), and its events would then
    // name this connection after it is gone.
    loop_.reactor().forget(fd_);
    ring_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    input_.clear();
    if (stream_) {
        stream_->detach();  // its producers see false
        stream_.reset();
    }
    loop_.remove(this);
    // Events for it may already have been taken from the kernel: it lives until they are seen.
    loop_.reactor().release_later(std::move(self_));
    if (!config_.disconnect_hooks.empty())
        run_hooks(config_.disconnect_hooks, "on_disconnect", std::as_const(client_));
    return Next::stop;
}

}  // namespace http::detail
