// httpkit-notes [PORT [HOST]] [--cors-origin ORIGIN]... [--ui DIR] [--rate-limit N]: the notes
// service (notes.hpp) on a server with compression, an access log on stdout, metrics, and a
// graceful close on SIGINT or SIGTERM.
#include "notes.hpp"

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
    notes::Options options;
    std::uint16_t port = 3000;
    std::string host = "127.0.0.1";
    int positional = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--cors-origin" && has_value) {
            options.cors_origins.emplace_back(argv[++i]);
        } else if (arg == "--ui" && has_value) {
            options.ui = argv[++i];
        } else if (arg == "--rate-limit" && has_value) {
            options.rate_limit = std::strtoul(argv[++i], nullptr, 10);
        } else if (!arg.starts_with("--") && positional < 2) {
            if (positional++ == 0)
                port = static_cast<std::uint16_t>(std::strtoul(argv[i], nullptr, 10));
            else
                host = arg;
        } else {
            std::cerr << "usage: httpkit-notes [PORT [HOST]] [--cors-origin ORIGIN]... [--ui DIR] [--rate-limit N]\n";
            return 2;
        }
    }

    notes::Store store;  // outlives the server: event streams refer to it
    http::Server server(port, host);
    server.compression = true;
    server.access_log(std::cout);
    options.metrics = [&server] { return server.metrics(); };
    try {
        server.on_receive(notes::router(store, options));
        server.stop_on_signals();
        server.start();
    } catch (const std::exception& error) {
        std::cerr << "httpkit-notes: " << error.what() << '\n';
        return 1;
    }
    std::cout << "httpkit-notes listening on http://" << host << ':' << server.port() << '/' << std::endl;
    server.wait();
    std::cout << "httpkit-notes stopped" << std::endl;
    return 0;
}
