// The async client over HTTP/2 (bench/run h2client).
//
//   h2-client URL REQUESTS IN_FLIGHT
//
// Sends REQUESTS GETs of URL with http::Client's async calls, IN_FLIGHT at a time (each a
// coroutine making its share of the requests one after another), all on the calling thread's loop
// (http::run) and, for an https URL of a server that speaks HTTP/2, as streams of one connection.
// Prints requests/s and the process's CPU time per request in microseconds, on one line:
// "RATE CPU_US". A response that is not a 200 over HTTP/2 ends
// the run with an error. TLS certificates are not verified (a benchmark's self-signed server).
#include <http/client.hpp>
#include <http/task.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

http::Task<> worker(http::Client& client, const std::string& url, int count) {
    for (int i = 0; i < count; ++i) {
        const http::Response response = co_await client.async_get(url);
        if (response.status != http::Status::OK || response.version != "2")
            throw std::runtime_error("h2-client: " + url + " answered " + std::to_string(static_cast<int>(response.status)) +
                                     " over HTTP/" + response.version);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: h2-client URL REQUESTS IN_FLIGHT\n");
        return 2;
    }
    const std::string url = argv[1];
    const int requests = std::atoi(argv[2]);
    const int in_flight = std::atoi(argv[3]);
    if (requests <= 0 || in_flight <= 0) {
        std::fprintf(stderr, "h2-client: REQUESTS and IN_FLIGHT are positive\n");
        return 2;
    }
    http::Client client;
    client.skip_peer_verification = true;
    client.http2_prior_knowledge = url.starts_with("http:");
    try {
        http::run(client.async_get(url));  // the connection and its settings, outside the timing
        std::vector<http::Task<>> workers;
        for (int i = 0; i < in_flight; ++i)
            workers.push_back(worker(client, url, requests / in_flight + (i < requests % in_flight ? 1 : 0)));
        const double cpu_before = cpu_seconds();
        const auto began = std::chrono::steady_clock::now();
        http::run(http::when_all(std::move(workers)));
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        const double cpu = cpu_seconds() - cpu_before;
        std::printf("%.0f %.2f\n", requests / seconds, cpu / requests * 1e6);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
