#include "server/successor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>

extern char** environ;

namespace http::detail {
namespace {

// NOTIFY_SOCKET's address: a path, or "@name" in the abstract namespace.
bool notify_address(std::string_view name, sockaddr_un& address, socklen_t& length) noexcept {
    if (name.size() < 2 || name.size() >= sizeof address.sun_path || (name[0] != '/' && name[0] != '@'))
        return false;
    address = {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@')
        address.sun_path[0] = '\0';
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    return true;
}

// The socket a successor says READY=1 on: a datagram socket of the abstract namespace.
class NotifySocket {
public:
    NotifySocket() {
        static std::atomic<unsigned> count{0};
        name_ = "@httpkit-successor-" + std::to_string(::getpid()) + "-" + std::to_string(count++);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd_ < 0)
            throw std::system_error(errno, std::system_category(), "httpkit: successor: socket");
        sockaddr_un address{};
        socklen_t length = 0;
        notify_address(name_, address, length);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
            const int error = errno;
            ::close(fd_);
            throw std::system_error(error, std::system_category(), "httpkit: successor: bind " + name_);
        }
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    int fd() const noexcept { return fd_; }
    const std::string& name() const noexcept { return name_; }

private:
    int fd_ = -1;
    std::string name_;
};

bool says_ready(std::string_view message) {
    while (!message.empty()) {
        const std::size_t end = message.find('\n');
        if (message.substr(0, end) == "READY=1")
            return true;
        if (end == std::string_view::npos)
            break;
        message.remove_prefix(end + 1);
    }
    return false;
}

std::string how_it_ended(int status) {
    if (WIFEXITED(status))
        return "exited with status " + std::to_string(WEXITSTATUS(status)) +
               (WEXITSTATUS(status) == 127 ? " (it could not be run)" : "");
    if (WIFSIGNALED(status))
        return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "ended";
}

}  // namespace

pid_t start_successor(const std::vector<std::string>& argv, const std::vector<int>& listening,
                      std::chrono::milliseconds timeout) {
    if (argv.empty() || argv.front().find('/') == std::string::npos)
        throw std::invalid_argument("httpkit: successor: the command's first word must be a path to a program");
    NotifySocket notify;

    // Everything the child needs is made here: after fork() it may only call what is safe in a
    // signal handler (this process has threads).
    std::vector<std::string> env;
    for (char** entry = environ; *entry; ++entry) {
        const std::string_view text(*entry);
        if (!text.starts_with("LISTEN_") && !text.starts_with("NOTIFY_SOCKET="))
            env.emplace_back(text);
    }
    env.push_back("LISTEN_FDS=" + std::to_string(listening.size()));
    env.push_back("NOTIFY_SOCKET=" + notify.name());
    constexpr std::string_view pid_name = "LISTEN_PID=";
    env.push_back(std::string(pid_name) + std::string(24, '\0'));  // the child writes its pid in
    std::vector<char*> args;
    for (const std::string& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& entry : env)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    char* const pid_value = env.back().data() + pid_name.size();
    // Moved above every descriptor they go to first, so that putting them at 3, 4 ... clobbers
    // none still to be moved.
    int above = 3 + static_cast<int>(listening.size());
    for (const int fd : listening)
        above = std::max(above, fd + 1);
    std::vector<int> moved(listening.size(), -1);

    const pid_t pid = ::fork();
    if (pid < 0)
        throw std::system_error(errno, std::system_category(), "httpkit: successor: fork");
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);  // not this process's blocked signals
        for (std::size_t i = 0; i < listening.size(); ++i)
            if ((moved[i] = ::fcntl(listening[i], F_DUPFD_CLOEXEC, above)) < 0)
                ::_exit(127);
        for (std::size_t i = 0; i < listening.size(); ++i)
            if (::dup2(moved[i], 3 + static_cast<int>(i)) < 0)  // dup2 leaves the copy open across exec
                ::_exit(127);
        char digits[24];
        int count = 0;
        for (pid_t self = ::getpid(); self > 0; self /= 10)
            digits[count++] = static_cast<char>('0' + self % 10);
        char* out = pid_value;
        while (count > 0)
            *out++ = digits[--count];
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char message[4096];
    while (true) {
        const ssize_t n = ::recv(notify.fd(), message, sizeof message, 0);
        if (n > 0) {
            if (says_ready(std::string_view(message, static_cast<std::size_t>(n))))
                return pid;
            continue;
        }
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid)
            throw std::runtime_error("httpkit: the successor " + argv.front() + " " + how_it_ended(status) +
                                     " before it was ready");
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            throw std::runtime_error("httpkit: the successor " + argv.front() + " was not ready within " +
                                     std::to_string(timeout.count()) + " ms: killed");
        }
        pollfd readable{notify.fd(), POLLIN, 0};
        ::poll(&readable, 1, 20);
    }
}

void notify_ready() noexcept {
    const char* name = std::getenv("NOTIFY_SOCKET");
    sockaddr_un address{};
    socklen_t length = 0;
    if (!name || !notify_address(name, address, length))
        return;
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    const std::string message = "READY=1\nMAINPID=" + std::to_string(::getpid());
    ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), length);
    ::close(fd);
}

}  // namespace http::detail
