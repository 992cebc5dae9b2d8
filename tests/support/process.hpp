// Running a real peer (curl, python3 ...) from a test.
#pragma once

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

namespace test {

/// Runs a shell command; returns what it printed on standard output, and its exit status (0 on
/// success) in `status`.
inline std::string run(const std::string& command, int& status) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    BOOST_REQUIRE_MESSAGE(pipe, "cannot run " << command);
    std::array<char, 4096> buffer{};
    while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        output.append(buffer.data(), n);
    const int raw = ::pclose(pipe);
    status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + (WIFSIGNALED(raw) ? WTERMSIG(raw) : 0);
    return output;
}

/// The same, when only the output matters.
inline std::string run(const std::string& command) {
    int status = 0;
    return run(command, status);
}

/// This process's thread count, as the kernel says (/proc/self/status).
inline int thread_count() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("Threads:"))
            return std::stoi(line.substr(8));
    return -1;
}

}  // namespace test
