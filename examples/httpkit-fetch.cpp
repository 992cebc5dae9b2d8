// httpkit-fetch [options] URL: a small curl-like client over http::Client.
//
//   -X METHOD   -d DATA (or @FILE)   -H 'Name: value' (repeatable)   -o FILE   -T FILE
//   --cacert FILE   --insecure   --no-verify-host   --no-follow
//   --connect-timeout MS   --timeout MS   --max-time MS   --progress   -s   --json
//   -b FILE (cookies to send, curl's cookie file)   -c FILE (cookies to write after)   --proxy URL
//   --max-decoding-ratio N
//
// With a ws:// or wss:// URL it speaks WebSocket instead, as websocat does: each line of standard
// input goes as a text message, each message received is printed on a line of its own; the end
// of standard input closes the connection (1000), and the program ends when the server's close
// arrives.
//
// Prints the body as it arrives, decoded (or, with --json, a summary of the response); -o streams
// it to a file as it arrives (a temporary file renamed into place once complete, so a failed
// download leaves the file as it was; a FIFO or device written in place; "-" is standard output),
// -T streams a file up. A progress bar goes to stderr when it is a terminal. Exit status 0 when a
// response arrived, whatever its status; otherwise 1 with a one-line reason on stderr (2: bad
// usage).
#include <http/client.hpp>

#include <nlohmann/json.hpp>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr std::string_view usage = R"(usage: httpkit-fetch [options] URL
       httpkit-fetch [-H ...] [--timeout MS] [TLS and proxy options] ws://... or wss://...
                 (WebSocket: standard input's lines out as messages, messages in on lines)
  -X METHOD               request method (default GET, or POST with -d)
  -d DATA                 request content; @FILE reads it from FILE
  -H 'Name: value'        add a request header (repeatable)
  -o FILE                 write the body to FILE as it arrives, instead of standard output ("-");
                          FILE is replaced only once the whole body arrived
  -T FILE                 upload FILE as the content, as it is read (PUT unless -X says)
  --cacert FILE           trust the CA certificates in FILE (PEM)
  --insecure              do not verify the server's certificate
  --no-verify-host        verify the certificate but not the host name in it
  --no-follow             do not follow redirects
  --http2                 HTTP/2 by ALPN over TLS where the server takes it (the default)
  --http2-prior-knowledge HTTP/2 in the clear too (h2c), for servers known to speak it
  --http1.1               HTTP/1.1 only
  --connect-timeout MS    time for DNS, connect and TLS handshake (default 60000)
  --timeout MS            longest wait for more of the response (default 300000)
  --max-time MS           the whole transfer, redirects included, must end within MS
  --progress              show the progress bar even when stderr is not a terminal
  -s, --silent            no progress bar
  --proxy URL             through this HTTP proxy (default: http_proxy, HTTPS_PROXY, NO_PROXY)
  -b FILE                 send the cookies of FILE (curl's cookie-file format), keep new ones
  -c FILE                 write the cookies to FILE afterwards, in that format
  --json                  print a JSON summary instead of the body
  --max-decoding-ratio N  refuse a body that decodes to more than N times its size (default 100;
                          0: no limit), a guard against decompression bombs
)";

[[noreturn]] void bad_usage(const std::string& message) {
    std::cerr << "httpkit-fetch: " << message << "\n" << usage;
    std::exit(2);
}

std::chrono::milliseconds milliseconds(std::string_view option, std::string_view text) {
    long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value <= 0)
        bad_usage(std::string(option) + " takes a positive number of milliseconds, not '" + std::string(text) + "'");
    return std::chrono::milliseconds(value);
}

std::uint32_t ratio(std::string_view option, std::string_view text) {
    std::uint32_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size())
        bad_usage(std::string(option) + " takes a whole number, not '" + std::string(text) + "'");
    return value;
}

std::string human_bytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
    return text;
}

// A one-line progress bar on stderr, as curl draws one: bytes so far, the total when known, the
// rate and the time left; redrawn at most ten times a second.
class ProgressBar {
public:
    bool update(const http::Progress& p) {
        const auto now = Clock::now();
        if (now - drawn_ < std::chrono::milliseconds(100))
            return true;
        drawn_ = now;
        const bool up = p.upload_total && p.uploaded < *p.upload_total;
        const std::uint64_t done = up ? p.uploaded : p.downloaded;
        const std::optional<std::uint64_t> total = up ? p.upload_total : p.download_total;
        const double seconds = std::chrono::duration<double>(now - started_).count();
        const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
        std::string line = std::string(up ? "up " : "") + human_bytes(static_cast<double>(done));
        if (total && *total > 0) {
            const double fraction = static_cast<double>(done) / static_cast<double>(*total);
            const int filled = static_cast<int>(fraction * 20);
            line = "[" + std::string(filled, '#') + std::string(20 - filled, ' ') + "] " + line + " / " +
                   human_bytes(static_cast<double>(*total));
            char percent[16];
            std::snprintf(percent, sizeof percent, " %5.1f%%", fraction * 100);
            line += percent;
            if (rate > 0) {
                const auto left = static_cast<long>(static_cast<double>(*total - std::min(done, *total)) / rate);
                char eta[32];
                std::snprintf(eta, sizeof eta, "  ETA %ld:%02ld", left / 60, left % 60);
                line += eta;
            }
        }
        line += "  " + human_bytes(rate) + "/s";
        std::cerr << '\r' << line << "\x1b[K" << std::flush;
        shown_ = true;
        return true;
    }
    void finish() {
        if (shown_)
            std::cerr << '\n';
    }

private:
    using Clock = std::chrono::steady_clock;
    Clock::time_point started_ = Clock::now();
    Clock::time_point drawn_{};
    bool shown_ = false;
};

}  // namespace

bool is_websocket_url(std::string_view url) {
    const auto starts = [url](std::string_view prefix) {
        if (url.size() < prefix.size())
            return false;
        for (std::size_t i = 0; i < prefix.size(); ++i)
            if ((url[i] | 0x20) != prefix[i])
                return false;
        return true;
    };
    return starts("ws://") || starts("wss://");
}

// The WebSocket mode: standard input's lines out, messages in. Returns the exit status.
int websocket_session(http::Client& client, const std::string& url) {
    http::WebSocket ws;
    try {
        ws = client.websocket(url);
    } catch (const std::exception& error) {
        std::cerr << "httpkit-fetch: " << error.what() << "\n";
        return 1;
    }
    // Lines are read with poll(), so that the reader ends when the server closes first.
    std::atomic<bool> done{false};
    // A line that is not UTF-8 goes as a binary message (a text message must be UTF-8).
    const auto send_line = [&ws](std::string_view line) {
        try {
            return ws.send(line);
        } catch (const std::invalid_argument&) {
            return ws.send(line, true);
        }
    };
    std::thread lines([&ws, &done, &send_line] {
        std::string pending;
        char buffer[4096];
        while (!done.load()) {
            pollfd p{STDIN_FILENO, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0)
                continue;
            const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n <= 0)
                break;  // the end of standard input
            pending.append(buffer, static_cast<std::size_t>(n));
            for (std::size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1)) {
                std::string_view line(pending.data(), end);
                if (line.ends_with('\r'))
                    line.remove_suffix(1);
                if (!send_line(line))
                    return;
            }
        }
        if (!done.load()) {
            if (!pending.empty())
                send_line(pending);
            ws.close(http::CloseCode::NORMAL_CLOSURE);
        }
    });
    int status = 0;
    try {
        while (const std::optional<http::Message> message = ws.receive()) {
            std::cout << message->data << '\n' << std::flush;
            if (!std::cout) {
                std::cerr << "httpkit-fetch: cannot write to standard output\n";
                ws.close(http::CloseCode::GOING_AWAY);
                status = 1;
                break;
            }
        }
    } catch (const std::exception& error) {
        std::cerr << "httpkit-fetch: " << error.what() << "\n";
        status = 1;
    }
    done.store(true);
    lines.join();
    return status;
}

int main(int argc, char** argv) {
    http::Client client;
    std::string method;
    std::optional<std::string> data;
    std::string output;
    std::string upload;
    std::string cookies_in, cookies_out;
    std::string url;
    bool json = false;
    bool progress = ::isatty(STDERR_FILENO) == 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc)
                bad_usage(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "-X") {
            method = value();
        } else if (arg == "-d") {
            const std::string_view d = value();
            if (d.starts_with('@')) {
                std::ifstream in(std::string(d.substr(1)), std::ios::binary);
                if (!in) {
                    std::cerr << "httpkit-fetch: cannot read " << d.substr(1) << "\n";
                    return 1;
                }
                data.emplace(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            } else {
                data.emplace(d);
            }
        } else if (arg == "-H") {
            const std::string_view header = value();
            const std::size_t colon = header.find(':');
            if (colon == std::string_view::npos || colon == 0)
                bad_usage("-H takes 'Name: value', not '" + std::string(header) + "'");
            std::string_view field_value = header.substr(colon + 1);
            while (!field_value.empty() && (field_value.front() == ' ' || field_value.front() == '\t'))
                field_value.remove_prefix(1);
            client.headers.add(std::string(header.substr(0, colon)), std::string(field_value));
        } else if (arg == "-o") {
            output = value();
        } else if (arg == "--proxy" || arg == "-x") {
            client.proxy = value();
        } else if (arg == "-b") {
            cookies_in = value();
        } else if (arg == "-c") {
            cookies_out = value();
        } else if (arg == "-T") {
            upload = value();
        } else if (arg == "--max-time") {
            client.timeout = milliseconds(arg, value());
        } else if (arg == "--progress") {
            progress = true;
        } else if (arg == "-s" || arg == "--silent") {
            progress = false;
        } else if (arg == "--cacert") {
            client.ca_cert = value();
        } else if (arg == "--insecure" || arg == "-k") {
            client.skip_peer_verification = true;
        } else if (arg == "--no-verify-host") {
            client.skip_hostname_verification = true;
        } else if (arg == "--no-follow") {
            client.follow_redirect = false;
        } else if (arg == "--http2") {
            client.http2 = true;
        } else if (arg == "--http2-prior-knowledge") {
            client.http2 = true;
            client.http2_prior_knowledge = true;
        } else if (arg == "--http1.1") {
            client.http2 = false;
            client.http2_prior_knowledge = false;
        } else if (arg == "--connect-timeout") {
            client.connect_timeout = milliseconds(arg, value());
        } else if (arg == "--timeout") {
            client.receive_timeout = milliseconds(arg, value());
        } else if (arg == "--json") {
            json = true;
        } else if (arg == "--max-decoding-ratio") {
            client.max_decoding_ratio = ratio(arg, value());
        } else if (arg == "-h" || arg == "--help") {
            std::cout << usage;
            return 0;
        } else if (arg.starts_with('-') && arg.size() > 1) {
            bad_usage("unknown option " + std::string(arg));
        } else if (url.empty()) {
            url = arg;
        } else {
            bad_usage("only one URL, please");
        }
    }
    if (url.empty())
        bad_usage("no URL");
    if (is_websocket_url(url)) {
        if (data || !upload.empty() || !output.empty() || json || !method.empty())
            bad_usage("-X, -d, -T, -o and --json are for HTTP, not for a WebSocket");
        return websocket_session(client, url);
    }
    if (data && !upload.empty())
        bad_usage("-d and -T both give the content: one of them");
    if (method.empty())
        method = !upload.empty() ? "PUT" : data ? "POST" : "GET";

    if (!cookies_in.empty() || !cookies_out.empty()) {
        client.cookie_jar = std::make_shared<http::CookieJar>();
        try {
            if (!cookies_in.empty())
                client.cookie_jar->load(cookies_in);
        } catch (const std::exception& error) {
            std::cerr << "httpkit-fetch: " << error.what() << "\n";
            return 1;
        }
    }

    ProgressBar bar;
    std::uint64_t received = 0;
    client.on_progress = [&](const http::Progress& p) {
        received = p.downloaded;
        return !progress || bar.update(p);
    };
    if (output == "-")
        output.clear();  // standard output, as curl takes "-"
    // A GET to a file streams to disk; a body for standard output (or only counted, for --json)
    // is decoded and handed on as it arrives, never held whole; a body to a file for another
    // method is held, then written.
    const bool streamed = !output.empty() && method == "GET" && upload.empty() && !data;
    const bool to_file = !output.empty();
    std::uint64_t body_size = 0;
    bool output_failed = false;
    const auto on_body = [&](std::string_view piece) {
        body_size += piece.size();
        if (json)
            return true;
        std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        output_failed = !std::cout;
        return !output_failed;
    };
    http::Response response;
    try {
        if (streamed)
            response = client.download(url, output);
        else if (!upload.empty())
            response = client.upload(url, upload, method);
        else if (to_file)
            response = client.send_request(url, method, data.value_or(""));
        else
            response = client.send_request(url, method, data.value_or(""), {}, on_body);
        bar.finish();
    } catch (const std::exception& error) {
        bar.finish();
        if (output_failed)
            std::cerr << "httpkit-fetch: cannot write the body to standard output\n";
        else
            std::cerr << "httpkit-fetch: " << error.what() << "\n";
        return 1;
    }
    if (streamed)
        body_size = received;
    else if (to_file || !upload.empty())
        body_size = response.body.size();

    if (!cookies_out.empty()) {
        try {
            client.cookie_jar->save(cookies_out);
        } catch (const std::exception& error) {
            std::cerr << "httpkit-fetch: " << error.what() << "\n";
            return 1;
        }
    }
    if (to_file && !streamed) {
        std::ofstream out(output, std::ios::binary);
        out << response.body;
        if (!out) {
            std::cerr << "httpkit-fetch: cannot write " << output << "\n";
            return 1;
        }
    }
    if (json) {
        nlohmann::ordered_json headers = nlohmann::ordered_json::object();
        for (const auto& [name, value] : response.headers) {
            if (headers.contains(name))
                headers[name] = headers[name].get<std::string>() + ", " + value;
            else
                headers[name] = value;
        }
        const nlohmann::ordered_json summary = {
            {"status", static_cast<int>(response.status)},
            {"version", response.version},
            {"headers", headers},
            {"cookies", response.cookies},
            {"redirects", response.redirects},
            {"responder", response.responder},
            {"time_taken", std::chrono::duration<double>(response.time_taken).count()},
            {"body_size", body_size},
        };
        std::cout << summary.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
    } else if (!to_file) {
        std::cout << response.body << std::flush;  // an upload's answer; a streamed body is out already
        if (!std::cout) {
            std::cerr << "httpkit-fetch: cannot write the body to standard output\n";
            return 1;
        }
    }
    return 0;
}
