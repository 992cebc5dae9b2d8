// httpkit-echo [PORT [HOST]] [options]: answers every request with the JSON of what it received,
// routed with http::Router. Options: --static DIR, --compress, --threads N, --access-log FILE|-,
// --trusted-proxy CIDR, --unix PATH, --socket-activation. /metrics: Prometheus text.
//
//   /status/<code>       3xx-5xx raised with http::throw_failure; 2xx answered plainly; both with
//                        the header fields the dataset ties to the status, with sample values
//   /redirect?to=<url>[&status=<3xx>]     /set-cookie?name=<n>&value=<v>
//   /delay?ms=<n>        a handler that blocks for n ms      /throw   std::runtime_error -> 500
//   /plaintext           Hello, World!                       /json    {"message":"Hello, World!"}
//   anything else        {request_uri, path, method, host, ip, headers, queries, cookies, body,
//                         files, http_version}
#include <http/http.hpp>
#include <http/json.hpp>
#include <http/router.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using json = nlohmann::ordered_json;

http::Server* running_server = nullptr;

extern "C" void stop_on_signal(int) {
    if (running_server)
        running_server->close();  // async-signal-safe
}

std::optional<long> to_number(std::string_view text) {
    long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::string_view query(const http::Request& req, std::string_view name) {
    const auto it = req.queries.find(name);
    return it == req.queries.end() ? std::string_view() : std::string_view(it->second);
}

// The header fields the dataset ties to `status` (Location for a redirect, Allow for 405,
// WWW-Authenticate for 401 ...), with sample values, so that /status/<code> answers as the RFCs
// say such a response must.
http::Headers sample_fields(http::Status status) {
    static const std::pair<std::string_view, std::string_view> samples[] = {
        {"Location", "/"},
        {"Allow", "GET, HEAD"},
        {"WWW-Authenticate", R"(Basic realm="httpkit-echo")"},
        {"Proxy-Authenticate", R"(Basic realm="httpkit-echo proxy")"},
        {"Retry-After", "30"},
        {"Content-Range", "bytes */0"},
        {"Upgrade", "HTTP/2.0"},
    };
    http::Headers fields;
    if (const http::StatusInfo* info = http::status_info(status))
        for (const http::StatusHeader& header : info->headers)
            for (const auto& [name, value] : samples)
                if (name == header.name)
                    fields.add(std::string(name), std::string(value));
    return fields;
}

json fields_json(const http::Fields& fields) {
    // Fields' names are unique and sorted already: appended without the linear search per
    // member that ordered_json's operator[] makes (quadratic for a form of many fields).
    json out = json::object();
    auto& members = static_cast<json::object_t::Container&>(*out.get_ptr<json::object_t*>());
    members.reserve(fields.size());
    for (const auto& [name, value] : fields)
        members.emplace_back(name, value);
    return out;
}

json body_json(const http::Request& req) {
    const std::string_view type = req.headers.get("Content-Type");
    if (type.starts_with("application/x-www-form-urlencoded") || type.starts_with("multipart/form-data"))
        return fields_json(req.form);
    if (!req.body.empty() && http::is_json_media_type(type))
        return json(http::read_json(req));  // 400 for malformed or too deeply nested JSON
    return req.body;
}

json echo(const http::Request& req) {
    json headers = json::object();
    for (const auto& [name, value] : req.headers) {
        if (headers.contains(name))
            headers[name] = headers[name].get<std::string>() + ", " + value;
        else
            headers[name] = value;
    }
    json files = json::object();
    for (const auto& [field, file] : req.files)
        files[field] = {{"filename", file.filename}, {"content_type", file.content_type}, {"size", file.size}};
    return {{"request_uri", req.request_uri}, {"path", req.path},          {"method", req.method},
            {"host", req.host},               {"ip", req.ip},              {"headers", headers},
            {"queries", fields_json(req.queries)}, {"cookies", fields_json(req.cookies)},
            {"body", body_json(req)},         {"files", files},            {"http_version", req.http_version},
            {"scheme", req.scheme}};
}

void send_json(http::Response& res, const json& value) {
    res.content_type("application/json");
    res.body = value.dump(-1, ' ', false, json::error_handler_t::replace);  // ordered: not write_json()
}

void plaintext(http::Request&, http::Response& res) {
    res.content_type("text/plain");
    res.body = "Hello, World!";
}

void status(http::Request& req, http::Response& res) {
    const auto code = to_number(req.params.at("code"));
    if (!code || *code < 200 || *code > 599)
        throw http::BadRequest("/status/<code> takes a final status code, 200-599");
    const auto status = static_cast<http::Status>(*code);
    if (*code >= 300)
        http::throw_failure(status, {}, sample_fields(status));
    res.status = status;
    res.headers = sample_fields(status);
    res.body = http::to_string(status) + "\n";
}

void redirect(http::Request& req, http::Response& res) {
    const std::string_view to = query(req, "to");
    if (to.empty())
        throw http::BadRequest("/redirect needs ?to=<url>");
    long code = 302;
    if (const std::string_view s = query(req, "status"); !s.empty()) {
        const auto parsed = to_number(s);
        if (!parsed || *parsed < 300 || *parsed > 399)
            throw http::BadRequest("/redirect takes a 3xx status");
        code = *parsed;
    }
    try {
        res.redirect(std::string(to), static_cast<http::Status>(code));
    } catch (const std::invalid_argument& error) {
        throw http::BadRequest(error.what());
    }
}

void set_cookie(http::Request& req, http::Response& res) {
    try {
        res.set_cookie(std::string(query(req, "name")), std::string(query(req, "value")), "", "/");
    } catch (const std::invalid_argument& error) {
        throw http::BadRequest(error.what());
    }
    send_json(res, {{"set-cookie", res.cookies.back()}});
}

void delay(http::Request& req, http::Response& res) {
    const auto ms = to_number(query(req, "ms"));
    if (!ms || *ms < 0 || *ms > 60000)
        throw http::BadRequest("/delay takes ?ms=<0-60000>");
    std::this_thread::sleep_for(std::chrono::milliseconds(*ms));  // a handler that blocks, on purpose
    send_json(res, {{"delayed_ms", *ms}});
}

// Every endpoint answers any method, as the echo of anything else does.
http::Router routes(const http::Server& server, const std::string& static_directory) {
    http::Router router;
    router.get("/metrics", [&server](http::Request&, http::Response& res) {
        res.content_type("text/plain; version=0.0.4; charset=utf-8");
        res.body = server.metrics();
    });
    router.any("/plaintext", plaintext);
    router.any("/json", [](http::Request&, http::Response& res) { send_json(res, {{"message", "Hello, World!"}}); });
    router.any("/status/{code}", status);
    router.any("/redirect", redirect);
    router.any("/set-cookie", set_cookie);
    router.any("/delay", delay);
    router.any("/throw", [](http::Request&, http::Response&) {
        throw std::runtime_error("httpkit-echo: /throw was asked to fail");
    });
    if (!static_directory.empty())
        router.files("/static", static_directory);
    const auto echo_request = [](http::Request& req, http::Response& res) { send_json(res, echo(req)); };
    router.any("/", echo_request);
    router.any("/{path...}", echo_request);
    return router;
}

const char* const usage =
    "usage: httpkit-echo [PORT [HOST]] [options]\n"
    "  --static DIR       serve DIR's files under /static/\n"
    "  --compress         compress responses (zstd, br, gzip) for clients that accept it\n"
    "  --threads N        I/O threads (default: one per CPU)\n"
    "  --access-log FILE  a line per request (combined log format); - for stdout\n"
    "  --trusted-proxy CIDR  believe Forwarded / X-Forwarded-* from these peers (repeatable;\n"
    "                     'unix:' for the peers of a Unix socket)\n"
    "  --unix PATH        listen on a Unix domain socket instead of TCP\n"
    "  --socket-activation  accept on the sockets systemd passes (LISTEN_FDS)\n";

}  // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 3000;
    std::string host = "127.0.0.1";
    std::string static_directory;
    std::string access_log;
    bool compress = false;
    bool socket_activation = false;
    long threads = 0;
    std::string unix_socket;
    std::vector<std::string> trusted;
    int positional = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) {
                std::cerr << "httpkit-echo: " << arg << " needs a value\n" << usage;
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--static") {
            static_directory = value();
        } else if (arg == "--compress") {
            compress = true;
        } else if (arg == "--trusted-proxy") {
            trusted.emplace_back(value());
        } else if (arg == "--unix") {
            unix_socket = value();
        } else if (arg == "--socket-activation") {
            socket_activation = true;
        } else if (arg == "--access-log") {
            access_log = value();
        } else if (arg == "--threads") {
            const auto n = to_number(value());
            if (!n || *n < 1 || *n > 256) {
                std::cerr << "httpkit-echo: --threads takes 1-256\n";
                return 2;
            }
            threads = *n;
        } else if (arg == "-h" || arg == "--help") {
            std::cout << usage;
            return 0;
        } else if (arg.starts_with("-") || positional == 2) {
            std::cerr << "httpkit-echo: unknown option '" << arg << "'\n" << usage;
            return 2;
        } else if (positional++ == 0) {
            const auto parsed = to_number(arg);
            if (!parsed || *parsed < 0 || *parsed > 65535) {
                std::cerr << usage;
                return 2;
            }
            port = static_cast<std::uint16_t>(*parsed);
        } else {
            host = std::string(arg);
        }
    }

    http::Server server(port, host);
    server.compression = compress;
    server.trusted_proxies = trusted;
    server.unix_socket = unix_socket;
    server.socket_activation = socket_activation;
    server.io_threads = static_cast<std::size_t>(threads);
    std::ofstream log_file;
    if (access_log == "-") {
        server.access_log(std::cout);
    } else if (!access_log.empty()) {
        log_file.open(access_log, std::ios::app);
        if (!log_file) {
            std::cerr << "httpkit-echo: cannot open " << access_log << '\n';
            return 1;
        }
        server.access_log(log_file);
    }
    try {
        server.on_receive(routes(server, static_directory));
    } catch (const std::exception& error) {
        std::cerr << "httpkit-echo: " << error.what() << '\n';
        return 1;
    }
    server.on_error([](const std::exception& error, const http::ClientInfo& client) {
        std::cerr << "httpkit-echo: " << (client.ip.empty() ? "server" : client.ip) << ": " << error.what() << '\n';
    });
    try {
        server.start();
    } catch (const std::exception& error) {
        std::cerr << "httpkit-echo: " << error.what() << '\n';
        return 1;
    }
    running_server = &server;
    std::signal(SIGINT, stop_on_signal);
    std::signal(SIGTERM, stop_on_signal);
    if (socket_activation)
        std::cout << "httpkit-echo listening on the sockets systemd passed" << std::endl;
    else if (!unix_socket.empty())
        std::cout << "httpkit-echo listening on unix:" << unix_socket << std::endl;
    else
        std::cout << "httpkit-echo listening on http://" << host << ':' << server.port() << '/' << std::endl;
    server.wait();
    std::cout << "httpkit-echo stopped" << std::endl;
    return 0;
}
