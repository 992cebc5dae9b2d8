// The I/O engines: which one a server runs on, the fallback to epoll where io_uring is refused,
// and what only the io_uring engine does (receiving into its own buffers, pausing).
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <http/server.hpp>

#include <boost/test/unit_test.hpp>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>

using namespace std::chrono_literals;

namespace {

/// True if this kernel gives a server io_uring (it may not: seccomp, the sysctl, an old kernel).
bool io_uring_available() {
    http::Server probe(0);
    probe.io_threads = 1;
    probe.io_engine = http::IoEngine::io_uring;
    try {
        probe.start();
    } catch (const std::system_error&) {
        return false;
    }
    probe.close();
    probe.wait();
    return true;
}

#ifdef HTTPKIT_ECHO
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// Runs httpkit-echo with `arguments` where io_uring_setup fails with EPERM, as under Docker's
/// default seccomp profile; returns its first line (standard output and error together).
std::string echo_without_io_uring(const std::string& arguments, int& status) {
    // Made before the fork: the child of a threaded process may not allocate.
    std::string command = "exec " HTTPKIT_ECHO " ";
    command += arguments;
    int out[2];
    BOOST_REQUIRE_EQUAL(::pipe(out), 0);
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        ::close(out[0]);
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
            ::_exit(100);
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(101);
    }
    ::close(out[1]);
    std::string line;
    char c = 0;
    pollfd readable{out[0], POLLIN, 0};
    while (::poll(&readable, 1, 10'000) == 1 && ::read(out[0], &c, 1) == 1 && c != '\n')
        line += c;
    ::close(out[0]);
    ::kill(child, SIGTERM);
    int raw = 0;
    ::waitpid(child, &raw, 0);
    status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return line;
}
#endif

}  // namespace

BOOST_AUTO_TEST_SUITE(engines)

BOOST_AUTO_TEST_CASE(the_engine_in_use_is_told) {
    http::Server idle(0);
    BOOST_TEST(http::to_string(idle.io_engine_in_use()) == "automatic");  // not started
    BOOST_TEST(http::to_string(http::IoEngine::io_uring) == "io_uring");

    test::TestServer on_epoll([](http::Server& s) {
        s.io_engine = http::IoEngine::epoll;
        s.on_receive([](http::Request&, http::Response& res) { res.write("epoll"); });
    });
    BOOST_TEST(http::to_string(on_epoll.server().io_engine_in_use()) == "epoll");

    test::TestServer chosen([](http::Server& s) {
        s.on_receive([](http::Request&, http::Response& res) { res.write("chosen"); });
    });
    const std::string_view engine = http::to_string(chosen.server().io_engine_in_use());
    const char* asked = std::getenv("HTTPKIT_IO_ENGINE");
    if (asked && std::string(asked) == "epoll")
        BOOST_TEST(engine == "epoll");
    else
        BOOST_TEST(engine == (io_uring_available() ? "io_uring" : "epoll"));
    test::RawConnection connection(chosen.port());
    connection.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    BOOST_TEST(connection.read_response().body == "chosen");
}

#ifdef HTTPKIT_ECHO
BOOST_AUTO_TEST_CASE(where_io_uring_is_refused_automatic_runs_on_epoll_and_asking_for_it_fails) {
    int status = 0;
    const std::string automatic = echo_without_io_uring("0 --threads 1", status);
    BOOST_TEST(contains(automatic, "httpkit-echo listening on http://127.0.0.1:"), automatic);
    BOOST_TEST(contains(automatic, "(epoll)"), automatic);

    const std::string asked = echo_without_io_uring("0 --threads 1 --io-engine io_uring", status);
    BOOST_TEST(status == 1);
    BOOST_TEST(contains(asked, "io_uring_setup: Operation not permitted"), asked);
}
#endif

BOOST_AUTO_TEST_CASE(a_paused_ring_socket_loses_nothing) {
    if (!io_uring_available()) {
        BOOST_TEST_MESSAGE("io_uring is not available here: nothing to test");
        return;
    }
    // The first request's handler blocks while the second request's 8 MiB body arrives: the
    // ring socket takes what its buffers hold (1 MiB), stops receiving, and goes on once the
    // connection has read most of what it took.
    constexpr std::size_t size = 8 << 20;
    test::TestServer server([](http::Server& s) {
        s.io_engine = http::IoEngine::io_uring;
        s.max_body_size = 16 << 20;
        s.on_receive([](http::Request& req, http::Response& res) {
            if (req.path == "/slow") {
                std::this_thread::sleep_for(300ms);
                res.write("slow");
                return;
            }
            bool intact = req.body.size() == size;
            for (std::size_t i = 0; intact && i < req.body.size(); ++i)
                intact = req.body[i] == static_cast<char>('a' + i % 23);
            res.write(intact ? "intact" : "damaged");
        });
    });
    std::string body(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        body[i] = static_cast<char>('a' + i % 23);
    test::RawConnection connection(server.port());
    connection.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\nPOST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                    std::to_string(size) + "\r\n\r\n" + body);
    BOOST_TEST(connection.read_response().body == "slow");
    BOOST_TEST(connection.read_response().body == "intact");
}

BOOST_AUTO_TEST_SUITE_END()
