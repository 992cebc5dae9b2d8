// The installed library end to end: a server on a kernel-chosen port and a client asking it.
#include <http/http.hpp>

#include <iostream>

int main() {
    http::Server server(0);
    server.on_receive([](http::Request& req, http::Response& res) {
        if (req.path != "/hello")
            throw http::NotFound();
        res.write("hello " + req.method);
    });
    server.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    http::Client client;
    const http::Response hello = client.get(base + "/hello");
    const http::Response missing = client.get(base + "/missing");
    server.close();
    server.wait();
    std::cout << hello.body << ", then " << missing.status << '\n';
    return hello.body == "hello GET" && missing.status == http::NOT_FOUND ? 0 : 1;
}
