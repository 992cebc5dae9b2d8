// Client requests/s over one keep-alive connection: httpkit's http::Client or cpp-httplib's
// client, N sequential GETs of one URL; bench/run client times curl beside them.
//
//   client-bench httpkit|httplib HOST PORT PATH N
#include <http/client.hpp>

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: client-bench httpkit|httplib HOST PORT PATH N\n");
        return 2;
    }
    const std::string_view which = argv[1];
    const std::string host = argv[2];
    const int port = std::atoi(argv[3]);
    const std::string path = argv[4];
    const long n = std::atol(argv[5]);
    std::size_t bytes = 0;
    const auto begin = std::chrono::steady_clock::now();
    if (which == "httpkit") {
        http::Client client;
        const std::string url = "http://" + host + ":" + std::to_string(port) + path;
        for (long i = 0; i < n; ++i)
            bytes += client.get(url).body.size();
    } else {
        httplib::Client client(host, port);
        client.set_keep_alive(true);
        for (long i = 0; i < n; ++i) {
            const auto result = client.Get(path);
            if (!result)
                return 1;
            bytes += result->body.size();
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    std::printf("%.0f\n", static_cast<double>(n) / seconds);
    return bytes == static_cast<std::size_t>(n) * 13 ? 0 : 1;  // every body was "Hello, World!"
}
