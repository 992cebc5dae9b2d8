// A plaintext server with the settings benchmarks need to change (the idle-connection test keeps
// connections open far longer than the default keep_alive_timeout).
//
//   httpkit-bench-server PORT [--keep-alive-ms N] [--io-threads N] [--router] [--tls CERT KEY]
//
// --router: /plaintext answered through an http::Router of 200 routes, to measure what routing
// costs a whole request.
#include <http/router.hpp>
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
    bool routed = false;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--keep-alive-ms") == 0 && i + 1 < argc)
            server.keep_alive_timeout = std::chrono::milliseconds(std::atol(argv[++i]));
        else if (std::strcmp(argv[i], "--io-threads") == 0 && i + 1 < argc)
            server.io_threads = static_cast<std::size_t>(std::atol(argv[++i]));
        else if (std::strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
            server.tls_certificate = argv[++i];
            server.tls_private_key = argv[++i];
        } else if (std::strcmp(argv[i], "--router") == 0)
            routed = true;
    }
    const auto plaintext = [](http::Request&, http::Response& res) {
        res.content_type("text/plain");
        res.body = "Hello, World!";
    };
    if (routed) {
        http::Router router;
        for (int i = 0; i < 199; ++i)
            router.get("/api/v" + std::to_string(i % 3) + "/resource" + std::to_string(i) + "/{id}/items", plaintext);
        router.get("/plaintext", plaintext);
        server.on_receive(router);
    } else {
        server.on_receive(plaintext);
    }
    server.start();
    running = &server;
    std::signal(SIGINT, stop);
    std::signal(SIGTERM, stop);
    std::cout << "listening " << server.port() << std::endl;
    server.wait();
}
