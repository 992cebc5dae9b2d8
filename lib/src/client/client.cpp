#include <http/client.hpp>

#include "coding/content_coding.hpp"
#include "client/transport.hpp"
#include "proto/parser/body_reader.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/parser/scan.hpp"
#include "proto/parser/response_parser.hpp"
#include "proto/url/percent.hpp"
#include "proto/url/url.hpp"

#include <algorithm>
#include <map>
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

bool idempotent(std::string_view method) {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS" ||
           method == "TRACE";
}

std::string base64(std::string_view in) {
    constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                           static_cast<unsigned char>(in[i + 2]);
        out += alphabet[n >> 18];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (i < in.size()) {
        unsigned n = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size())
            n |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += alphabet[n >> 18];
        out += alphabet[(n >> 12) & 63];
        out += i + 1 < in.size() ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// One exchange's outcome before it becomes a Response.
struct Received {
    int status = 0;
    int version_minor = 1;
    Headers headers;
    std::string body;
};

}  // namespace

class Client::Impl {
public:
    Response send(Client& settings, std::string_view url_text, std::string_view method, std::string_view data,
                  const Headers& extra_headers);

private:
    Received exchange_with_retries(Client& settings, const Url& url, std::string_view method, std::string_view data,
                                   const Headers& request_headers, const std::string& where);
    Received exchange(Client& settings, const Url& url, std::string_view method, std::string_view data,
                      const Headers& request_headers, const std::string& where);
    Received attempt(Client& settings, ClientConnection& connection, std::string_view method,
                     std::string_view data, const std::string& request_head, bool& reusable, bool& any_byte);
    std::unique_ptr<ClientConnection> take(const Url& url);
    void give_back(const Url& url, std::unique_ptr<ClientConnection> connection);
    TlsContext& tls_context(const Client& settings);

    std::map<std::string, std::vector<std::unique_ptr<ClientConnection>>, std::less<>> idle_;
    std::unique_ptr<TlsContext> tls_;
};

// --- settings --------------------------------------------------------------------------------

Client::Client() : impl_(std::make_unique<Impl>()) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Client::Client(const Client& other)
    : user_agent(other.user_agent),
      follow_redirect(other.follow_redirect),
      max_redirects(other.max_redirects),
      skip_hostname_verification(other.skip_hostname_verification),
      skip_peer_verification(other.skip_peer_verification),
      referer(other.referer),
      ca_cert(other.ca_cert),
      connect_timeout(other.connect_timeout),
      receive_timeout(other.receive_timeout),
      headers(other.headers),
      no_expect(other.no_expect),
      max_response_size(other.max_response_size),
      retries(other.retries),
      max_retry_after(other.max_retry_after),
      impl_(std::make_unique<Impl>()) {}

Client& Client::operator=(const Client& other) {
    if (this != &other)
        *this = Client(other);
    return *this;
}

Response Client::send_request(std::string_view url, std::string_view method, std::string_view data,
                              const Headers& request_headers) {
    if (!impl_)
        impl_ = std::make_unique<Impl>();
    return impl_->send(*this, url, method, data, request_headers);
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

Response Client::Impl::send(Client& settings, std::string_view url_text, std::string_view method_text,
                            std::string_view data, const Headers& extra_headers) {
    const auto started = Clock::now();
    std::string method(method_text.empty() ? "GET" : method_text);
    std::string body(data);
    std::string error;
    const auto parsed = parse_url(url_text, error);
    if (!parsed)
        throw TransportError(Kind::invalid_url, std::string(url_text),
                             method + " " + std::string(url_text) + ": invalid URL: " + error);
    Url url = *parsed;
    const std::string first_origin = url.origin();
    Headers request_headers = settings.headers;
    for (const auto& [name, value] : extra_headers)
        request_headers.erase(name);
    for (const auto& [name, value] : extra_headers)
        request_headers.add(name, value);
    int redirects = 0;

    while (true) {
        const std::string where = method + " " + url.str();
        Received received = exchange_with_retries(settings, url, method, body, request_headers, where);
        const std::string_view location = received.headers.get("Location");
        if (!settings.follow_redirect || !is_redirect(received.status) || location.empty()) {
            Response response;
            response.status = static_cast<Status>(received.status);
            response.version = received.version_minor == 0 ? "1.0" : "1.1";
            for (const auto& [name, value] : received.headers)
                if (iequals(name, "set-cookie"))
                    response.cookies.push_back(value);
            response.headers = std::move(received.headers);
            response.body = std::move(received.body);
            response.redirects = redirects;
            response.responder = url.str();
            response.time_taken = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
            return response;
        }
        if (redirects == settings.max_redirects)
            throw TransportError(Kind::too_many_redirects, url.str(),
                                 where + ": more than " + std::to_string(settings.max_redirects) + " redirects");
        const auto next = resolve_url(url, location, error);
        if (!next)
            throw TransportError(Kind::invalid_url, url.str(),
                                 where + ": invalid redirect to '" + std::string(location) + "': " + error);
        // 303 turns any method but HEAD into GET; 301 and 302 turn POST into GET, as user agents
        // have always done (RFC 9110, Sections 15.4.2-4); 307 and 308 keep method and content.
        if ((received.status == 303 && method != "HEAD") ||
            ((received.status == 301 || received.status == 302) && method == "POST")) {
            method = "GET";
            body.clear();
            request_headers.erase("Content-Type");
        }
        // Credentials stay with the origin they were meant for.
        if (next->origin() != first_origin) {
            request_headers.erase("Authorization");
            request_headers.erase("Proxy-Authorization");
            request_headers.erase("Cookie");
        }
        url = *next;
        ++redirects;
    }
}

TlsContext& Client::Impl::tls_context(const Client& settings) {
    const bool verify = !settings.skip_peer_verification;
    if (!tls_ || tls_->verify_peer() != verify || tls_->ca_file() != settings.ca_cert) {
        idle_.clear();  // connections made under other trust settings are not reused
        tls_ = std::make_unique<TlsContext>(verify, settings.ca_cert);
    }
    return *tls_;
}

std::unique_ptr<ClientConnection> Client::Impl::take(const Url& url) {
    const auto it = idle_.find(url.origin());
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

void Client::Impl::give_back(const Url& url, std::unique_ptr<ClientConnection> connection) {
    auto& pool = idle_[url.origin()];
    if (pool.size() < max_idle_per_origin)
        pool.push_back(std::move(connection));
}

Received Client::Impl::exchange_with_retries(Client& settings, const Url& url, std::string_view method,
                                             std::string_view data, const Headers& request_headers,
                                             const std::string& where) {
    // The dataset says which statuses a repeat can cure, and for which methods (retry_rule());
    // a connection that failed is tried again for idempotent methods only, as the server may
    // have acted on the request.
    for (int attempt = 0;; ++attempt) {
        const bool last = attempt >= settings.retries;
        // Without a Retry-After: 250 ms, doubling each time; never longer than max_retry_after.
        auto wait = std::chrono::milliseconds(250) * (std::int64_t{1} << std::min(attempt, 16));
        try {
            Received received = exchange(settings, url, method, data, request_headers, where);
            const RetryRule rule = retry_rule(static_cast<Status>(received.status));
            const bool may = rule.when == RetryWhen::any_method || (rule.when == RetryWhen::idempotent && idempotent(method));
            if (last || !may)
                return received;
            if (rule.retry_after)
                if (const auto asked = detail::parse_retry_after(received.headers.get("Retry-After")))
                    wait = std::chrono::duration_cast<std::chrono::milliseconds>(*asked);
        } catch (const TransportError& error) {
            const auto kind = error.kind();
            const bool connection_failed =
                kind == Kind::connect || kind == Kind::dns || kind == Kind::closed || kind == Kind::io;
            if (last || !connection_failed || !idempotent(method))
                throw;
        }
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(wait, settings.max_retry_after));
    }
}

Received Client::Impl::exchange(Client& settings, const Url& url, std::string_view method, std::string_view data,
                                const Headers& request_headers, const std::string& where) {
    // The request head, the same for a first attempt and a retry.
    std::string head = std::string(method) + " " + url.target + " HTTP/1.1\r\nHost: " + url.authority() + "\r\n";
    auto has = [&](std::string_view name) { return request_headers.contains(name); };
    if (!has("User-Agent") && !settings.user_agent.empty())
        head += "User-Agent: " + settings.user_agent + "\r\n";
    if (!has("Accept"))
        head += "Accept: */*\r\n";
    if (!has("Accept-Encoding"))
        head.append("Accept-Encoding: ").append(accepted_codings()).append("\r\n");
    if (!settings.referer.empty() && !has("Referer"))
        head += "Referer: " + settings.referer + "\r\n";
    if (!url.userinfo.empty() && !has("Authorization"))
        head += "Authorization: Basic " + base64(percent_decode(url.userinfo)) + "\r\n";
    for (const auto& [name, value] : request_headers) {
        if (!is_token(name) || !is_field_value(value))
            throw TransportError(Kind::invalid_url, url.str(), where + ": header '" + name + "' is not a valid field");
        if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Host"))
            continue;  // framing is the client's
        head += name + ": " + value + "\r\n";
    }
    const bool has_content = !data.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (has_content) {
        head += "Content-Length: " + std::to_string(data.size()) + "\r\n";
        if (!data.empty() && !has("Content-Type"))
            head += "Content-Type: application/x-www-form-urlencoded\r\n";
        if (data.size() >= expect_threshold && !settings.no_expect)
            head += "Expect: 100-continue\r\n";
    }
    head += "\r\n";

    TlsContext* tls = nullptr;
    try {
        if (url.scheme == "https")
            tls = &tls_context(settings);
    } catch (const NetFailure& failure) {
        throw TransportError(failure.kind, url.str(), where + ": " + failure.what());
    }

    for (int attempt_number = 0;; ++attempt_number) {
        std::unique_ptr<ClientConnection> connection = attempt_number == 0 ? take(url) : nullptr;
        bool reusable = false;
        bool any_byte = false;
        try {
            if (!connection) {
                connection = open_connection(url, tls, !settings.skip_hostname_verification,
                                                    Clock::now() + settings.connect_timeout);
            }
            Received received = this->attempt(settings, *connection, method, data, head, reusable, any_byte);
            if (reusable)
                give_back(url, std::move(connection));
            return received;
        } catch (const NetFailure& failure) {
            // A kept-alive connection the server closed meanwhile: one more try on a fresh one,
            // when nothing came back and repeating the request is safe (RFC 9110, Section 9.2.2).
            const bool stale = connection && connection->reused && !any_byte &&
                               (failure.kind == Kind::closed || failure.kind == Kind::io);
            if (stale && idempotent(method) && attempt_number == 0)
                continue;
            throw TransportError(failure.kind, url.str(), where + ": " + failure.what());
        }
    }
}

Received Client::Impl::attempt(Client& settings, ClientConnection& connection, std::string_view method,
                               std::string_view data, const std::string& request_head, bool& reusable,
                               bool& any_byte) {
    const auto send_deadline = [&] { return Clock::now() + settings.receive_timeout; };
    const bool expect = request_head.find("\r\nExpect: 100-continue\r\n") != std::string::npos;
    connection.stream->write_all(request_head, send_deadline());
    bool body_sent = data.empty();
    if (!body_sent && (!expect || !connection.stream->wait_readable(Clock::now() + continue_wait))) {
        connection.stream->write_all(data, send_deadline());  // no Expect, or no answer to it in time
        body_sent = true;
    }

    std::string buffer;
    ResponseHeadParser parser;
    ResponseHead head;
    const bool head_request = method == "HEAD";
    char chunk[64 * 1024];
    auto read_more = [&] {
        const std::size_t n = connection.stream->read_some(chunk, sizeof chunk, Clock::now() + settings.receive_timeout);
        if (n > 0) {
            any_byte = true;
            buffer.append(chunk, n);
        }
        return n;
    };

    // The head: skipping 1xx interim responses, and sending the body once 100 Continue arrives.
    while (true) {
        const auto result = parser.parse(buffer, head, head_request);
        if (result == ResponseHeadParser::Result::error)
            throw NetFailure(Kind::malformed_response, "malformed response: " + std::string(parser.error().reason));
        if (result == ResponseHeadParser::Result::incomplete) {
            if (read_more() == 0)
                throw NetFailure(Kind::closed, buffer.empty() ? "the server closed the connection without a response"
                                                              : "the server closed the connection inside the response head");
            continue;
        }
        if (head.status >= 200)
            break;
        if (head.status == 101)
            throw NetFailure(Kind::malformed_response, "the server switched protocols, which this client does not speak");
        buffer.erase(0, head.size);
        parser.reset();
        if (head.status == 100 && !body_sent) {
            connection.stream->write_all(data, send_deadline());
            body_sent = true;
        }
    }

    Received received;
    received.status = head.status;
    received.version_minor = head.version_minor;
    for (const Field& f : head.fields)
        received.headers.add(std::string(f.name), std::string(f.value));
    buffer.erase(0, head.size);

    // The body, by its framing.
    if (head.framing == Framing::content_length && head.content_length > settings.max_response_size)
        throw NetFailure(Kind::too_large, "the response body (" + std::to_string(head.content_length) +
                                               " bytes) exceeds max_response_size");
    ChunkedLimits limits;
    limits.max_body_size = settings.max_response_size;
    BodyReader reader(limits);
    reader.start(head.framing, head.content_length, head.until_close);
    if (head.framing == Framing::content_length)
        received.body.reserve(static_cast<std::size_t>(head.content_length));
    std::string_view pending = buffer;
    while (true) {
        std::size_t used = 0;
        auto result = reader.feed(pending, used, received.body);
        pending.remove_prefix(used);
        if (result == BodyReader::Result::complete)
            break;
        if (result == BodyReader::Result::error)
            throw NetFailure(reader.error().status == Status::CONTENT_TOO_LARGE ? Kind::too_large : Kind::malformed_response,
                             reader.error().status == Status::CONTENT_TOO_LARGE
                                 ? "the response body exceeds max_response_size"
                                 : "malformed response body: " + std::string(reader.error().reason));
        const std::size_t n = connection.stream->read_some(chunk, sizeof chunk, Clock::now() + settings.receive_timeout);
        if (n == 0) {
            if (reader.finish() == BodyReader::Result::complete)
                break;
            throw NetFailure(Kind::closed, "the connection closed before the response was complete (" +
                                               std::string(reader.error().reason) + ")");
        }
        pending = std::string_view(chunk, n);
    }
    for (const Field& f : reader.trailers())
        received.headers.add(std::string(f.name), std::string(f.value));

    // Reusable only if the exchange ended cleanly on a message boundary.
    reusable = head.keep_alive && body_sent && pending.empty() && !head.until_close;

    if (const std::string_view coding = received.headers.get("Content-Encoding"); !coding.empty() && !head_request &&
                                                                                   !received.body.empty()) {
        std::string error;
        switch (decode_content(received.body, coding, settings.max_response_size, error)) {
        case DecodeResult::ok:
        case DecodeResult::unsupported:  // handed over as it came
            break;
        case DecodeResult::corrupt:
            throw NetFailure(Kind::malformed_response, "cannot decode the " + std::string(coding) + " body: " + error);
        case DecodeResult::too_large:
            throw NetFailure(Kind::too_large, error);
        }
    }
    return received;
}

}  // namespace http
