// The cpp-httplib peer for bench/run: GET /plaintext answers "Hello, World!".
#include <httplib.h>

#include <cstdlib>

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 8083;
    httplib::Server server;
    server.Get("/plaintext", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("Hello, World!", "text/plain");
    });
    return server.listen("127.0.0.1", port) ? 0 : 1;
}
