// http::Server: an HTTP/1.1 and HTTP/2 server in the style of Blade's HttpServer.
#pragma once

#include <http/failure.hpp>
#include <http/request.hpp>
#include <http/response.hpp>
#include <http/task.hpp>

#include <http/detail/chrono.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <http/detail/function.hpp>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace http {

class Router;

/// The format of server.access_log().
enum class LogFormat {
    /// Apache's and nginx's "combined": `127.0.0.1 - - [23/Nov/2026:21:04:05 +0000] "GET /a
    /// HTTP/1.1" 200 13 "-" "curl/7.88.1"`.
    combined,
    /// One JSON object per line: time, ip, method, target, version, status, bytes,
    /// duration_ms (head received to response queued), referer, user_agent.
    json,
};

/// How a server's I/O threads wait for sockets and move their bytes (server.io_engine).
enum class IoEngine {
    /// io_uring where the kernel allows it, else epoll. The HTTPKIT_IO_ENGINE environment
    /// variable ("epoll" or "io_uring") chooses instead, as if the setting named it.
    automatic,
    /// epoll(7): readiness, then recv(2) and sendmsg(2) a request.
    epoll,
    /// io_uring(7), Linux 6.0 or later: a connection's receives and sends go through a ring
    /// shared with the kernel, with the wait for the next events in one system call. TLS
    /// connections are watched through the ring and read and write as on epoll.
    io_uring,
};

/// "automatic", "epoll" or "io_uring".
std::string_view to_string(IoEngine engine) noexcept;

/// Who is on the other end of a connection.
struct ClientInfo {
    std::string ip;
    std::uint16_t port = 0;
};

/// An HTTP/1.1 and HTTP/2 server (TLS with `tls_certificate`; h2 by ALPN, h2c by prior knowledge).
///
///     http::Server server(3000);
///     server.on_receive([](http::Request& req, http::Response& res) {
///         if (req.path != "/") throw http::NotFound();
///         res.write("Hello");
///     });
///     server.listen();                       // blocks until close()
///
/// Handlers run on the server's I/O threads, so a quick handler costs no thread switch. A
/// handler may block (a database call, a sleep): when one keeps its thread busy for more than
/// `blocking_threshold`, another thread takes over that thread's connections, so the others
/// keep being served. A handler that throws http::Failure (or a subclass) produces the response
/// it names; any other exception produces 500 and goes to on_error.
class Server {
public:
    /// Binds to `host`:`port` when listen() or start() is called. Port 0 asks the kernel for a
    /// free port; port() tells which one it gave.
    explicit Server(std::uint16_t port, std::string host = "127.0.0.1");
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Settings: change them before listen()/start().

    /// Time allowed to receive a request's header section, and between reads of its body;
    /// then 408 Request Timeout and the connection is closed.
    std::chrono::milliseconds read_timeout{2000};
    /// Time allowed for each write to make progress; then the connection is closed.
    std::chrono::milliseconds write_timeout{2000};
    /// An idle keep-alive connection is closed after this long without a new request.
    std::chrono::milliseconds keep_alive_timeout{5000};
    bool reuse_address = true;
    /// Listen on this Unix domain socket instead of TCP ("/run/app.sock"): for a proxy on the
    /// same machine. A socket file left by a server that is gone is replaced; the file gets the
    /// process's umask (set it, or chmod after start(), to choose who may connect), and is
    /// removed when the server has closed. req.ip is "unix:" for its clients.
    std::string unix_socket;
    /// Accept on the listening sockets systemd passes (LISTEN_FDS, LISTEN_PID; sd_listen_fds(3))
    /// instead of opening one: TCP or Unix, as the .socket unit says. start() throws
    /// std::system_error when there are none.
    bool socket_activation = false;
    /// The hot upgrade SIGUSR2 makes under stop_on_signals() (a new binary, as nginx's SIGUSR2):
    /// this program and its arguments ({"/usr/bin/app", "--socket-activation"}: the first word a
    /// path) start with the listening sockets as socket activation passes them (LISTEN_FDS from
    /// 3, LISTEN_PID) and NOTIFY_SOCKET; when its server has started (start() sends READY=1 to
    /// NOTIFY_SOCKET, as systemd's Type=notify asks), this one closes gracefully. Both accept on
    /// the same sockets meanwhile, so no connection is refused. A successor that exits or is not
    /// ready within 10 s is killed, and this server goes on serving; each outcome is logged.
    /// Empty: SIGUSR2 does nothing.
    std::vector<std::string> upgrade_command;
    /// I/O threads, each with its own event loop and listening socket; 0 = one per CPU this
    /// process may run on (its affinity mask).
    std::size_t io_threads = 0;
    /// A handler running longer than this hands its thread's other connections to another
    /// thread (one that was replaced earlier and is waiting, if there is one).
    std::chrono::milliseconds blocking_threshold{5};
    /// At most this many threads in all (I/O threads plus the ones that replace blocked ones).
    std::size_t max_threads = 256;
    /// The I/O engine. Where io_uring is refused (Docker's default seccomp profile, the
    /// kernel.io_uring_disabled sysctl, a kernel before 6.0), automatic runs on epoll, and asking
    /// for io_uring makes start() throw std::system_error saying why.
    IoEngine io_engine = IoEngine::automatic;
    /// After close(), how long in-flight requests have to finish before their connections are
    /// closed (a handler still running is let finish; its connection closes after it).
    std::chrono::milliseconds shutdown_timeout{30000};

    // Limits. A request over one gets the status in brackets and the connection is closed.
    std::size_t max_request_target = 8 * 1024;  ///< request-target bytes [414]
    std::size_t max_header_size = 16 * 1024;    ///< request-line plus header section bytes [431]
    std::size_t max_header_fields = 100;        ///< header (and trailer) fields [431]
    std::size_t max_body_size = 8 * 1024 * 1024;  ///< content bytes, after chunked decoding [413]
    /// Fields of an urlencoded form, or parts of a multipart one [413]: decoding is work per
    /// field, and a small body can hold very many (Go and Django stop at 1,000 too).
    std::size_t max_form_fields = 1000;
    /// Open connections; one more is answered 503 Service Unavailable and closed. 0 = no limit.
    std::size_t max_connections = 0;
    /// A request body must keep arriving at this many bytes a second on average (after a first
    /// read_timeout of grace), else 408: a slow POST cannot hold a connection for ever. 0 = off.
    std::size_t min_body_rate = 1024;

    /// A streamed response's (res.stream(), http::EventStream) unsent bytes: a producer on
    /// another thread waits past it; past it on the I/O thread, or for an event stream, the
    /// client is disconnected (it is not reading) and the writer sees false.
    std::size_t stream_buffer_size = 1024 * 1024;

    // WebSocket (router.websocket(), <http/websocket.hpp>).
    /// The largest message (after decompression) a WebSocket takes; a larger one closes the
    /// connection with 1009 (MESSAGE_TOO_BIG), found out at the frame that passes it.
    std::size_t websocket_max_message_size = 16 * 1024 * 1024;
    /// permessage-deflate (RFC 7692) when the client offers it, without context takeover either
    /// way, so that an idle WebSocket holds no compressor.
    bool websocket_compression = true;
    /// A WebSocket quiet this long is sent a ping; one that then sends nothing for read_timeout
    /// is closed (1001). 0: no pings.
    std::chrono::milliseconds websocket_ping_interval{30000};

    // Response compression.
    /// Compress responses with the coding the client's Accept-Encoding prefers (q-values, "*",
    /// identity;q=0): zstd, br (when built with them) or gzip. Only compressible types (text,
    /// JSON, XML, JavaScript, SVG ...), only bodies of compression_min_size bytes or more (files
    /// up to 1 MiB), never a 206 or a response already encoded; Vary: Accept-Encoding is added,
    /// and a compressed variant's ETag differs from the identity one's.
    bool compression = false;
    std::size_t compression_min_size = 1024;

    // Behind proxies.
    /// Peers whose Forwarded (RFC 7239) and X-Forwarded-For / -Host / -Proto fields are believed,
    /// as CIDR strings ("10.0.0.0/8", "127.0.0.1", "::1/128"), or "unix:" for the peers of a
    /// Unix socket (server.unix_socket, socket activation); by default none. From such a peer,
    /// req.ip is the first address of the chain that is not a trusted proxy, req.host the
    /// forwarded host (validated as Host is) and req.scheme the forwarded protocol; from any other
    /// peer those fields are ignored, so that a client cannot choose its own address or host
    /// (host-header poisoning). start() throws std::invalid_argument for a malformed entry.
    std::vector<std::string> trusted_proxies;
    /// Every connection starts with a PROXY protocol header, v1 or v2 (HAProxy's send-proxy and
    /// send-proxy-v2, AWS NLB, Kubernetes ingresses), read before TLS and HTTP: req.ip and
    /// req.port (and the hooks' ClientInfo) are then the client's, req.proxy_header says the rest,
    /// and req.scheme is "https" when v2 says the client reached the balancer over TLS. Only a
    /// peer in trusted_proxies may connect; any other, a malformed header, or one not whole within
    /// read_timeout, is closed with nothing read or answered. v2's LOCAL (a health check) keeps the
    /// peer's own address. start() throws std::invalid_argument if trusted_proxies is empty.
    bool proxy_protocol = false;

    // HTTPS.
    /// PEM files: the certificate chain (the server's own certificate first) and its unencrypted
    /// private key. With both set the server speaks TLS only: TLS 1.2 and 1.3, forward-secret
    /// AEAD suites, ALPN "http/1.1", session resumption by tickets (which survive reload_tls());
    /// req.scheme is "https". start() throws std::runtime_error naming the file that cannot be
    /// read or used, or saying that the key does not match the certificate; std::invalid_argument
    /// when only one is set.
    std::string tls_certificate;
    std::string tls_private_key;
    /// HTTP/2 (RFC 9113) beside HTTP/1.1, with the same handlers: over TLS when the client asks
    /// for "h2" by ALPN, in the clear when a connection starts with HTTP/2's preface (h2c by prior
    /// knowledge). req.http_version is then "2". At most 100 concurrent streams a connection;
    /// the header and body limits above apply to each stream (431, 413 on the stream); a client
    /// flooding resets, SETTINGS, PINGs, PRIORITY or empty DATA frames, or sending header blocks
    /// far past max_header_size, is disconnected with GOAWAY ENHANCE_YOUR_CALM and reported to
    /// on_error; close() sends GOAWAY and lets the streams begun finish.
    bool http2 = true;

    // Uploads (multipart/form-data, parsed as the body arrives).
    /// A file part larger than this is written to a temporary file instead of memory; a plain
    /// form field larger than this is refused [413].
    std::size_t max_upload_in_memory = 1024 * 1024;
    /// Where those temporary files go; empty: $TMPDIR, else /tmp.
    std::string upload_directory;

    // Hooks. Each may be called several times; every function added runs, in order.
    void on_connect(std::function<void(const ClientInfo&)> fn);
    void on_disconnect(std::function<void(const ClientInfo&)> fn);
    void on_receive(std::function<void(Request&, Response&)> fn);
    /// A coroutine handler (returning http::Task<>): it runs on the connection's loop, holds no
    /// thread while it waits, and its awaits throw http::Cancelled once its client has gone.
    template <TaskHandler F>
    void on_receive(F fn) {
        on_receive_task(std::function<Task<>(Request&, Response&)>(std::move(fn)));
    }
    /// Routes with `router` (a copy of it): its handlers, and the body sinks of its
    /// stream_body() routes.
    void on_receive(const Router& router);
    /// Runs when a request's head is in and it has content: a sink returned (not empty) takes
    /// the content a piece at a time as it arrives, instead of req.body (the first hook to
    /// return one wins); on_receive's handlers run when it has all come. max_body_size does not
    /// apply to such a body; the body rate, read_timeout and the chunked limits do. A Failure
    /// thrown by the hook or the sink is the response (and the connection closes).
    void on_body(std::function<BodySink(Request&)> fn);
    /// After a response was sent.
    void on_reply(std::function<void(const Request&, const Response&)> fn);
    /// When a handler throws something other than http::Failure (the client gets 500), or a
    /// connection fails. Non-std exceptions arrive as std::runtime_error.
    void on_error(std::function<void(const std::exception&, const ClientInfo&)> fn);

    /// Writes a line per response to `out`, which must outlive the server (std::cout, a
    /// std::ofstream ...); lines from several threads never interleave. Fields from the client
    /// are escaped so that a line cannot be split or forged.
    void access_log(std::ostream& out, LogFormat format = LogFormat::combined);

    /// The server's counters in the Prometheus text exposition format (for a /metrics route):
    /// httpkit_requests_total{method,status_class}, the httpkit_request_duration_seconds
    /// histogram (head received to response queued), httpkit_route_requests_total{route,method,
    /// status_class} and the httpkit_route_request_duration_seconds summary{route} (_sum and
    /// _count), httpkit_refused_requests_total{status} (requests refused before a handler, by the
    /// parser, the limits or max_connections), httpkit_rate_limited_total (requests
    /// http::rate_limit() refused), httpkit_open_connections, httpkit_received_bytes_total and
    /// httpkit_sent_bytes_total.
    ///
    /// No label holds what a client chose: `method` is GET, HEAD, POST, PUT, DELETE, PATCH,
    /// OPTIONS or "other"; `route` is the pattern of the http::Router route that matched, with its
    /// group's prefix (route="/api/v1/users/{id}", never the path), or "" for a response no route
    /// matched (404, 405, 501, an OPTIONS or a redirect the router answers itself, a handler that
    /// is no Router): the series are bounded by the routes registered, whatever clients send. A
    /// route's series appear once it has answered. Label values are escaped as the format says.
    /// Safe from any thread, a handler included.
    std::string metrics() const;

    /// Binds, serves, and blocks until close(). Throws std::system_error if it cannot bind.
    void listen();
    /// Binds and serves in the background; returns once the server accepts connections.
    /// Throws std::system_error if it cannot bind.
    void start();
    /// Blocks until a started server has closed.
    void wait();
    /// Stops accepting, closes idle connections, lets in-flight requests finish (their responses
    /// carry Connection: close) for up to shutdown_timeout, then closes what is left, and makes
    /// listen()/wait() return. Safe from any thread and from a signal handler.
    void close() noexcept;

    /// SIGINT and SIGTERM close() the server; SIGHUP reloads its TLS certificate and key
    /// (reload_tls()) when it speaks TLS, and does nothing otherwise; SIGUSR2 is a hot upgrade
    /// when upgrade_command is set: the command starts with this server's listening sockets (see
    /// upgrade_command) and, once it serves, this server closes. The signals are blocked and
    /// taken with sigwait(2) by a thread of the server's own, so that no handler runs in signal
    /// context. Each reload's outcome is a line on `log` (std::cerr unless told), prefixed with
    /// the program's name, as nginx writes it to its error log:
    ///
    ///     my-server: TLS certificate and key reloaded
    ///     my-server: the successor (pid 4242) serves; closing
    ///     my-server: httpkit: the TLS private key '/etc/tls/key.pem' ...; still serving the
    ///         previous certificate
    ///
    ///     http::Server server(443, "0.0.0.0");
    ///     server.stop_on_signals();   // first, before any thread is started
    ///     server.start();
    ///     server.wait();              // returns after SIGTERM, once in-flight requests are done
    ///
    /// Call it before start(), and before the program starts threads of its own: the signals are
    /// blocked in the calling thread and in the threads it creates from then on (a thread that
    /// left them open would take them itself, and SIGTERM would kill the process there). A signal
    /// that comes before start() waits and is acted on once the server runs. The thread ends when
    /// the server has closed (wait(), or its destructor); the signals stay blocked, so one sent
    /// later does nothing. For one server in a process: with several, each signal would reach only
    /// one of them. `log` must outlive the server. Throws std::logic_error after start().
    void stop_on_signals();
    void stop_on_signals(std::ostream& log);

    /// Reads the TLS certificate and key files again (a renewed certificate): connections made
    /// from now on use them, open ones keep what they started with, and none is dropped. Throws
    /// std::runtime_error as start() does, keeping the certificate in use, and std::logic_error
    /// if the server was not started with TLS. Safe from any thread, not from a signal handler.
    void reload_tls();

    /// The bound port (the kernel's choice when constructed with 0); 0 before start().
    std::uint16_t port() const noexcept;
    /// The engine the server runs on since start(): epoll or io_uring (automatic before).
    IoEngine io_engine_in_use() const noexcept;
    const std::string& host() const noexcept;

    class Impl;

private:
    void on_receive_task(std::function<Task<>(Request&, Response&)> fn);
    std::unique_ptr<Impl> impl_;
};

}  // namespace http
