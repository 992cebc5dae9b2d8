// A plaintext server with the settings benchmarks need to change (the idle-connection test keeps
// connections open far longer than the default keep_alive_timeout).
//
//   httpkit-bench-server PORT [--keep-alive-ms N] [--io-threads N]
#include <http/server.hpp>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace {
http::Server* running = nullptr;
extern "C" void stop(int) {
    if (running)
        running->close();
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: httpkit-bench-server PORT [--keep-alive-ms N] [--io-threads N]\n";
        return 2;
    }
    http::Server server(static_cast<std::uint16_t>(std::atoi(argv[1])));
    for (int i = 2; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--keep-alive-ms") == 0)
            server.keep_alive_timeout = std::chrono::milliseconds(std::atol(argv[i + 1]));
        else if (std::strcmp(argv[i], "--io-threads") == 0)
            server.io_threads = static_cast<std::size_t>(std::atol(argv[i + 1]));
    }
    server.on_receive([](http::Request&, http::Response& res) {
        res.content_type("text/plain");
        res.body = "Hello, World!";
    });
    server.start();
    running = &server;
    std::signal(SIGINT, stop);
    std::signal(SIGTERM, stop);
    std::cout << "listening " << server.port() << std::endl;
    server.wait();
}
