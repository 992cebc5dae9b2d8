// server.stop_on_signals(): SIGTERM and SIGINT close the server gracefully, SIGHUP reloads its
// certificate. Each server runs in a child process, signalled as a service manager would: were a
// signal left to its default action there, it would end that process, not the test's.
#include "support/ports.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"
#include "support/tls_client.hpp"

#include <http/server.hpp>

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The names of the threads of process `pid` (/proc/PID/task/*/comm).
std::vector<std::string> thread_names(pid_t pid) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
        std::string name;
        std::getline(std::ifstream(task.path() / "comm"), name);
        names.push_back(name);
    }
    return names;
}

std::size_t count_of(const std::vector<std::string>& names, const std::string& name) {
    return static_cast<std::size_t>(std::count(names.begin(), names.end(), name));
}

/// A line from `fd`, waiting up to 10 s for it ("" if none comes).
std::string read_line(int fd) {
    std::string line;
    char c = 0;
    pollfd readable{fd, POLLIN, 0};
    while (::poll(&readable, 1, 10'000) == 1 && ::read(fd, &c, 1) == 1 && c != '\n')
        line += c;
    return line;
}

/// A server with stop_on_signals() in a child process. Its standard error (the signals' log)
/// comes to log_fd(); a handler may write a byte to started_fd() to say it runs.
class SignalledServer {
public:
    explicit SignalledServer(const std::function<void(http::Server&, int started_fd)>& configure) {
        int port_pipe[2], log_pipe[2], started_pipe[2];
        BOOST_REQUIRE(::pipe2(port_pipe, O_CLOEXEC) == 0);
        BOOST_REQUIRE(::pipe2(log_pipe, O_CLOEXEC) == 0);
        BOOST_REQUIRE(::pipe2(started_pipe, O_CLOEXEC) == 0);
        pid_ = ::fork();
        BOOST_REQUIRE(pid_ >= 0);
        if (pid_ == 0)
            run_child(configure, port_pipe[1], log_pipe[1], started_pipe[1]);
        ::close(port_pipe[1]);
        ::close(log_pipe[1]);
        ::close(started_pipe[1]);
        log_fd_ = log_pipe[0];
        started_fd_ = started_pipe[0];
        pollfd readable{port_pipe[0], POLLIN, 0};
        std::uint16_t port = 0;
        if (::poll(&readable, 1, 10'000) == 1 && ::read(port_pipe[0], &port, sizeof port) == sizeof port)
            port_ = port;
        ::close(port_pipe[0]);
        if (port_ == 0)
            BOOST_FAIL("the server did not start: " << read_line(log_fd_));
    }
    ~SignalledServer() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(log_fd_);
        ::close(started_fd_);
    }
    SignalledServer(const SignalledServer&) = delete;
    SignalledServer& operator=(const SignalledServer&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    int log_fd() const { return log_fd_; }
    void signal(int number) const { BOOST_REQUIRE(::kill(pid_, number) == 0); }
    /// Whether a handler said it runs, within 10 s.
    bool handler_started() const {
        pollfd readable{started_fd_, POLLIN, 0};
        char c = 0;
        return ::poll(&readable, 1, 10'000) == 1 && ::read(started_fd_, &c, 1) == 1;
    }
    /// Waits for the child to end: "exit N" or "signal N".
    std::string end() {
        for (int i = 0; i < 1000 && !exited_; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exited_ = true;
                how_ = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                         : "signal " + std::to_string(WTERMSIG(status));
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        return exited_ ? how_ : "still running after 10 s";
    }

private:
    // The child: no Boost.Test here (its checks belong to the test's process); what it finds
    // is its exit status.
    [[noreturn]] static void run_child(const std::function<void(http::Server&, int)>& configure, int port_fd,
                                       int log_fd, int started_fd) {
        ::dup2(log_fd, 2);
        int code = 0;
        try {
            http::Server server(0);
            server.io_threads = 2;
            configure(server, started_fd);
            server.stop_on_signals();  // logs to std::cerr: the pipe
            server.start();
            const std::uint16_t port = server.port();
            if (::write(port_fd, &port, sizeof port) != sizeof port)
                ::_exit(4);
            server.wait();
            // The signal thread ended with the server (joined, it may linger in /proc a moment).
            code = 3;
            for (int i = 0; i < 100 && code == 3; ++i) {
                if (count_of(thread_names(::getpid()), "httpkit-signals") == 0)
                    code = 0;
                else
                    std::this_thread::sleep_for(10ms);
            }
        } catch (const std::exception& error) {
            std::cerr << "child: " << error.what() << std::endl;
            code = 2;
        }
        std::cerr.flush();
        ::_exit(code);
    }

    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    int log_fd_ = -1;
    int started_fd_ = -1;
    bool exited_ = false;
    std::string how_;
};

void answer_slowly(http::Server& s, int started_fd) {
    s.shutdown_timeout = 10s;
    s.on_receive([started_fd](http::Request& req, http::Response& res) {
        if (req.path == "/slow") {
            [[maybe_unused]] const auto written = ::write(started_fd, "s", 1);
            std::this_thread::sleep_for(500ms);
        }
        res.body = "done " + req.path;
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signals, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(sigterm_closes_gracefully_and_the_signal_thread_ends) {
    SignalledServer server(answer_slowly);
    // One thread of its own takes the signals (named once it runs).
    std::size_t signal_threads = 0;
    for (int i = 0; i < 100 && signal_threads == 0; ++i) {
        signal_threads = count_of(thread_names(server.pid()), "httpkit-signals");
        std::this_thread::sleep_for(signal_threads ? 0ms : 10ms);
    }
    BOOST_TEST(signal_threads == 1u);
    BOOST_TEST(test::exchange(server.port(), test::get("/a")).body == "done /a");

    // Without TLS, SIGHUP has nothing to reload: the server goes on, and says nothing.
    server.signal(SIGHUP);
    BOOST_TEST(test::exchange(server.port(), test::get("/b")).body == "done /b");

    // SIGTERM while a request is handled: it is answered, then the server closes and wait()
    // returns (the child exits 0 once it has seen its signal thread end).
    test::RawConnection in_flight(server.port());
    in_flight.send(test::get("/slow"));
    BOOST_REQUIRE(server.handler_started());
    server.signal(SIGTERM);
    const test::RawResponse answer = in_flight.read_response();
    BOOST_TEST(answer.body == "done /slow");
    BOOST_TEST(answer.header("Connection") == "close");
    BOOST_TEST(server.end() == "exit 0");
    BOOST_TEST(!test::port_open(server.port()));
    BOOST_TEST(read_line(server.log_fd()).empty());  // nothing logged: no reload was asked for
}

BOOST_AUTO_TEST_CASE(sigint_closes_too) {
    SignalledServer server(answer_slowly);
    BOOST_TEST(test::exchange(server.port(), test::get("/a")).body == "done /a");
    server.signal(SIGINT);
    BOOST_TEST(server.end() == "exit 0");
    BOOST_TEST(!test::port_open(server.port()));
}

BOOST_AUTO_TEST_CASE(sighup_reloads_the_certificate_and_logs_the_outcome) {
    const test::TestCertificates& certificates = test::TestCertificates::get();  // before the fork
    test::TempDir dir;
    const auto certificate = dir.path() / "server.pem";
    const auto key = dir.path() / "server.key";
    std::filesystem::copy_file(certificates.pem("localhost"), certificate);
    std::filesystem::copy_file(certificates.key("localhost"), key);
    SignalledServer server([&](http::Server& s, int) {
        s.tls_certificate = certificate.string();
        s.tls_private_key = key.string();
        s.on_receive(test::echo_path);
    });
    {
        test::TlsClient client(server.port());
        BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
        BOOST_TEST(client.peer_name() == "localhost");
    }

    // Renewed in the same files, and SIGHUP: a line says so, and new connections get it.
    const auto replace = std::filesystem::copy_options::overwrite_existing;
    std::filesystem::copy_file(certificates.pem("other"), certificate, replace);
    std::filesystem::copy_file(certificates.key("other"), key, replace);
    server.signal(SIGHUP);
    // The program's name (this test's executable), then what happened.
    BOOST_TEST(read_line(server.log_fd()) ==
               program_invocation_short_name + std::string(": TLS certificate and key reloaded"));
    {
        test::TlsClient client(server.port(), {.host = "other.test"});
        BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
        BOOST_TEST(client.peer_name() == "other");
    }

    // A broken key: the line names the file, and the last good pair stays in use.
    std::ofstream(key, std::ios::trunc) << "not a key\n";
    server.signal(SIGHUP);
    const std::string refused = read_line(server.log_fd());
    BOOST_TEST(contains(refused, "'" + key.string() + "'"), refused);
    BOOST_TEST(contains(refused, "; still serving the previous certificate"), refused);
    {
        test::TlsClient client(server.port(), {.host = "other.test"});
        BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
        BOOST_TEST(client.peer_name() == "other");
    }

    server.signal(SIGTERM);
    BOOST_TEST(server.end() == "exit 0");
}

BOOST_AUTO_TEST_CASE(after_start_it_is_refused_and_the_signals_are_left_alone) {
    test::TestServer server([](http::Server& s) { s.on_receive(test::echo_path); });
    BOOST_CHECK_THROW(server.server().stop_on_signals(), std::logic_error);
    sigset_t blocked;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
    BOOST_TEST(!sigismember(&blocked, SIGTERM));
    BOOST_TEST(!sigismember(&blocked, SIGHUP));
    BOOST_TEST(test::exchange(server.port(), test::get("/x")).body == "GET /x");
}

BOOST_AUTO_TEST_SUITE_END()
