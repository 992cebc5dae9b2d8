// A real nginx for the client tests: started with a configuration written for the test, on
// kernel-chosen loopback ports, and stopped with the fixture.
#pragma once

#include "support/ports.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace test {

/// A temporary directory, removed with the object; readable by nginx's worker user.
class TempDir {
public:
    TempDir() {
        char name[] = "/tmp/httpkit-test-XXXXXX";
        if (!::mkdtemp(name))
            throw std::runtime_error("mkdtemp failed");
        path_ = name;
        ::chmod(name, 0755);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

class Nginx {
public:
    /// `config` is the contents of the http { } block; `dir` holds the files it names.
    Nginx(const std::filesystem::path& dir, const std::string& http_block, std::initializer_list<std::uint16_t> ports)
        : ports_(ports) {
        const auto conf = dir / "nginx.conf";
        std::ofstream(conf) << "worker_processes 1;\ndaemon off;\npid " << (dir / "nginx.pid").string()
                            << ";\nerror_log " << (dir / "error.log").string() << ";\n"
                            << "events { worker_connections 1024; }\nhttp {\n"
                            << "  access_log off;\n  client_body_temp_path " << (dir / "body").string() << ";\n"
                            << http_block << "\n}\n";
        pid_ = ::fork();
        if (pid_ == 0) {
            // Debian installs it in /usr/sbin, which a non-root PATH may lack.
            const char* nginx = std::filesystem::exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
            ::execlp(nginx, "nginx", "-c", conf.c_str(), "-p", dir.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 500; ++i) {
            bool all = true;
            for (const std::uint16_t port : ports_)
                all = all && port_open(port);
            if (all)
                return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_)
                throw std::runtime_error("nginx exited at start; see " + (dir / "error.log").string());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop();
        throw std::runtime_error("nginx did not start listening");
    }
    ~Nginx() { stop(); }

private:
    void stop() {
        if (pid_ > 0) {
            ::kill(pid_, SIGQUIT);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

    pid_t pid_ = -1;
    std::vector<std::uint16_t> ports_;
};

}  // namespace test
