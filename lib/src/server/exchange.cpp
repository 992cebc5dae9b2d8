#include "server/exchange.hpp"

#include "coding/compress_response.hpp"
#include "files/file_content.hpp"
#include "proto/cookies/cookies.hpp"
#include "proto/message/parameters.hpp"
#include "proto/message/problem.hpp"
#include "proto/message/serialize.hpp"
#include "proto/multipart/multipart.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/url/percent.hpp"
#include "router/rate_limited.hpp"
#include "server/access_log.hpp"
#include "server/response_access.hpp"
#include "server/reuse.hpp"
#include "server/websocket.hpp"
#include "task/strand.hpp"

#include <stdexcept>

namespace http::detail {

namespace {

// Storage a thread keeps between the requests it handles, so that the next one need not allocate
// it again: a request's cookie pairs as its fields are read, and the map nodes of the cookies
// the request before had and this one has not (replace_cookies()).
thread_local std::vector<CookiePair> cookie_pairs;
thread_local std::vector<Fields::node_type> spare_cookies;

// A thread's spare responses, emptied, with the storage of their header lists and bodies: a
// connection takes one for a request and gives it back once the response is framed, so that an
// idle connection holds none and a busy one allocates none. An HTTP/1.1 connection has one
// response at a time (spare_response, whose body storage may be as large as a 64 KiB body); an
// HTTP/2 one has one for each stream whose answer is going out (up to 15 more, each keeping a
// body's storage of 4 KiB at most).
thread_local std::unique_ptr<Response> spare_response;
thread_local std::vector<std::unique_ptr<Response>> more_spare_responses;
constexpr std::size_t max_more_spare_responses = 15;

// Empties `response` as a new one is, keeping the storage of its fields and of a body up to
// `body_kept` bytes. Each member is tested first: a server's handler touches few of them.
void empty(Response& response, std::size_t body_kept) noexcept {
    response.status = Status::OK;
    response.headers.clear();
    if (response.body.capacity() > body_kept)
        std::string().swap(response.body);
    response.body.clear();
    if (!response.cookies.empty())
        response.cookies.clear();
    if (response.file)
        response.file.reset();
    if (response.stream_state)
        response.stream_state.reset();
    if (!response.trailers.empty())
        response.trailers.clear();
    assign(response.version, "1.1");
    response.time_taken = {};
    response.redirects = 0;
    response.responder.clear();
}

}  // namespace

ExchangeHost ExchangeHost::of(Loop& loop) noexcept { return {loop.config(), loop.shared(), loop.metrics(), &loop}; }

Exchange::Exchange(const ExchangeHost& host, const ClientInfo& client, const Relayed* relayed) noexcept
    : host_(host), client_(client), relayed_(relayed) {}

Exchange::~Exchange() {
    abandon();  // (a protocol keeps its exchange while a coroutine handler waits: not reached)
    // The connection went with a stream attached or about to be: its producers see false.
    if (response_ && response_->stream_state)
        response_->stream_state->detach();
}

template <class Fn>
std::optional<Response> Exchange::guarded(const char* what, Fn&& fn) {
    try {
        fn();
        return std::nullopt;
    } catch (const Failure& failure) {
        if (dynamic_cast<const RateLimited*>(&failure))
            host_.metrics.count_rate_limited();
        return failure_response(failure, request.headers.get("Accept"));
    } catch (const std::exception& error) {
        report(error);
    } catch (...) {
        report(std::runtime_error(std::string(what) + " threw a non-std exception"));
    }
    return failure_response(Status::INTERNAL_SERVER_ERROR, "The server met an unexpected condition.",
                            request.headers.get("Accept"));
}

Response& Exchange::borrow_response() {
    if (spare_response) {
        response_ = std::move(spare_response);
    } else if (!more_spare_responses.empty()) {
        response_ = std::move(more_spare_responses.back());
        more_spare_responses.pop_back();
    } else {
        response_ = std::make_unique<Response>();
    }
    return *response_;
}

std::unique_ptr<Response> Exchange::take_response() noexcept { return std::move(response_); }

void Exchange::release_response() noexcept {
    if (!response_)
        return;
    const bool first = !spare_response;
    if (!first && more_spare_responses.capacity() == 0) {
        // The first response beyond spare_response: room for all of them, once (push_back below
        // then never allocates), or none kept.
        try {
            more_spare_responses.reserve(max_more_spare_responses);
        } catch (const std::exception&) {  // none kept
        }
    }
    if (response_->stream_state || (!first && more_spare_responses.size() == more_spare_responses.capacity())) {
        response_.reset();
        return;
    }
    empty(*response_, first ? 64 * 1024 : 4 * 1024);  // called once here, so that it is inlined
    if (first)
        spare_response = std::move(response_);
    else
        more_spare_responses.push_back(std::move(response_));
}

void Exchange::begin(Clock::time_point started) noexcept {
    started_ = started;
    known_ = true;
    refused_ = false;
    handled_ = false;
    opened_ = false;
    strand_.reset();  // the request before's coroutine, ended
    request.route = nullptr;  // the router sets it
}

void Exchange::take_head(const RequestHead& head, bool secure) {
    Request& r = request;
    assign(r.method, head.method);
    assign(r.request_uri, head.target);
    assign(r.http_version, head.version_minor == 0 ? "1.0" : "1.1");
    // What the request before left (tested first: most requests have none of these, and a call
    // to empty a map costs more than the test).
    if (!r.trailers.empty())
        r.trailers.clear();
    if (!r.queries.empty())
        r.queries.clear();
    if (!r.form.empty())
        r.form.clear();
    if (!r.params.empty())
        r.params.clear();
    if (!r.files.empty())
        r.files.clear();
    r.body.clear();
    r.locals.reset();

    // The fields, into the strings the request before on this connection left when there are
    // no fewer of them (a client sends much the same fields each time): no allocation for
    // long values.
    if (r.headers.size() > head.fields.size())
        r.headers.clear();
    r.headers.reserve(head.fields.size());
    auto reused = r.headers.begin();
    const std::size_t reusable = r.headers.size();
    cookie_pairs.clear();
    for (std::size_t i = 0; i < head.fields.size(); ++i) {
        const Field& field = head.fields[i];
        if (i < reusable) {
            assign(reused->first, field.name);
            assign(reused->second, field.value);
            ++reused;
        } else {
            r.headers.add(std::string(field.name), std::string(field.value));
        }
        if (field.name.size() == 6 && iequals(field.name, "cookie"))
            collect_cookies(field.value, cookie_pairs);
    }
    // The cookies into the map the request before left, its nodes kept for the names that stay
    // (connections mostly carry the same cookies from one request to the next).
    if (!cookie_pairs.empty() || !r.cookies.empty()) {
        replace_cookies(cookie_pairs, r.cookies, spare_cookies);
        spare_cookies.clear();  // nodes this request had no use for
    }
    assign(r.host, head.host);
    resolve_target(head.target, secure);
}

void Exchange::resolve_target(std::string_view target, bool secure) {
    Request& r = request;
    assign(r.ip, client_.ip);
    r.port = client_.port;
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
        const std::string_view q = target.substr(query + 1);
        parse_urlencoded(q.substr(0, q.find('#')), r.queries);
    }

    assign(r.scheme, secure || (relayed_ && relayed_->tls) ? "https" : "http");
    if (relayed_) {
        ProxyHeader& proxy = r.proxy_header;
        assign(proxy.destination_ip, relayed_->header.destination_ip);
        proxy.destination_port = relayed_->header.destination_port;
        assign(proxy.alpn, relayed_->header.alpn);
        assign(proxy.server_name, relayed_->header.server_name);
    }
    const ServerConfig& config = host_.config;
    if (!config.trusted_proxies.empty()) {
        Origin origin = resolve_origin(r.headers, client_.ip, config.trusted_proxies);
        r.ip = std::move(origin.ip);
        if (!origin.host.empty())
            r.host = std::move(origin.host);
        if (!origin.scheme.empty())
            r.scheme = std::move(origin.scheme);
    }
}

// --- Content ------------------------------------------------------------------------------------

bool Exchange::open_content(std::optional<std::uint64_t> declared) {
    opened_ = true;
    const ServerConfig& config = host_.config;
    sink_ = nullptr;
    if (!config.body_hooks.empty()) {
        // The application may take this content as it arrives (Server::on_body).
        Loop::UserCode user_code(host_.loop);
        std::optional<Response> failure = guarded("an on_body hook", [&] {
            for (const auto& hook : config.body_hooks)
                if ((sink_ = hook(request)))
                    break;
        });
        if (failure) {
            refuse(std::move(*failure));
            return false;
        }
        if (sink_)
            return true;  // what came already is the sink's at feed_sink()
    }
    if (declared && *declared > config.max_body_size) {
        // Refused from the header alone, before any of the content is read.
        refuse(refusals::content_too_large);
        return false;
    }
    multipart_.reset();
    if (const ParameterizedValue type = parse_parameterized(request.headers.get("Content-Type"));
        iequals(type.value, "multipart/form-data")) {
        const std::string* boundary = type.find("boundary");
        if (!boundary) {
            refuse(refusals::multipart_without_boundary);
            return false;
        }
        multipart_ = std::make_unique<MultipartReader>(*boundary, request.form, request.files, config.multipart_limits);
        multipart_piece_.clear();
        multipart_received_ = 0;
        if (!request.body.empty()) {
            request.body.swap(multipart_piece_);  // what came before: parsed first
            return took_content();
        }
    } else if (declared) {
        request.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*declared, 1 << 20)));
    }
    return true;
}

std::uint64_t Exchange::content_limit() const noexcept {
    return sink_ ? UINT64_MAX : host_.config.max_body_size;
}

bool Exchange::took_content() {
    if (refused_)
        return false;
    if (multipart_) {
        // The parts go to memory or to files as they come: the limit counts what came.
        multipart_received_ += multipart_piece_.size();
        if (multipart_received_ > host_.config.max_body_size) {
            refuse(refusals::content_too_large);
            return false;
        }
        const auto parsed = multipart_->feed(multipart_piece_);
        multipart_piece_.clear();
        if (parsed == MultipartReader::Result::error) {
            refuse(multipart_->error());
            return false;
        }
        return true;
    }
    if (!sink_ && request.body.size() > host_.config.max_body_size) {
        refuse(refusals::content_too_large);
        return false;
    }
    return true;
}

bool Exchange::feed_sink() {
    if (!sink_ || request.body.empty())
        return !refused_;
    Loop::UserCode user_code(host_.loop);
    std::optional<Response> failure = guarded("a body sink", [&] { sink_(request.body); });
    request.body.clear();
    if (failure) {
        refuse(std::move(*failure));
        return false;
    }
    return true;
}

bool Exchange::end_content(const std::vector<Field>& trailers) {
    if (refused_)
        return false;
    for (const Field& field : trailers)
        request.trailers.add(std::string(field.name), std::string(field.value));
    sink_ = nullptr;  // what it holds (a file, a digest) is done with before the handlers run
    if (multipart_) {
        const bool failed = multipart_->finish() == MultipartReader::Result::error;
        if (failed)
            refuse(multipart_->error());
        multipart_.reset();
        std::string().swap(multipart_piece_);
        return !failed;
    }
    const std::string_view type = request.headers.get("Content-Type");
    if (!request.body.empty() && iequals(parse_parameterized(type).value, "application/x-www-form-urlencoded") &&
        !parse_urlencoded(request.body, request.form, host_.config.max_form_fields)) {
        refuse(refusals::too_many_form_fields);
        return false;
    }
    return true;
}

// --- Refusals -----------------------------------------------------------------------------------

void Exchange::refuse(const ParseError& refusal) { refuse(failure_response(refusal.status, refusal.reason, {})); }

void Exchange::refuse(Response&& answer) {
    if (refused_)
        return;
    refused_ = true;
    sink_ = nullptr;
    multipart_.reset();
    std::string().swap(request.body);
    if (response_ && response_->stream_state)
        response_->stream_state->detach();
    response() = std::move(answer);
    host_.metrics.count_refusal(response().status);
    if (host_.config.access_log)
        log_access(known_ ? &request : nullptr, response().status, response().body.size());
}

// --- Handlers -----------------------------------------------------------------------------------

Exchange::Run Exchange::run(Suspension* suspension) {
    if (awaiting_.load(std::memory_order_acquire))
        return Run::suspended;
    if (!handled_ && !refused_) {
        handled_ = true;
        Task<> pending;
        // Initialized by guarded() in place: declared empty, then assigned, it had all its bytes
        // (a Response's size) cleared first.
        std::optional<Response> failure = [&] {
            Loop::UserCode user_code(host_.loop);
            // For the streams and WebSockets the handlers make; none without a loop to carry them.
            ResponseAccess::set_context(response(), host_.loop ? &host_.loop->stream_context() : nullptr);
            return guarded("a handler", [&] {
                const std::vector<ReceiveHook>& hooks = host_.config.receive_hooks;
                for (std::size_t i = 0; i < hooks.size(); ++i) {
                    Task<> task = hooks[i](request, response());
                    if (!TaskAccess::done(task)) {  // a coroutine: it runs on the strand
                        pending = i + 1 == hooks.size() ? std::move(task) : rest_of_hooks(std::move(task), i + 1);
                        break;
                    }
                }
            });
        }();
        if (!failure && !TaskAccess::done(pending))
            return start_task(std::move(pending), suspension);
        ResponseAccess::set_context(response(), nullptr);
        conclude(std::move(failure));
        if (host_.loop && !host_.loop->on_owner_thread())
            return Run::away;
    }
    return Run::done;
}

void Exchange::conclude(std::optional<Response> failure) {
    if (!failure)
        return;
    // A handler that failed after starting a stream sends the failure instead: the stream's
    // producers see false.
    if (response().stream_state)
        response().stream_state->detach();
    // What middleware and handlers set before the failure (CORS, Vary, cookies) stays.
    keep_earlier_fields(*failure, response());
    response() = std::move(*failure);
}

Task<> Exchange::rest_of_hooks(Task<> first, std::size_t next) {
    co_await std::move(first);
    const std::vector<ReceiveHook>& hooks = host_.config.receive_hooks;
    for (std::size_t i = next; i < hooks.size(); ++i) {
        Task<> hook = hooks[i](request, response());
        co_await std::move(hook);
    }
}

Exchange::Run Exchange::start_task(Task<> task, Suspension* suspension) {
    task_ = std::move(task);
    PromiseBase& promise = *TaskAccess::promise(task_);
    if (!host_.loop || !suspension) {
        // http::TestClient, Request::parse: to the end, here.
        run_to_end(TaskAccess::handle(task_), &promise);
        end_task();
        return Run::done;
    }
    strand_ = std::make_shared<Strand>(host_.loop->reactor(), host_.loop);
    suspension->arm();
    awaiting_.store(true, std::memory_order_release);  // publishes strand_
    // Whether it ends within start() (no resumed() then) or after: decided once, by whichever of
    // the two exchanges below comes second (if the watchdog took the loop while its first part
    // ran, the new owner may end it before start() has returned here).
    start_state_.store(StartState::starting, std::memory_order_relaxed);
    strand_->start(TaskAccess::handle(task_), promise, [this, suspension] {
        end_task();
        if (start_state_.exchange(StartState::ended, std::memory_order_acq_rel) != StartState::starting)
            suspension->resumed();
    });
    const bool ended = start_state_.exchange(StartState::started, std::memory_order_acq_rel) == StartState::ended;
    if (ended)
        suspension->disarm();
    if (!host_.loop->on_owner_thread())
        return Run::away;  // the new owner calls run() again: done, or suspended
    return ended ? Run::done : Run::suspended;
}

void Exchange::end_task() noexcept {
    try {
        std::optional<Response> failure;
        try {
            TaskAccess::take(task_);
        } catch (const Cancelled&) {
            // The client has gone (or the server's shutdown deadline passed): not an error of the
            // application. What can still carry a response says so.
            failure = failure_response(Status::SERVICE_UNAVAILABLE, "The request was cancelled.", {});
        } catch (...) {
            failure = guarded("a handler", [] { throw; });
        }
        task_ = Task<>();  // the coroutine is at its end: its frame goes
        ResponseAccess::set_context(response(), nullptr);
        conclude(std::move(failure));
    } catch (...) {
        // Out of memory making the answer: a bare 500.
        task_ = Task<>();
        response().status = Status::INTERNAL_SERVER_ERROR;
        response().body.clear();
    }
    awaiting_.store(false, std::memory_order_release);
}

void Exchange::cancel() noexcept {
    if (awaiting_.load(std::memory_order_acquire))
        strand_->cancel();
}

void Exchange::abandon() noexcept {
    if (!awaiting_.load(std::memory_order_acquire))
        return;
    strand_->abandon();
    task_ = Task<>();  // destroyed where it waits: its waits forget themselves
    ResponseAccess::set_context(response(), nullptr);
    awaiting_.store(false, std::memory_order_release);
}

// --- Finishing ----------------------------------------------------------------------------------

Outgoing Exchange::prepare(bool head_request, Delimiting delimiting) {
    Outgoing outgoing;
    outgoing.head_request = head_request;
    if (refused_)
        return outgoing;  // the server's own answer, as it is
    outgoing.websocket = ResponseAccess::take_websocket(response());
    const ServerConfig& config = host_.config;
    if (config.compression && !response().stream_state && !outgoing.websocket) {
        try {
            compress_response(request.headers.get("Accept-Encoding"), response(), config.compression_min_size);
        } catch (const std::exception& error) {
            report(error);  // sent as it is
        }
    }
    if (const std::string_view field = missing_required_field(response());
        !field.empty() && host_.shared.first_report_for(response().status)) {
        // Sent as it is (the handler knows its application), but said once per status.
        report(std::runtime_error("httpkit: " + describe(response().status) + " was sent without " + std::string(field) +
                                  ", which " + std::string(reference(response().status)) + " requires"));
    }
    if (response().file)
        outgoing.external_length = response().file->size();
    if ((outgoing.stream = std::move(response().stream_state))) {
        // A length the handler declared is kept to; otherwise the protocol's own delimiting.
        using StreamFraming = StreamState::Framing;
        if (head_request || response_has_no_content(response().status))
            outgoing.stream_framing = StreamFraming::none;
        else if (parse_content_length(response().headers.get("Content-Length"), outgoing.stream_length))
            outgoing.stream_framing = StreamFraming::length;
        else
            outgoing.stream_framing = delimiting == Delimiting::chunked ? StreamFraming::chunked : StreamFraming::until_close;
        if (outgoing.stream_framing == StreamFraming::length)
            outgoing.external_length = outgoing.stream_length;
    }
    return outgoing;
}

void Exchange::replace_invalid(const std::exception& error, Outgoing& outgoing) {
    report(error);
    if (outgoing.stream)
        outgoing.stream->detach();
    response() = failure_response(Status::INTERNAL_SERVER_ERROR, "The server produced an invalid response().",
                                request.headers.get("Accept"));
    outgoing = Outgoing{outgoing.head_request, {}, {}, StreamState::Framing::none, 0, {}};
}

void Exchange::complete(const Outgoing& outgoing) {
    finished_at_ = Clock::now();
    finished_status_ = response().status;
    known_ = false;  // what is refused from now on is the next request, unknown
    if (refused_)
        return;  // counted and logged when refused
    host_.metrics.count_response(request.method, request.route, response().status, finished_at_ - started_);
    if (host_.config.access_log && !outgoing.stream) {
        const bool content = !outgoing.head_request && !response_has_no_content(response().status);
        log_access(&request, response().status,
                   content ? (outgoing.external_length ? *outgoing.external_length : response().body.size()) : 0);
    }
}

void Exchange::attach_stream(Outgoing& outgoing, std::function<void()> wake) {
    const std::uint64_t excess = outgoing.stream->attach(outgoing.stream_framing, outgoing.stream_length, std::move(wake));
    if (excess > 0)
        report(std::runtime_error("httpkit: a handler wrote " + std::to_string(excess) +
                                  " bytes to a stream past its Content-Length; they were not sent"));
}

void Exchange::stream_ended(std::uint64_t content_bytes) {
    if (host_.config.access_log)
        log_access(&request, finished_status_, content_bytes);
}

void Exchange::log_access(const Request* logged, Status status, std::uint64_t bytes) {
    AccessRecord record;
    record.request = logged;
    record.ip = client_.ip;
    record.status = status;
    record.bytes = bytes;
    record.time = std::chrono::system_clock::now();
    record.duration = logged ? Clock::now() - started_ : Clock::duration{};
    host_.shared.log_access(format_access_line(host_.config.access_log_format, record));
}

// --- on_reply -----------------------------------------------------------------------------------

bool Replies::run(Loop& loop, const ClientInfo& client) {
    if (replies_.empty())
        return true;
    for (auto& [request, response] : replies_)
        Exchange::run_hooks(loop, client, loop.config().reply_hooks, "on_reply", std::as_const(request),
                            std::as_const(response));
    replies_.clear();
    return loop.on_owner_thread();
}

}  // namespace http::detail
