// The cpp-httplib peer for bench/run: GET /plaintext answers "Hello, World!".
// Configured as one would for a benchmark: TCP_NODELAY on (off by default, which costs each
// response a delayed-ACK wait) and a thread pool as large as the busiest connection count it
// serves, since each keep-alive connection holds a thread.
#include <httplib.h>

#include <cstdlib>

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 8083;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 512;
    httplib::Server server;
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(1000000);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    server.Get("/plaintext", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("Hello, World!", "text/plain");
    });
    return server.listen("127.0.0.1", port) ? 0 : 1;
}
