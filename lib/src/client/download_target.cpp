#include "client/download_target.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

namespace http::detail {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(int error) { throw std::system_error(error, std::generic_category()); }

// A name of /proc or /dev/fd stands for a descriptor (/dev/stdout is /proc/self/fd/1), not for a
// file the download could replace: what its link reads is where that descriptor's file was.
bool names_a_descriptor(const fs::path& path) {
    const std::string text = path.string();
    return text.starts_with("/proc/") || text.starts_with("/dev/fd/");
}

// Where a chain of symbolic links ends, even at nothing (a dangling link names the file to make);
// `path` itself when it is no link. `through_descriptor`: a link on the way was a descriptor's.
fs::path follow_links(fs::path path, bool& through_descriptor) {
    for (int hops = 0; hops < 40; ++hops) {
        struct stat status;
        if (::lstat(path.c_str(), &status) != 0 || !S_ISLNK(status.st_mode))
            return path;
        through_descriptor = through_descriptor || names_a_descriptor(path);
        const fs::path link = fs::read_symlink(path);
        path = link.is_absolute() ? link : path.parent_path() / link;
    }
    fail(ELOOP);
}

// Six characters a temporary file name is made unique with (O_EXCL makes sure).
std::string random_suffix() {
    static constexpr char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
    std::uniform_int_distribution<std::size_t> pick(0, sizeof letters - 2);
    std::string suffix(6, 'x');
    for (char& c : suffix)
        c = letters[pick(random)];
    return suffix;
}

}  // namespace

DownloadTarget::DownloadTarget(const fs::path& path) {
    bool through_descriptor = names_a_descriptor(path);
    struct stat status;
    const bool exists = ::stat(path.c_str(), &status) == 0;  // through links
    if (!exists && errno != ENOENT)
        fail(errno);
    if (exists && S_ISDIR(status.st_mode))
        throw std::invalid_argument("it is a directory");
    target_ = follow_links(path, through_descriptor);
    if (exists && (!S_ISREG(status.st_mode) || through_descriptor)) {
        // A FIFO, a device, a terminal, a descriptor's file: written where it is, truncated as a
        // shell's > would (a no-op but for a regular file), never created and never removed.
        target_ = path;
        fd_ = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd_ < 0)
            fail(errno);
        return;
    }
    // A regular file, or nothing yet: a temporary beside it (".NAME.XXXXXX", hidden as rsync's
    // are), made with 0666 less the umask as any new file, or with the replaced file's mode.
    std::string name = target_.filename().string();
    if (name.size() > 240)
        name.resize(240);  // ".NAME.XXXXXX" must stay within NAME_MAX
    for (int tries = 0; fd_ < 0; ++tries) {
        temporary_ = target_.parent_path() / ("." + name + "." + random_suffix());
        fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
        if (fd_ < 0 && (errno != EEXIST || tries == 100)) {
            const int error = errno;
            temporary_.clear();
            fail(error);
        }
    }
    if (exists) {
        // As the file replaced was: its permissions, and its owner where the process may say so
        // (root replacing a user's file leaves it the user's).
        if (::fchmod(fd_, status.st_mode & 07777) != 0) {
            const int error = errno;
            discard();
            fail(error);
        }
        if (::fchown(fd_, status.st_uid, status.st_gid) != 0) {
            // Not permitted (another owner, and not root): the file is the process's, as any it makes.
        }
    }
}

DownloadTarget::~DownloadTarget() { discard(); }

void DownloadTarget::discard() noexcept {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    if (!temporary_.empty())
        ::unlink(temporary_.c_str());
    temporary_.clear();
}

void DownloadTarget::write(std::string_view data) {
    if (fd_ < 0)
        fail(EBADF);
    // Written in place, the target may be a pipe whose reader went away: that is EPIPE for this
    // write, not a SIGPIPE that would end the process. The signal is held back meanwhile and, if
    // this write raised it (and it was not pending before), taken off again.
    sigset_t pipe_signal;
    sigset_t previous;
    sigset_t pending;
    bool masked = false;
    bool was_pending = false;
    if (in_place()) {
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        sigpending(&pending);
        was_pending = sigismember(&pending, SIGPIPE) == 1;
        masked = pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous) == 0;
    }
    int error = 0;
    while (!data.empty()) {
        const ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            error = errno;
            break;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (masked) {
        if (error == EPIPE && !was_pending) {
            const timespec none{};
            sigtimedwait(&pipe_signal, nullptr, &none);
        }
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
    if (error != 0)
        fail(error);
}

void DownloadTarget::commit() {
    if (fd_ >= 0) {
        const int closed = ::close(fd_);
        fd_ = -1;
        // A file system may report a failed write only at close (NFS, a full disk): the download
        // then failed, and the target stays as it was.
        if (closed != 0 && errno != EINTR) {
            const int error = errno;
            discard();
            fail(error);
        }
    }
    if (temporary_.empty())
        return;
    if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
        const int error = errno;
        discard();
        fail(error);
    }
    temporary_.clear();
}

}  // namespace http::detail
