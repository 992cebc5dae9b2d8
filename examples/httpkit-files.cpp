// httpkit-files [DIR [PORT [HOST]]] [options]: a static file server over router.files, like
// `python3 -m http.server`: conditional and range requests, an access log line per request on
// stdout. DIR defaults to ".", PORT to 8000, HOST to 127.0.0.1. --tls-cert FILE --tls-key FILE:
// HTTPS, and SIGHUP reloads them. --no-http2: HTTP/1.1 only.
#include <http/router.hpp>
#include <http/server.hpp>

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

const char* const usage =
    "usage: httpkit-files [DIR [PORT [HOST]]] [options]\n"
    "  --compress   compress text, JSON, JS, CSS, SVG ... for clients that accept it\n"
    "  --list       list directories that have no index.html\n"
    "  --dotfiles   serve names that start with '.'\n"
    "  --quiet      no access log on stdout\n"
    "  --tls-cert FILE --tls-key FILE  speak HTTPS with this PEM certificate chain and key;\n"
    "               SIGHUP reloads them\n"
    "  --no-http2   HTTP/1.1 only (default: also HTTP/2, by ALPN over TLS and h2c)\n";

}  // namespace

int main(int argc, char** argv) {
    std::string directory = ".";
    std::uint16_t port = 8000;
    std::string host = "127.0.0.1";
    http::FileOptions options;
    bool compress = false;
    bool quiet = false;
    std::string tls_certificate;
    std::string tls_private_key;
    bool http2 = true;
    int positional = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if ((arg == "--tls-cert" || arg == "--tls-key") && i + 1 == argc) {
            std::cerr << "httpkit-files: " << arg << " needs a value\n" << usage;
            return 2;
        }
        if (arg == "--tls-cert") {
            tls_certificate = argv[++i];
        } else if (arg == "--tls-key") {
            tls_private_key = argv[++i];
        } else if (arg == "--no-http2") {
            http2 = false;
        } else if (arg == "--compress") {
            compress = true;
        } else if (arg == "--list") {
            options.list_directories = true;
        } else if (arg == "--dotfiles") {
            options.dotfiles = true;
        } else if (arg == "--quiet") {
            quiet = true;
        } else if (arg == "-h" || arg == "--help") {
            std::cout << usage;
            return 0;
        } else if (arg.starts_with("-") || positional == 3) {
            std::cerr << "httpkit-files: unknown option '" << arg << "'\n" << usage;
            return 2;
        } else if (positional == 0) {
            directory = std::string(arg);
            ++positional;
        } else if (positional == 1) {
            unsigned value = 0;
            const auto [end, error] = std::from_chars(arg.data(), arg.data() + arg.size(), value);
            if (error != std::errc{} || end != arg.data() + arg.size() || value > 65535) {
                std::cerr << "httpkit-files: '" << arg << "' is not a port\n" << usage;
                return 2;
            }
            port = static_cast<std::uint16_t>(value);
            ++positional;
        } else {
            host = std::string(arg);
            ++positional;
        }
    }

    http::Server server(port, host);
    server.compression = compress;
    server.tls_certificate = tls_certificate;
    server.tls_private_key = tls_private_key;
    server.http2 = http2;
    if (!quiet)
        server.access_log(std::cout);
    server.on_error([](const std::exception& error, const http::ClientInfo& client) {
        std::cerr << "httpkit-files: " << (client.ip.empty() ? "server" : client.ip) << ": " << error.what() << '\n';
    });
    // SIGINT and SIGTERM close gracefully, SIGHUP reloads the certificate. Before the server
    // starts: a request already waiting (a socket systemd passed) may be answered, and a SIGTERM
    // sent after it, before start() has returned.
    server.stop_on_signals();
    try {
        http::Router router;
        router.files("/", directory, options);
        server.on_receive(router);
        server.start();
    } catch (const std::exception& error) {
        std::cerr << "httpkit-files: " << error.what() << '\n';
        return 1;
    }
    std::cerr << "httpkit-files: serving " << directory << " on " << (tls_certificate.empty() ? "http" : "https") << "://" << host << ':' << server.port() << '/' << std::endl;
    server.wait();
    return 0;
}
