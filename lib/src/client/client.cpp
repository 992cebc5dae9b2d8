#include <http/client.hpp>
#include <http/methods.hpp>

#include "coding/content_coding.hpp"
#include "client/auth.hpp"
#include "client/download_target.hpp"
#include "client/http2_connection.hpp"
#include "client/transport.hpp"
#include "client/websocket.hpp"
#include "proto/events/event_parser.hpp"
#include "proto/message/serialize.hpp"
#include "proto/message/parameters.hpp"
#include "proto/parser/body_reader.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"
#include "proto/parser/response_parser.hpp"
#include "proto/url/percent.hpp"
#include "proto/url/url.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <charconv>
#include <map>
#include <set>
#include <thread>
#include <vector>

namespace http {

using namespace detail;

namespace {

using Kind = TransportError::Kind;

// Bodies from this size on are announced with Expect: 100-continue (RFC 9110, Section 10.1.1),
// and the client waits this long for the 100 before sending anyway.
constexpr std::size_t expect_threshold = 1024 * 1024;
constexpr auto continue_wait = std::chrono::seconds(1);
// Idle connections kept per origin.
constexpr std::size_t max_idle_per_origin = 4;
// What one read of a response takes at most, into a buffer each connection keeps.
constexpr std::size_t read_buffer_size = 64 * 1024;

// The method registry says which methods may be repeated (RFC 9110, Section 9.2.2); a method it
// does not have is not idempotent.
bool idempotent(std::string_view method) {
    const std::optional<Method> known = method_from_name(method);
    return known && is_idempotent(*known);
}

// A caller's "Connection: close" asks for one exchange on the connection: the serializer says so,
// and the connection is not pooled afterwards.
bool has_close_option(const Headers& headers) {
    bool close = false;
    for (const std::string_view value : headers.get_all("Connection"))
        for_each_list_element(value, [&](std::string_view option) { close = close || iequals(option, "close"); });
    return close;
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The dataset says which statuses a repeat can cure, and for which methods (retry_rule()).
bool may_retry(int status, std::string_view method) {
    const RetryRule rule = retry_rule(static_cast<Status>(status));
    return rule.when == RetryWhen::any_method || (rule.when == RetryWhen::idempotent && idempotent(method));
}

// One exchange's outcome before it becomes a Response.
struct Received {
    int status = 0;
    int version_minor = 1;
    bool http2 = false;
    Headers headers;
    Headers trailers;
    std::string body;
    bool sunk = false;  // the body went to the transfer's sink, not into `body`
};

// What one send_request(), download() or upload() asks, through its redirects and retries.
struct Transfer {
    std::string_view data;              // the content, when it is in memory
    const std::filesystem::path* upload = nullptr;  // or the file it comes from (upload(), the caller's)
    std::uint64_t content_size = 0;
    // Where the final response's body goes instead of Response::body (download(), events()),
    // if take_body says so once its head is known.
    std::function<bool(const Received&)> take_body;
    std::function<void(std::string_view)> sink;
    bool decode = true;  // false: the body is handed over as it came (download())
    // Whether another attempt may follow this one (a response it may cure is then retried, and
    // its body is not the sink's), and whether any body went to the sink: a request that did is
    // never repeated, as its bytes cannot be taken back from a file, a pipe or a callback.
    std::string_view method;
    bool retries_left = false;
    bool delivered = false;
    bool answering_401 = false;  // a 401 will be answered with credentials: its body is not kept
    Clock::time_point deadline = Clock::time_point::max();  // client.timeout
    std::chrono::milliseconds timeout{0};
    const std::function<bool(const Progress&)>* on_progress = nullptr;
    Progress progress;

    bool has_content() const noexcept { return content_size > 0 || upload; }
    bool will_retry(int status) const { return retries_left && may_retry(status, method); }
    // The deadline of one wait: its own timeout, within the whole request's.
    Clock::time_point until(std::chrono::milliseconds wait) const noexcept {
        const auto now = Clock::now();
        return deadline - now < wait ? deadline : now + wait;
    }
    bool past_deadline() const noexcept { return Clock::now() >= deadline; }
    void tell_progress() {
        if (on_progress && *on_progress && !(*on_progress)(progress))
            throw NetFailure(Kind::aborted, "on_progress asked to stop");
    }
    void drop_content() noexcept {
        data = {};
        upload = nullptr;
        content_size = 0;
        progress.upload_total.reset();
    }
};

// The request content goes out in parts of this size, so that on_progress hears of a large body as
// it goes and a file is never read whole.
constexpr std::size_t upload_part = 64 * 1024;

// The file upload() sends (transfer.upload), read a part at a time for the HTTP/1.1 exchange to
// write or an HTTP/2 stream to take; content_size bytes in all.
class UploadFile {
public:
    explicit UploadFile(const Transfer& transfer)
        : path_(*transfer.upload), size_(transfer.content_size), file_(path_, std::ios::binary), buffer_(upload_part) {
        if (!file_)
            throw NetFailure(Kind::io, "cannot read " + path_.string());
    }
    /// The next part, valid until the next call; empty once all of it has been read.
    std::string_view next() {
        const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(buffer_.size(), size_ - read_));
        file_.read(buffer_.data(), want);
        if (file_.gcount() != want)
            throw NetFailure(Kind::io, path_.string() + " became shorter while it was sent");
        read_ += static_cast<std::uint64_t>(want);
        return {buffer_.data(), static_cast<std::size_t>(want)};
    }
    bool done() const noexcept { return read_ == size_; }
    std::uint64_t read() const noexcept { return read_; }

private:
    const std::filesystem::path& path_;
    std::uint64_t size_;
    std::uint64_t read_ = 0;
    std::ifstream file_;
    std::vector<char> buffer_;
};

}  // namespace

namespace {

// Whether `host` is in a NO_PROXY list, as curl reads one: names separated by commas (or
// spaces), each matching itself and its subdomains (a leading dot is optional), "*" all.
bool no_proxy_for(std::string_view list, std::string_view host) {
    while (!list.empty()) {
        const std::size_t end = list.find_first_of(", ");
        std::string_view entry = list.substr(0, end);
        list = end == std::string_view::npos ? std::string_view() : list.substr(end + 1);
        if (entry == "*")
            return true;
        if (entry.starts_with('.'))
            entry.remove_prefix(1);
        if (entry.empty())
            continue;
        if (iequals(host, entry) ||
            (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
             iequals(host.substr(host.size() - entry.size()), entry)))
            return true;
    }
    return false;
}

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

// The proxy for `url`: client.proxy, else the environment as curl reads it (http_proxy in lower
// case only, HTTPS_PROXY or https_proxy, ALL_PROXY or all_proxy), unless NO_PROXY names the host.
std::optional<Proxy> proxy_for(const Client& settings, const Url& url, std::string_view method) {
    std::string text = settings.proxy;
    if (text.empty()) {
        text = url.scheme == "https" ? environment("https_proxy") : environment("http_proxy");
        if (text.empty() && url.scheme == "https")
            text = environment("HTTPS_PROXY");
        if (text.empty())
            text = environment("all_proxy");
        if (text.empty())
            text = environment("ALL_PROXY");
    }
    if (text.empty())
        return std::nullopt;
    std::string no_proxy = environment("no_proxy");
    if (no_proxy.empty())
        no_proxy = environment("NO_PROXY");
    if (no_proxy_for(no_proxy, url.host))
        return std::nullopt;
    if (text.find("://") == std::string::npos)
        text = "http://" + text;  // "host:port", as curl takes it
    std::string error;
    std::optional<Url> parsed = parse_url(text, error);
    if (!parsed || parsed->scheme != "http")
        throw TransportError(Kind::invalid_url, url.str(),
                             std::string(method) + " " + url.str() + ": the proxy '" + text +
                                 "' is not an http:// URL" + (parsed ? "" : ": " + error));
    Proxy proxy{std::move(*parsed), {}};
    if (!proxy.url.userinfo.empty())
        proxy.authorization = "Basic " + base64(percent_decode(proxy.url.userinfo));
    return proxy;
}

// The credentials a request to `url` has: the URL's userinfo, else client.username/password.
std::optional<Credentials> credentials_for(const Client& settings, const Url& url) {
    if (!url.userinfo.empty()) {
        const std::string decoded = percent_decode(url.userinfo);
        const std::size_t colon = decoded.find(':');
        return Credentials{decoded.substr(0, colon), colon == std::string::npos ? "" : decoded.substr(colon + 1)};
    }
    if (!settings.username.empty())
        return Credentials{settings.username, settings.password};
    return std::nullopt;
}

// The jar's cookies for `url` into `fields`, after any the caller set.
void add_jar_cookies(const Client& settings, const Url& url, Headers& fields) {
    if (!settings.cookie_jar)
        return;
    if (const std::string cookies = settings.cookie_jar->cookie_header(url.str()); !cookies.empty()) {
        const std::string given(fields.get("Cookie"));
        fields.set("Cookie", given.empty() ? cookies : given + "; " + cookies);
    }
}

// The Set-Cookie fields of a response from `url` into the jar.
void keep_cookies(const Client& settings, const Url& url, const Headers& response_fields) {
    if (!settings.cookie_jar)
        return;
    std::vector<std::string> set_cookies;
    for (const std::string_view value : response_fields.get_all("Set-Cookie"))
        set_cookies.emplace_back(value);
    if (!set_cookies.empty())
        settings.cookie_jar->store(url.str(), set_cookies);
}

}  // namespace

// The client's one core: every request, blocking or not, is send() in a coroutine. The blocking
// calls drive it with http::run() on the calling thread's loop; the async calls are awaited,
// and run on the awaiting coroutine's loop. The Impl's state (idle connections, what was learnt
// of servers' authentication, the TLS context) is under mutex_: requests of one Client may run
// at once, on one loop or on several.
namespace {

// What a request's failures begin with: "GET http://host/path".
std::string where_of(std::string_view method, const Url& url) {
    return std::string(method) + " " + url.str();
}

// What the caller sees of a failed exchange: a wait that ran into client.timeout says so.
TransportError transport_error(const NetFailure& failure, const Url& url, std::string_view method,
                               const Transfer& transfer) {
    const std::string where = where_of(method, url);
    if ((failure.kind == Kind::timeout || failure.kind == Kind::connect || failure.kind == Kind::dns) &&
        transfer.past_deadline())
        return TransportError(Kind::timeout, url.str(), where + ": the request took longer than client.timeout (" +
                                                            std::to_string(transfer.timeout.count()) + " ms)");
    return TransportError(failure.kind, url.str(), where + ": " + failure.what());
}

// Where a response's body goes as it arrives, its framing taken off (HTTP/1.1's chunks, HTTP/2's
// DATA frames): decoded as it comes (never whole, so the limits hold at every piece), then to the
// transfer's sink (download(), events(), on_body) or into Received::body, up to max_body_size.
// The sink takes it unless this response is a redirect that will be followed, a 401 that will
// be answered or one that will be retried; `received.sunk` says which.
class BodyIntake {
public:
    BodyIntake(const Client& settings, Transfer& transfer, Received& received, bool head_request,
               std::optional<std::uint64_t> content_length)
        : settings_(settings), transfer_(transfer), received_(received) {
        const int status = received.status;
        const bool followed = settings.follow_redirect && is_redirect(status) && received.headers.contains("Location");
        to_sink_ = transfer.sink && !followed && !head_request && !(status == 401 && transfer.answering_401) &&
                   !transfer.will_retry(status) &&
                   (!transfer.take_body || transfer.take_body(received));
        received.sunk = to_sink_;
        if (!to_sink_ && content_length && *content_length > settings.max_body_size)
            throw NetFailure(Kind::too_large, "the response body (" + std::to_string(*content_length) +
                                                  " bytes) exceeds client.max_body_size (" +
                                                  std::to_string(settings.max_body_size) + " bytes)");
        transfer.progress.downloaded = 0;
        transfer.progress.download_total = content_length;
        for (const std::string_view value : received.headers.get_all("Content-Encoding"))
            coding_.append(coding_.empty() ? "" : ", ").append(value);
        if (transfer.decode && !coding_.empty() && !head_request) {
            DecodeLimits decode_limits;
            decode_limits.max_size = to_sink_ ? UINT64_MAX : settings.max_body_size;
            decode_limits.max_ratio = settings.max_decoding_ratio;
            decoder_ = std::make_unique<ContentDecoder>(coding_, decode_limits);
            if (!decoder_->decodes())
                decoder_.reset();  // identity, or a coding this build does not know: handed over as it came
        }
        if (content_length && !to_sink_ && !decoder_)
            received.body.reserve(static_cast<std::size_t>(*content_length));
    }

    /// Bytes of the body as they came.
    void feed(std::string_view piece) {
        transfer_.progress.downloaded += piece.size();
        if (decoder_)
            check(decoder_->feed(piece, [this](std::string_view decoded) { take(decoded); }));
        else
            take(piece);
        transfer_.tell_progress();
    }
    /// The body has ended.
    void finish() {
        if (decoder_)
            check(decoder_->finish([this](std::string_view decoded) { take(decoded); }));
    }

private:
    void take(std::string_view decoded) {
        if (to_sink_) {
            transfer_.delivered = true;
            transfer_.sink(decoded);
        } else {
            received_.body.append(decoded);
        }
    }
    void check(DecodeResult result) const {
        switch (result) {
        case DecodeResult::ok:
            return;
        case DecodeResult::corrupt:
            throw NetFailure(Kind::malformed_response, "cannot decode the " + coding_ + " body: " + decoder_->error());
        case DecodeResult::too_large:
            throw NetFailure(Kind::too_large, "the " + coding_ + " body decodes to more than client.max_body_size (" +
                                                  std::to_string(settings_.max_body_size) + " bytes)");
        case DecodeResult::ratio_exceeded:
            throw NetFailure(Kind::too_large, "the " + coding_ + " body decodes to more than " +
                                                  std::to_string(settings_.max_decoding_ratio) +
                                                  " times its size (" + std::to_string(decoder_->decoded_size()) +
                                                  " bytes from " + std::to_string(decoder_->encoded_size()) +
                                                  "), a decompression bomb? (client.max_decoding_ratio)");
        }
    }

    const Client& settings_;
    Transfer& transfer_;
    Received& received_;
    bool to_sink_ = false;
    std::string coding_;
    std::unique_ptr<ContentDecoder> decoder_;  // only when there is a coding to take off
};

}  // namespace

// A coroutine call's own copy of what it was given (async_send_request() takes its arguments by
// value): the call keeps it, and its caller need not.
struct OwnedCall {
    std::string url;
    std::string method;
    std::string data;
    Headers headers;
    Transfer transfer;
};

// One request through its redirects and answered challenges: what send() keeps between them.
struct Redirecting {
    Clock::time_point started;
    Url url;
    std::string_view method;  // the caller's, or "GET" after a redirect that turns it into one
    std::string first_origin;  // set at the first redirect: until then, url's
    std::unique_ptr<Credentials> credentials;  // for the first origin only, never elsewhere

    bool at_first_origin() const { return redirects == 0 || url.origin() == first_origin; }
    Headers headers;                         // the client's defaults, then the caller's
    int challenges_answered = 0;
    int redirects = 0;
};

// How an exchange goes, decided once for its attempts: a proxy, TLS, HTTP/2. Its fields are made
// where its head is (head_fields()), and not kept while the response is awaited.
struct Prepared {
    std::unique_ptr<Proxy> via;      // through a proxy
    bool absolute_form = false;      // plain http through it: the whole URL as the target
    bool has_content = false;
    bool http2 = false;              // HTTP/2 may carry it
    std::shared_ptr<TlsContext> tls;  // https
};

// Coroutine frames hold every local of their function, for as long as they wait. So what runs
// between two waits is in plain functions (start(), request_fields(), follow(), prepare() ...),
// results are written to the caller's Received rather than returned through each level, and a
// suspended request holds only what it needs after the wait.
class Client::Impl {
public:
    /// `keep`, if given, is what url, method, transfer and extra_headers refer to: the call keeps
    /// it to its end.
    Task<Response> send(Client& settings, std::string_view url_text, std::string_view method, Transfer& transfer,
                        const Headers& extra_headers, std::unique_ptr<OwnedCall> keep = nullptr);

    WebSocket websocket(Client& settings, std::string_view url_text, const Headers& extra_headers);

private:
    Redirecting start(const Client& settings, std::string_view url_text, std::string_view method,
                      Transfer& transfer, const Headers& extra_headers);
    /// The fields this leg of the request sends: call.headers, or `asked` made of them with the
    /// jar's cookies and credentials.
    const Headers& request_fields(const Client& settings, Redirecting& call, Transfer& transfer, Headers& asked);
    /// After an exchange: whether the request goes again (a challenge to answer, a redirect to
    /// follow), call updated for it; false when `received` is the response.
    bool follow(const Client& settings, Redirecting& call, Transfer& transfer, const Received& received);
    static Response response_of(const Redirecting& call, Transfer& transfer, Received& received);

    /// One leg of the request (to one URL): its attempts, each over HTTP/2 or HTTP/1.1.
    Task<> exchange(Client& settings, const Url& url, std::string_view method, Transfer& transfer,
                    const Headers& request_headers, Received& received);
    /// After an attempt (`answered`, or failed with `failure`): how long to wait before the next,
    /// or nothing when there is none to make (a failure is then thrown).
    static std::optional<std::chrono::milliseconds> retry_wait(const Client& settings, const Url& url,
                                                               std::string_view method, const Transfer& transfer,
                                                               int attempt, const Received* answered,
                                                               const TransportError* failure);
    Prepared prepare(const Client& settings, const Url& url, std::string_view method, const Transfer& transfer);
    /// The fields a request's head carries: the client's defaults first, then the caller's; the
    /// framing (Host, Content-Length, Expect) is the serializer's.
    static Headers head_fields(const Client& settings, const Prepared& prepared, const Transfer& transfer,
                               const Headers& request_headers);
    /// The HTTP/1.1 head, into `head`.
    static SerializedRequest serialize_head(const Client& settings, const Url& url, std::string_view method,
                                            const Transfer& transfer, const Headers& request_headers,
                                            const Prepared& prepared, std::string& head);
    /// Opens the request's stream on `connection` (its head is copied there): the stream's id.
    static std::int32_t open_stream(const Client& settings, Http2Connection& connection, const Url& url,
                                    std::string_view method, const Transfer& transfer, const Headers& request_headers,
                                    const Prepared& prepared);
    /// This loop's HTTP/2 connection to url's origin, opened if there is none (one at a time);
    /// null when the origin speaks HTTP/1.1 only.
    Task<std::shared_ptr<Http2Connection>> http2_connection(Client& settings, const Url& url, Transfer& transfer,
                                                            TlsContext* tls, std::unique_ptr<ClientConnection>& declined);
    Task<> exchange_http1(Client& settings, const Url& url, std::string_view method, Transfer& transfer,
                          const Headers& request_headers, const Prepared& prepared,
                          std::unique_ptr<ClientConnection> declined, Received& received);
    Task<> attempt(Client& settings, ClientConnection& connection, std::string_view method, Transfer& transfer,
                   const std::string& request_head, const SerializedRequest& request, bool& reusable, bool& any_byte,
                   Received& received);
    // Idle connections, by origin (and the proxy they go through).
    std::unique_ptr<ClientConnection> take(const std::string& key);
    void give_back(const std::string& key, std::unique_ptr<ClientConnection> connection);
    std::shared_ptr<TlsContext> tls_context(const Client& settings);
    static Task<> send_content(Stream& stream, Transfer& transfer, std::chrono::milliseconds timeout);

    std::mutex mutex_;
    std::map<std::string, std::vector<std::unique_ptr<ClientConnection>>, std::less<>> idle_;
    // How each origin was authenticated to, once it challenged (or at once for Auth::basic).
    std::map<std::string, Authenticator, std::less<>> authenticators_;
    std::shared_ptr<TlsContext> tls_;
    // HTTP/2 connections by origin and loop (a connection's streams are driven on its loop), and
    // one being opened, which the requests meanwhile wait for rather than open their own: as
    // many as it will take (`promised`); the next opens another. So a burst of requests opens
    // the connections it needs at once, and each waits for one opening only.
    struct Http2Slot {
        std::vector<std::shared_ptr<Http2Connection>> connections;  // the newest last
        std::shared_ptr<Trigger> opening;
        std::size_t promised = 0;
    };
    std::map<std::string, Http2Slot, std::less<>> http2_;
    std::set<std::string, std::less<>> http1_only_;  // origins whose servers chose HTTP/1.1 by ALPN
};

// --- settings --------------------------------------------------------------------------------

Client::Connections::Connections() : impl(std::make_unique<Impl>()) {}
Client::Connections::~Connections() = default;
Client::Connections::Connections(const Connections&) : impl(std::make_unique<Impl>()) {}
Client::Connections& Client::Connections::operator=(const Connections& other) {
    if (this != &other)
        impl = std::make_unique<Impl>();
    return *this;
}
Client::Connections::Connections(Connections&&) noexcept = default;
Client::Connections& Client::Connections::operator=(Connections&&) noexcept = default;

Client::Impl& Client::Connections::get() {
    if (!impl)  // moved from
        impl = std::make_unique<Impl>();
    return *impl;
}

Client::Client() = default;
Client::~Client() = default;
Client::Client(const Client&) = default;
Client& Client::operator=(const Client&) = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Response Client::send_request(std::string_view url, std::string_view method, std::string_view data,
                              const Headers& request_headers) {
    Transfer transfer;
    transfer.data = data;
    transfer.content_size = data.size();
    return run(connections_.get().send(*this, url, method, transfer, request_headers));
}

Task<Response> Client::async_send_request(std::string url, std::string method, std::string data,
                                          Headers request_headers) {
    // Not a coroutine itself: the call's state is one allocation, not a frame of its own.
    auto owned = std::make_unique<OwnedCall>(
        OwnedCall{std::move(url), std::move(method), std::move(data), std::move(request_headers), {}});
    OwnedCall& call = *owned;
    call.transfer.data = call.data;
    call.transfer.content_size = call.data.size();
    return connections_.get().send(*this, call.url, call.method, call.transfer, call.headers, std::move(owned));
}

Response Client::send_request(std::string_view url, std::string_view method, std::string_view data,
                              const Headers& request_headers, const std::function<bool(std::string_view)>& on_body) {
    Transfer transfer;
    transfer.data = data;
    transfer.content_size = data.size();
    transfer.sink = [&on_body](std::string_view piece) {
        if (!on_body(piece))
            throw NetFailure(Kind::aborted, "on_body asked to stop");
    };
    return run(connections_.get().send(*this, url, method, transfer, request_headers));
}

Response Client::download(std::string_view url, const std::filesystem::path& path, const Headers& request_headers) {
    const auto cannot_write = [&](const std::string& why) {
        return TransportError(Kind::io, std::string(url), "GET " + std::string(url) + ": cannot write " + path.string() + ": " + why);
    };
    std::optional<DownloadTarget> target;
    try {
        target.emplace(path);
    } catch (const std::system_error& e) {
        throw cannot_write(e.code().message());
    } catch (const std::invalid_argument& e) {
        throw cannot_write(e.what());
    }
    Transfer transfer;
    transfer.decode = false;  // stored as it came, as it was asked
    transfer.sink = [&target](std::string_view data) {
        try {
            target->write(data);
        } catch (const std::system_error& e) {
            throw NetFailure(Kind::io, "cannot write the downloaded file: " + e.code().message());
        }
    };
    // Asked as it is stored: a body that goes to disk as it arrives is not decoded.
    Headers asked = request_headers;
    if (!asked.contains("Accept-Encoding"))
        asked.add("Accept-Encoding", "identity");
    // On failure the target's destructor removes the temporary file, and only that.
    Response response = run(connections_.get().send(*this, url, "GET", transfer, asked));
    try {
        target->commit();
    } catch (const std::system_error& e) {
        throw cannot_write(e.code().message());
    }
    return response;
}

Response Client::upload(std::string_view url, const std::filesystem::path& path, std::string_view method,
                        const Headers& request_headers) {
    std::error_code error;
    const std::uint64_t size = std::filesystem::file_size(path, error);
    if (error)
        throw TransportError(Kind::io, std::string(url),
                             std::string(method) + " " + std::string(url) + ": cannot read " + path.string() + ": " + error.message());
    Transfer transfer;
    transfer.upload = &path;
    transfer.content_size = size;
    Headers asked = request_headers;
    if (!asked.contains("Content-Type"))
        asked.add("Content-Type", "application/octet-stream");
    return run(connections_.get().send(*this, url, method, transfer, asked));
}

namespace {

// Thrown through the exchange when the events() callback returns false.
struct StopEvents {};

// A response events() reads: a 200 text/event-stream.
bool is_event_stream(int status, const Headers& headers) {
    return status == 200 && iequals(detail::parse_parameterized(headers.get("Content-Type")).value, "text/event-stream");
}

}  // namespace

void Client::events(std::string_view url, const std::function<bool(const Event&)>& fn, const Headers& request_headers) {
    const auto deadline = timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();

    detail::EventParser parser(static_cast<std::size_t>(std::min<std::uint64_t>(max_body_size, SIZE_MAX)));
    std::chrono::milliseconds delay{3000};  // the standard leaves it to the client; browsers wait ~3 s
    bool connected_once = false;
    while (true) {
        Headers asked = request_headers;
        asked.set("Accept", "text/event-stream");
        asked.set("Cache-Control", "no-cache");
        if (!parser.last_event_id().empty())
            asked.set("Last-Event-ID", parser.last_event_id());
        Transfer transfer;
        transfer.take_body = [](const Received& head) { return is_event_stream(head.status, head.headers); };
        transfer.sink = [&](std::string_view data) {
            connected_once = true;
            bool go_on = true;
            try {
                go_on = parser.feed(data, fn);
            } catch (const std::length_error& e) {
                throw NetFailure(Kind::too_large, std::string(e.what()) + " (" + std::to_string(max_body_size) + " bytes)");
            }
            if (!go_on)
                throw StopEvents{};
        };
        transfer.deadline = deadline;  // each connection gets what is left of client.timeout
        try {
            const Response response = run(connections_.get().send(*this, url, "GET", transfer, asked));
            if (response.status == Status::NO_CONTENT)
                return;  // the server says: stop reconnecting
            if (!is_event_stream(static_cast<int>(response.status), response.headers)) {
                response.raise_for_status();
                throw TransportError(Kind::malformed_response, std::string(url),
                                     "GET " + std::string(url) + ": not an event stream (" + to_string(response.status) +
                                         ", " + std::string(response.headers.get("Content-Type")) + ")");
            }
            connected_once = true;  // the stream ended: reconnect
        } catch (const StopEvents&) {
            return;
        } catch (const TransportError& error) {
            // A stream that worked once is reconnected; one that never did is a mistake to report.
            const bool lost = error.kind() == Kind::closed || error.kind() == Kind::timeout ||
                              error.kind() == Kind::connect || error.kind() == Kind::io;
            if (!connected_once || !lost || Clock::now() >= deadline)
                throw;
        }
        parser.restart();
        if (const auto asked_delay = parser.retry())
            delay = *asked_delay;
        if (Clock::now() + delay >= deadline)
            throw TransportError(Kind::timeout, std::string(url),
                                 "GET " + std::string(url) + ": past client.timeout (" +
                                     std::to_string(timeout.count()) + " ms)");
        std::this_thread::sleep_for(delay);
    }
}

WebSocket Client::websocket(std::string_view url, const Headers& request_headers) {
    return connections_.get().websocket(*this, url, request_headers);
}

Response get(std::string_view url) { return Client().get(url); }
Response post(std::string_view url, std::string_view data) { return Client().post(url, data); }
Response put(std::string_view url, std::string_view data) { return Client().put(url, data); }
Response del(std::string_view url) { return Client().del(url); }

Client set_headers(Headers headers) {
    Client client;
    client.headers = std::move(headers);
    return client;
}

// --- one request, with its redirects ---------------------------------------------------------

Task<Response> Client::Impl::send(Client& settings, std::string_view url_text, std::string_view method,
                                  Transfer& transfer, const Headers& extra_headers, std::unique_ptr<OwnedCall> keep) {
    Redirecting call = start(settings, url_text, method, transfer, extra_headers);
    // `keep` is held by the frame to the call's end; the URL's text in it is parsed now, and goes
    // (url_text is not used again).
    if (keep)
        std::string().swap(keep->url);
    Headers asked;
    Received received;
    do {
        const Headers& fields = request_fields(settings, call, transfer, asked);
        co_await exchange(settings, call.url, call.method, transfer, fields, received);
    } while (follow(settings, call, transfer, received));
    co_return response_of(call, transfer, received);
}

Redirecting Client::Impl::start(const Client& settings, std::string_view url_text, std::string_view method,
                                Transfer& transfer, const Headers& extra_headers) {
    Redirecting call;
    call.started = Clock::now();
    call.method = method.empty() ? "GET" : method;
    if (settings.timeout.count() > 0) {
        // A caller's own deadline (events(): what is left of client.timeout) may come first.
        transfer.deadline = std::min(transfer.deadline, call.started + settings.timeout);
        transfer.timeout = settings.timeout;
    }
    transfer.on_progress = &settings.on_progress;
    if (transfer.has_content())
        transfer.progress.upload_total = transfer.content_size;
    std::string error;
    auto parsed = parse_url(url_text, error);
    if (!parsed)
        throw TransportError(Kind::invalid_url, std::string(url_text),
                             std::string(call.method) + " " + std::string(url_text) + ": invalid URL: " + error);
    call.url = std::move(*parsed);
    if (std::optional<Credentials> credentials = credentials_for(settings, call.url))
        call.credentials = std::make_unique<Credentials>(std::move(*credentials));
    call.headers = settings.headers;
    for (const auto& [name, value] : extra_headers)
        call.headers.erase(name);
    for (const auto& [name, value] : extra_headers)
        call.headers.add(name, value);
    return call;
}

const Headers& Client::Impl::request_fields(const Client& settings, Redirecting& call, Transfer& transfer,
                                            Headers& asked) {
    const bool authenticating =
        call.credentials && call.at_first_origin() && !call.headers.contains("Authorization");
    if (!settings.cookie_jar && !authenticating)
        return call.headers;
    asked = call.headers;
    add_jar_cookies(settings, call.url, asked);  // each redirect has its own
    if (authenticating) {
        const std::lock_guard lock(mutex_);
        auto known = authenticators_.find(call.url.origin());
        if (known == authenticators_.end() && settings.auth_method == Auth::basic)
            known = authenticators_.emplace(call.url.origin(), Authenticator::basic()).first;
        if (known != authenticators_.end())
            asked.set("Authorization", known->second.authorization(*call.credentials, call.method, call.url.target));
    }
    // A 401 this request will answer is not the body a download keeps.
    transfer.answering_401 = authenticating && call.challenges_answered < 2;
    return asked;
}

bool Client::Impl::follow(const Client& settings, Redirecting& call, Transfer& transfer, const Received& received) {
    keep_cookies(settings, call.url, received.headers);
    if (received.status == 401 && transfer.answering_401) {
        // Answer the challenge once; once more if a Digest nonce went stale.
        const std::vector<Challenge> challenges = challenges_of(received.headers);
        const std::lock_guard lock(mutex_);
        const auto known = authenticators_.find(call.url.origin());
        if (call.challenges_answered == 0 || known == authenticators_.end()) {
            if (auto chosen = Authenticator::choose(challenges, settings.auth_method)) {
                authenticators_.insert_or_assign(call.url.origin(), std::move(*chosen));
                call.challenges_answered = 1;
                return true;
            }
        } else if (known->second.stale_with(challenges)) {
            call.challenges_answered = 2;
            return true;
        }
    }
    transfer.answering_401 = false;
    const std::string_view location = received.headers.get("Location");
    if (!settings.follow_redirect || !is_redirect(received.status) || location.empty())
        return false;
    if (call.redirects == settings.max_redirects)
        throw TransportError(Kind::too_many_redirects, call.url.str(),
                             where_of(call.method, call.url) + ": more than " +
                                 std::to_string(settings.max_redirects) + " redirects");
    std::string error;
    auto next = resolve_url(call.url, location, error);
    if (!next)
        throw TransportError(Kind::invalid_url, call.url.str(),
                             where_of(call.method, call.url) + ": invalid redirect to '" + std::string(location) +
                                 "': " + error);
    // 303 turns any method but HEAD into GET; 301 and 302 turn POST into GET, as user agents
    // have always done (RFC 9110, Sections 15.4.2-4); 307 and 308 keep method and content.
    if ((received.status == 303 && call.method != "HEAD") ||
        ((received.status == 301 || received.status == 302) && call.method == "POST")) {
        call.method = "GET";
        transfer.drop_content();
        call.headers.erase("Content-Type");
    }
    // Credentials stay with the origin they were meant for.
    if (call.redirects == 0)
        call.first_origin = call.url.origin();
    if (next->origin() != call.first_origin) {
        call.headers.erase("Authorization");
        call.headers.erase("Proxy-Authorization");
        call.headers.erase("Cookie");
    }
    call.url = std::move(*next);
    ++call.redirects;
    return true;
}

Response Client::Impl::response_of(const Redirecting& call, Transfer& transfer, Received& received) {
    // A body held back from the sink in case it was not the last (a 401 that could not be
    // answered after all) is the sink's now: a download keeps what it was sent.
    if (transfer.sink && !transfer.take_body && !received.sunk && !received.body.empty()) {
        try {
            transfer.delivered = true;
            transfer.sink(received.body);
        } catch (const NetFailure& failure) {
            throw TransportError(failure.kind, call.url.str(), where_of(call.method, call.url) + ": " + failure.what());
        }
        received.body.clear();
    }
    Response response;
    response.status = static_cast<Status>(received.status);
    response.version = received.http2 ? "2" : received.version_minor == 0 ? "1.0" : "1.1";
    for (const auto& [name, value] : received.headers)
        if (iequals(name, "set-cookie"))
            response.cookies.push_back(value);
    response.headers = std::move(received.headers);
    response.trailers = std::move(received.trailers);
    response.body = std::move(received.body);
    response.redirects = call.redirects;
    response.responder = call.url.str();
    response.time_taken = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - call.started);
    return response;
}

WebSocket Client::Impl::websocket(Client& settings, std::string_view url_text, const Headers& extra_headers) {
    const std::string given(url_text);
    const std::string where = "GET " + given;
    // ws and wss are http and https until the handshake is done (RFC 6455, Section 3).
    const std::size_t colon = url_text.find("://");
    const std::string_view scheme = url_text.substr(0, colon);
    if (colon == std::string_view::npos || !(iequals(scheme, "ws") || iequals(scheme, "wss")))
        throw TransportError(Kind::invalid_url, given, where + ": a WebSocket URL is ws:// or wss://");
    std::string error;
    const auto parsed = parse_url((iequals(scheme, "ws") ? "http" : "https") + std::string(url_text.substr(colon)), error);
    if (!parsed)
        throw TransportError(Kind::invalid_url, given, where + ": invalid URL: " + error);
    const Url& url = *parsed;

    WebSocketOpening opening;
    opening.url = given;
    opening.target = url.target;
    opening.authority = url.authority();
    opening.max_message_size = static_cast<std::size_t>(std::min<std::uint64_t>(settings.max_body_size, SIZE_MAX));
    opening.receive_timeout = settings.receive_timeout;
    Headers& fields = opening.fields;
    if (!settings.user_agent.empty())
        fields.add("User-Agent", settings.user_agent);
    for (const auto& [name, value] : settings.headers)
        if (!extra_headers.contains(name))
            fields.add(name, value);
    for (const auto& [name, value] : extra_headers)
        fields.add(name, value);
    add_jar_cookies(settings, url, fields);
    // Credentials as a request would send them before any challenge: a handshake that gets 401
    // is not repeated (it is a failure the caller sees).
    if (!fields.contains("Authorization")) {
        const std::optional<Credentials> credentials = credentials_for(settings, url);
        auto known = authenticators_.find(url.origin());
        if (credentials && known == authenticators_.end() && settings.auth_method == Auth::basic)
            known = authenticators_.emplace(url.origin(), Authenticator::basic()).first;
        if (credentials && known != authenticators_.end())
            fields.set("Authorization", known->second.authorization(*credentials, "GET", url.target));
    }

    Response answer;
    std::shared_ptr<WebSocketState> state;
    try {
        const std::optional<Proxy> via = proxy_for(settings, url, "GET");
        const std::shared_ptr<TlsContext> tls = url.scheme == "https" ? tls_context(settings) : nullptr;
        std::unique_ptr<ClientConnection> connection =
            run(open_connection(url, tls.get(), !settings.skip_hostname_verification,
                                Clock::now() + settings.connect_timeout, via ? &*via : nullptr, true));
        state = open_websocket(std::move(connection->stream), opening, answer);
    } catch (const NetFailure& failure) {
        throw TransportError(failure.kind, given, where + ": " + failure.what());
    }
    keep_cookies(settings, url, answer.headers);
    if (!state) {
        answer.responder = given;
        answer.raise_for_status();
        throw TransportError(Kind::malformed_response, given,
                             where + ": the server answered " + std::to_string(static_cast<unsigned>(answer.status)) +
                                 " " + std::string(phrase(answer.status)) + ", not 101 Switching Protocols");
    }
    return WebSocket(std::move(state));
}

std::shared_ptr<TlsContext> Client::Impl::tls_context(const Client& settings) {
    const bool verify = !settings.skip_peer_verification;
    std::map<std::string, std::vector<std::unique_ptr<ClientConnection>>, std::less<>> dropped;  // closed unlocked
    const std::lock_guard lock(mutex_);
    if (!tls_ || tls_->verify_peer() != verify || tls_->ca_file() != settings.ca_cert) {
        dropped.swap(idle_);  // connections made under other trust settings are not reused
        tls_ = std::make_shared<TlsContext>(verify, settings.ca_cert);
    }
    return tls_;
}

std::unique_ptr<ClientConnection> Client::Impl::take(const std::string& key) {
    const std::lock_guard lock(mutex_);
    const auto it = idle_.find(key);
    if (it == idle_.end())
        return nullptr;
    while (!it->second.empty()) {
        std::unique_ptr<ClientConnection> connection = std::move(it->second.back());
        it->second.pop_back();
        if (connection->stream->still_usable()) {
            connection->reused = true;
            return connection;
        }
    }
    return nullptr;
}

void Client::Impl::give_back(const std::string& key, std::unique_ptr<ClientConnection> connection) {
    const std::lock_guard lock(mutex_);
    auto& pool = idle_[key];
    if (pool.size() < max_idle_per_origin)
        pool.push_back(std::move(connection));
}

namespace {

// Where one HTTP/2 stream's response goes: into `received`, its body through a BodyIntake.
class Http2Intake final : public Http2Receiver {
public:
    Http2Intake(const Client& settings, Transfer& transfer, Received& received, std::string_view method)
        : settings_(settings), transfer_(transfer), received_(received), head_request_(method == "HEAD") {}

    Clock::time_point wait_until() const override { return transfer_.until(settings_.receive_timeout); }
    void on_head(const Http2ClientStream& stream) override {
        received_.status = stream.status;
        received_.headers = stream.headers;
        std::optional<std::uint64_t> length;
        if (const std::string_view text = stream.headers.get("content-length"); !text.empty()) {
            std::uint64_t value = 0;
            if (std::from_chars(text.data(), text.data() + text.size(), value).ec == std::errc())
                length = value;
        }
        intake_.emplace(settings_, transfer_, received_, head_request_, length);
    }
    void on_body(std::string_view piece) override { intake_->feed(piece); }
    void on_end(const Http2ClientStream& stream) override {
        if (!intake_)
            throw NetFailure(Kind::malformed_response, "the HTTP/2 stream ended without a response");
        intake_->finish();
        received_.trailers = stream.trailers;
    }
    std::string_view next_upload(bool& last) override {
        if (!file_) {
            file_ = std::make_unique<UploadFile>(transfer_);
            transfer_.progress.uploaded = 0;
        }
        const std::string_view part = file_->next();
        last = file_->done();
        return part;
    }
    void on_uploaded() override {
        transfer_.progress.uploaded = file_->read();
        transfer_.tell_progress();
    }

private:
    const Client& settings_;
    Transfer& transfer_;
    Received& received_;
    bool head_request_;
    std::optional<BodyIntake> intake_;
    std::unique_ptr<UploadFile> file_;  // upload(): read as the stream takes it (made then: a
                                        // waiting request's frame holds no file stream)
};

}  // namespace

Task<> Client::Impl::exchange(Client& settings, const Url& url, std::string_view method, Transfer& transfer,
                              const Headers& request_headers, Received& received) {
    const Prepared prepared = prepare(settings, url, method, transfer);
    struct Forget {
        Transfer& transfer;
        ~Forget() { transfer.retries_left = false; }
    } const forget{transfer};
    transfer.method = method;
    for (int attempt = 0;; ++attempt) {
        transfer.retries_left = attempt < settings.retries;
        std::optional<std::chrono::milliseconds> wait;
        try {
            std::unique_ptr<ClientConnection> declined;
            bool answered = false;
            // Over HTTP/2 when the origin speaks it, in this frame rather than one of its own: a
            // waiting request holds one level fewer.
            if (prepared.http2) try {
                // A stream the server did not process goes again (RFC 9113, Section 8.7), a few
                // times.
                constexpr int max_refusals = 3;
                for (int refusals = 0; !answered; ++refusals) {
                    const std::shared_ptr<Http2Connection> connection =
                        co_await http2_connection(settings, url, transfer, prepared.tls.get(), declined);
                    if (!connection)
                        break;  // the server chose HTTP/1.1 by ALPN: on over the connection it declined
                    received = Received{};
                    received.http2 = true;
                    Http2Intake intake(settings, transfer, received, method);
                    try {
                        co_await connection->response(
                            open_stream(settings, *connection, url, method, transfer, request_headers, prepared),
                            intake);
                        if (!transfer.upload)
                            transfer.progress.uploaded = transfer.data.size();
                        answered = true;
                    } catch (const Http2Refused& refused) {
                        if (refusals + 1 >= max_refusals || transfer.delivered || transfer.past_deadline())
                            throw NetFailure(refused.kind, std::string(refused.what()) + " (sent " +
                                                               std::to_string(refusals + 1) + " times)");
                    }
                }
            } catch (const NetFailure& failure) {
                throw transport_error(failure, url, method, transfer);
            }
            if (!answered)
                co_await exchange_http1(settings, url, method, transfer, request_headers, prepared,
                                        std::move(declined), received);
            wait = retry_wait(settings, url, method, transfer, attempt, &received, nullptr);
        } catch (const TransportError& failure) {
            wait = retry_wait(settings, url, method, transfer, attempt, nullptr, &failure);
            if (!wait)
                throw;
        }
        if (!wait)
            co_return;
        co_await sleep_for(*wait);
    }
}

std::optional<std::chrono::milliseconds> Client::Impl::retry_wait(const Client& settings, const Url& url,
                                                                  std::string_view method, const Transfer& transfer,
                                                                  int attempt, const Received* answered,
                                                                  const TransportError* failure) {
    // A response whose status a repeat can cure is retried (may_retry()); a connection that
    // failed is tried again for idempotent methods only, as the server may have acted on the
    // request.
    if (!transfer.retries_left)
        return std::nullopt;
    if (answered && !may_retry(answered->status, method))
        return std::nullopt;
    if (failure) {
        const auto kind = failure->kind();
        const bool connection_failed =
            kind == Kind::connect || kind == Kind::dns || kind == Kind::closed || kind == Kind::io;
        if (!connection_failed || !idempotent(method) || transfer.delivered)
            return std::nullopt;
    }
    // Without a Retry-After: 250 ms, doubling each time; never longer than max_retry_after.
    auto wait = std::chrono::milliseconds(250) * (std::int64_t{1} << std::min(attempt, 16));
    if (answered && retry_rule(static_cast<Status>(answered->status)).retry_after)
        if (const auto asked = detail::parse_retry_after(answered->headers.get("Retry-After")))
            wait = std::chrono::duration_cast<std::chrono::milliseconds>(*asked);
    wait = std::min<std::chrono::milliseconds>(wait, settings.max_retry_after);
    if (transfer.deadline - Clock::now() <= wait)
        throw TransportError(Kind::timeout, url.str(), where_of(method, url) +
                                                           ": a retry would end past client.timeout (" +
                                                           std::to_string(transfer.timeout.count()) + " ms)");
    return wait;
}

Prepared Client::Impl::prepare(const Client& settings, const Url& url, std::string_view method,
                               const Transfer& transfer) {
    Prepared prepared;
    // Through a proxy, plain http names the whole URL (absolute-form); https goes through a
    // tunnel and is sent as to the origin itself.
    if (std::optional<Proxy> via = proxy_for(settings, url, method))
        prepared.via = std::make_unique<Proxy>(std::move(*via));
    prepared.absolute_form = prepared.via && url.scheme == "http";
    prepared.has_content = transfer.has_content() || method == "POST" || method == "PUT" || method == "PATCH";
    try {
        if (url.scheme == "https")
            prepared.tls = tls_context(settings);
    } catch (const NetFailure& failure) {
        throw TransportError(failure.kind, url.str(), where_of(method, url) + ": " + failure.what());
    }
    // HTTP/2 where the server speaks it: by ALPN over TLS, by prior knowledge in plain text when
    // asked. Not through a proxy.
    prepared.http2 = settings.http2 && !prepared.via && method != "CONNECT" &&
                     (url.scheme == "https" || settings.http2_prior_knowledge);
    return prepared;
}

Headers Client::Impl::head_fields(const Client& settings, const Prepared& prepared, const Transfer& transfer,
                                  const Headers& request_headers) {
    auto has = [&](std::string_view name) { return request_headers.contains(name); };
    Headers fields;
    fields.reserve(request_headers.size() + 3 + (prepared.absolute_form ? 1 : 0) + (settings.referer.empty() ? 0 : 1) +
                   (prepared.has_content ? 1 : 0));
    if (prepared.absolute_form && !prepared.via->authorization.empty())
        fields.add("Proxy-Authorization", prepared.via->authorization);
    if (!has("User-Agent") && !settings.user_agent.empty())
        fields.add("User-Agent", settings.user_agent);
    if (!has("Accept"))
        fields.add("Accept", "*/*");
    if (!has("Accept-Encoding"))
        fields.add("Accept-Encoding", std::string(accepted_codings()));
    if (!settings.referer.empty() && !has("Referer"))
        fields.add("Referer", settings.referer);
    for (const auto& [name, value] : request_headers)
        fields.add(name, value);
    if (prepared.has_content && transfer.content_size > 0 && !has("Content-Type"))
        fields.add("Content-Type", "application/x-www-form-urlencoded");
    return fields;
}

SerializedRequest Client::Impl::serialize_head(const Client& settings, const Url& url, std::string_view method,
                                               const Transfer& transfer, const Headers& request_headers,
                                               const Prepared& prepared, std::string& head) {
    RequestFraming framing;
    const std::string target = prepared.absolute_form ? url.str() : url.target;
    const std::string authority = url.authority();
    framing.method = method;
    framing.target = target;
    framing.host = authority;
    if (prepared.has_content)
        framing.content_length = transfer.content_size;
    // Bodies from expect_threshold on ask first, as does a caller who says so (never with
    // no_expect).
    framing.expect_continue = !settings.no_expect && (transfer.content_size >= expect_threshold ||
                                                      iequals(request_headers.get("Expect"), "100-continue"));
    framing.keep_alive = !has_close_option(request_headers);
    try {
        return serialize_request(framing, head_fields(settings, prepared, transfer, request_headers), head);
    } catch (const std::invalid_argument& e) {
        throw TransportError(Kind::invalid_request, url.str(), where_of(method, url) + ": " + e.what());
    }
}

Task<> Client::Impl::exchange_http1(Client& settings, const Url& url, std::string_view method, Transfer& transfer,
                                    const Headers& request_headers, const Prepared& prepared,
                                    std::unique_ptr<ClientConnection> declined, Received& received) {
    std::string head;
    const SerializedRequest request = serialize_head(settings, url, method, transfer, request_headers, prepared, head);
    const Proxy* const via = prepared.via.get();
    // A tunnel opened with some proxy credentials is not reused with others.
    const std::string pool_key = via ? via->url.origin() + " " + via->authorization + " " + url.origin() : url.origin();
    for (int attempt_number = 0;; ++attempt_number) {
        std::unique_ptr<ClientConnection> connection =
            declined ? std::move(declined) : attempt_number == 0 ? take(pool_key) : nullptr;
        bool reusable = false;
        bool any_byte = false;
        try {
            if (!connection) {
                connection = co_await open_connection(url, prepared.tls.get(), !settings.skip_hostname_verification,
                                                      transfer.until(settings.connect_timeout), via);
            }
            co_await this->attempt(settings, *connection, method, transfer, head, request, reusable, any_byte, received);
            if (reusable)
                give_back(pool_key, std::move(connection));
            co_return;
        } catch (const NetFailure& failure) {
            // A kept-alive connection the server closed meanwhile: one more try on a fresh one,
            // when nothing came back and repeating the request is safe (RFC 9110, Section 9.2.2).
            const bool stale = connection && connection->reused && !any_byte &&
                               (failure.kind == Kind::closed || failure.kind == Kind::io);
            if (!stale || !idempotent(method) || attempt_number != 0 || transfer.past_deadline())
                throw transport_error(failure, url, method, transfer);
        }
    }
}


std::int32_t Client::Impl::open_stream(const Client& settings, Http2Connection& connection, const Url& url,
                                       std::string_view method, const Transfer& transfer,
                                       const Headers& request_headers, const Prepared& prepared) {
    const std::string authority = url.authority();
    const Headers fields = head_fields(settings, prepared, transfer, request_headers);
    std::optional<std::uint64_t> body_length;
    if (transfer.upload)
        body_length = transfer.content_size;  // read from the file as the stream takes it
    return connection.open(Http2Request{method, url.scheme, authority, url.target, &fields, transfer.data, body_length});
}

Task<std::shared_ptr<Http2Connection>> Client::Impl::http2_connection(Client& settings, const Url& url,
                                                                      Transfer& transfer, TlsContext* tls,
                                                                      std::unique_ptr<ClientConnection>& declined) {
    Strand* const strand = Strand::current();
    if (!strand)
        throw std::logic_error("httpkit: a client's coroutine awaited outside a server's handler or http::run()");
    const std::shared_ptr<ReactorLife> loop = strand->reactor().life();
    // "origin loop": one allocation, the origin its first part.
    std::string key = url.origin();
    const std::size_t origin_size = key.size();
    char digits[24];
    const auto digits_end =
        std::to_chars(digits, digits + sizeof digits, reinterpret_cast<std::uintptr_t>(loop.get())).ptr;
    key.append(" ").append(digits, static_cast<std::size_t>(digits_end - digits));
    const std::string_view origin(key.data(), origin_size);
    while (true) {
        std::shared_ptr<Trigger> opening;
        bool mine = false;
        {
            const std::lock_guard lock(mutex_);
            if (http1_only_.contains(origin))
                co_return nullptr;
            Http2Slot& slot = http2_[key];
            std::erase_if(slot.connections, [](const auto& connection) { return connection->ended(); });
            for (auto it = slot.connections.rbegin(); it != slot.connections.rend(); ++it)
                if ((*it)->usable(loop.get()))
                    co_return *it;
            // A connection takes this client's stream limit at most (the server's may be lower:
            // a request that finds it full opens the next).
            if (slot.opening && slot.promised < Http2ClientLimits{}.max_concurrent_streams) {
                ++slot.promised;
                opening = slot.opening;
            } else {
                slot.opening = opening = std::make_shared<Trigger>();
                slot.promised = 1;
                mine = true;
            }
        }
        if (!mine) {
            // Another request of this loop opens it: one connection, not one each.
            if (!co_await opening->wait(0, transfer.until(settings.connect_timeout)))
                throw NetFailure(Kind::timeout, "waiting for the HTTP/2 connection timed out");
            continue;
        }
        struct Opened {
            Impl& impl;
            const std::string& key;
            std::shared_ptr<Trigger> opening;
            std::shared_ptr<ReactorLife> loop;
            ~Opened() {
                {
                    const std::lock_guard lock(impl.mutex_);
                    Http2Slot& slot = impl.http2_[key];
                    if (slot.opening == opening) {  // (not a later one, opened since)
                        slot.opening.reset();
                        slot.promised = 0;
                    }
                }
                const std::lock_guard lock(loop->mutex);
                if (Reactor* const reactor = loop->reactor)
                    reactor->post([opening = opening] { opening->fire(); });
            }
        } const opened{*this, key, opening, loop};
        std::unique_ptr<ClientConnection> fresh =
            co_await open_connection(url, tls, !settings.skip_hostname_verification,
                                     transfer.until(settings.connect_timeout), nullptr, false, true);
        if (tls && fresh->stream->protocol() != "h2") {
            const std::lock_guard lock(mutex_);
            http1_only_.emplace(origin);
            declined = std::move(fresh);
            co_return nullptr;
        }
        auto connection = std::make_shared<Http2Connection>(std::move(fresh->stream), Http2ClientLimits{}, loop);
        const std::lock_guard lock(mutex_);
        http2_[key].connections.push_back(connection);
        co_return connection;
    }
}

Task<> Client::Impl::send_content(Stream& stream, Transfer& transfer, std::chrono::milliseconds timeout) {
    transfer.progress.uploaded = 0;
    std::optional<UploadFile> file;
    if (transfer.upload)
        file.emplace(transfer);
    for (std::string_view rest = transfer.data;;) {
        const std::string_view part = file ? file->next() : rest.substr(0, upload_part);
        if (part.empty())
            co_return;
        co_await stream.async_write_all(part, transfer.until(timeout));
        if (!file)
            rest.remove_prefix(part.size());
        transfer.progress.uploaded += part.size();
        transfer.tell_progress();
    }
}

Task<> Client::Impl::attempt(Client& settings, ClientConnection& connection, std::string_view method,
                             Transfer& transfer, const std::string& request_head, const SerializedRequest& request,
                             bool& reusable, bool& any_byte, Received& received) {
    Stream& stream = *connection.stream;
    const bool expect = request.expect_continue;
    co_await stream.async_write_all(request_head, transfer.until(settings.receive_timeout));
    bool body_sent = !transfer.has_content();
    std::size_t interim = 0;  // 1xx responses skipped
    if (!body_sent && (!expect || !co_await stream.async_wait_readable(transfer.until(continue_wait)))) {
        co_await send_content(stream, transfer, settings.receive_timeout);  // no Expect, or no answer to it in time
        body_sent = true;
    }

    std::string buffer;
    ResponseHeadParser parser;
    ResponseHead head;
    const bool head_request = method == "HEAD";
    // The connection's read buffer, kept with it: a coroutine frame holds no large array, and a
    // reused connection allocates nothing.
    std::string& chunk_buffer = connection.read_buffer;
    chunk_buffer.resize(read_buffer_size);
    char* const chunk = chunk_buffer.data();

    // The head: skipping 1xx interim responses, and sending the body once 100 Continue arrives.
    while (true) {
        const auto result = parser.parse(buffer, head, head_request);
        if (result == ResponseHeadParser::Result::error)
            throw NetFailure(Kind::malformed_response, "malformed response: " + std::string(parser.error().reason));
        if (result == ResponseHeadParser::Result::incomplete) {
            const std::size_t n = co_await stream.async_read_some(chunk, read_buffer_size, transfer.until(settings.receive_timeout));
            if (n > 0) {
                any_byte = true;
                buffer.append(chunk, n);
            }
            if (n == 0)
                throw NetFailure(Kind::closed, buffer.empty() ? "the server closed the connection without a response"
                                                              : "the server closed the connection inside the response head");
            continue;
        }
        if (head.status >= 200)
            break;
        if (head.status == 101)
            throw NetFailure(Kind::malformed_response, "the server switched protocols, which this client does not speak");
        if (++interim > response_max_interim)
            throw NetFailure(Kind::too_large, "the server sent more than " + std::to_string(response_max_interim) +
                                                  " interim (1xx) responses");
        buffer.erase(0, head.size);
        parser.reset();
        if (head.status == 100 && !body_sent) {
            co_await send_content(stream, transfer, settings.receive_timeout);
            body_sent = true;
        }
    }

    received = Received{};
    received.status = head.status;
    received.version_minor = head.version_minor;
    for (const Field& f : head.fields)
        received.headers.add(std::string(f.name), std::string(f.value));
    buffer.erase(0, head.size);

    BodyIntake intake(settings, transfer, received, head_request,
                      head.framing == Framing::content_length ? std::optional(head.content_length) : std::nullopt);
    const bool to_sink = received.sunk;
    ChunkedLimits limits;
    limits.max_body_size = to_sink ? UINT64_MAX : settings.max_body_size;  // a sink holds what it keeps
    BodyReader reader(limits);
    reader.start(head.framing, head.content_length, head.until_close);
    std::string piece;  // the body bytes of one read
    std::string_view pending = buffer;
    while (true) {
        std::size_t used = 0;
        auto result = reader.feed(pending, used, piece);
        pending.remove_prefix(used);
        if (!piece.empty()) {
            intake.feed(piece);
            piece.clear();
        }
        if (result == BodyReader::Result::complete)
            break;
        if (result == BodyReader::Result::error)
            throw NetFailure(reader.error().status == Status::CONTENT_TOO_LARGE ? Kind::too_large : Kind::malformed_response,
                             reader.error().status == Status::CONTENT_TOO_LARGE
                                 ? "the response body exceeds client.max_body_size (" +
                                       std::to_string(settings.max_body_size) + " bytes)"
                                 : "malformed response body: " + std::string(reader.error().reason));
        const std::size_t n = co_await stream.async_read_some(chunk, read_buffer_size, transfer.until(settings.receive_timeout));
        if (n == 0) {
            if (reader.finish() == BodyReader::Result::complete)
                break;
            throw NetFailure(Kind::closed, "the connection closed before the response was complete (" +
                                               std::string(reader.error().reason) + ")");
        }
        pending = std::string_view(chunk, n);
    }
    intake.finish();
    // Trailer fields stay apart (RFC 9110, Section 6.5.1): never merged into the header section,
    // so that a trailer cannot set a cookie or redirect.
    for (const Field& f : reader.trailers())
        received.trailers.add(std::string(f.name), std::string(f.value));

    // Reusable only if the exchange ended cleanly on a message boundary.
    reusable = head.keep_alive && body_sent && pending.empty() && !head.until_close && request.keep_alive;
}

}  // namespace http
