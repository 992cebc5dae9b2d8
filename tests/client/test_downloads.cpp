// Client::download never deletes what it did not write: a regular file is replaced whole through a
// temporary beside it, or left as it was; a FIFO or a device is written in place and never
// removed; links are followed; no temporary is left behind.
#include <http/client.hpp>

#include "site.hpp"
#include "support/raw_server.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using Kind = http::TransportError::Kind;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(const fs::path& path, std::string_view content, mode_t mode = 0640) {
    std::ofstream(path, std::ios::binary) << content;
    ::chmod(path.c_str(), mode);
}

std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.insert(entry.path().filename().string());
    return names;
}

struct stat status_of(const fs::path& path) {
    struct stat s{};
    BOOST_REQUIRE(::lstat(path.c_str(), &s) == 0);
    return s;
}

// Servers that answer every connection alike: a whole body, or one that breaks off.
const std::string new_content = "new content\n";

void answer_whole(int fd) {
    test::RawServer::read_head(fd);
    test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(new_content.size()) +
                                      "\r\nConnection: close\r\n\r\n" + new_content);
}

void answer_broken(int fd) {
    test::RawServer::read_head(fd);
    test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nten bytes\n");
}

void expect_failure(http::Client& client, const std::string& url, const fs::path& path, Kind kind) {
    try {
        client.download(url, path);
        BOOST_ERROR("the download to " << path << " must fail");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == kind), e.what());
    }
}

// A FIFO's other end: reads all it is given (or `limit` bytes, then leaves) on a thread.
class FifoReader {
public:
    FifoReader(const fs::path& path, std::size_t limit = SIZE_MAX)
        : thread_([this, path, limit] {
              const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
              char buffer[4096];
              ssize_t n;
              while (got_.size() < limit && (n = ::read(fd, buffer, sizeof buffer)) > 0)
                  got_.append(buffer, static_cast<std::size_t>(n));
              ::close(fd);
          }) {}
    std::string finish() {
        thread_.join();
        return got_;
    }

private:
    std::string got_;
    std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(downloads)

BOOST_AUTO_TEST_CASE(a_failed_download_leaves_the_file_as_it_was) {
    test::RawServer broken(answer_broken);
    test::TempDir dir;
    const fs::path path = dir.path() / "precious.txt";
    write_file(path, "what the user had\n", 0640);
    const ino_t inode = status_of(path).st_ino;
    http::Client client;
    expect_failure(client, broken.url(), path, Kind::closed);
    BOOST_TEST(read_file(path) == "what the user had\n");
    BOOST_TEST(status_of(path).st_ino == inode);
    BOOST_TEST((status_of(path).st_mode & 07777) == 0640u);
    BOOST_TEST(names_in(dir.path()) == std::set<std::string>{"precious.txt"});  // no temporary left
    // Aborted by on_progress: the same.
    test::RawServer whole(answer_whole);
    client.on_progress = [](const http::Progress& p) { return p.downloaded == 0; };
    expect_failure(client, whole.url(), path, Kind::aborted);
    BOOST_TEST(read_file(path) == "what the user had\n");
    BOOST_TEST(names_in(dir.path()) == std::set<std::string>{"precious.txt"});
}

BOOST_AUTO_TEST_CASE(a_download_replaces_the_file_whole) {
    test::RawServer whole(answer_whole);
    test::TempDir dir;
    const fs::path path = dir.path() / "data.txt";
    write_file(path, "old content\n", 0604);
    const ino_t inode = status_of(path).st_ino;
    std::ifstream opened_before(path, std::ios::binary);  // a reader that had it open
    http::Client client;
    const http::Response r = client.download(whole.url(), path);
    BOOST_TEST(r.status == http::OK);
    BOOST_TEST(read_file(path) == new_content);
    // Renamed into place, not rewritten: the old file, still open, is as it was.
    BOOST_TEST(status_of(path).st_ino != inode);
    std::string old;
    std::getline(opened_before, old);
    BOOST_TEST(old == "old content");
    BOOST_TEST((status_of(path).st_mode & 07777) == 0604u);  // its permissions kept
    BOOST_TEST(names_in(dir.path()) == std::set<std::string>{"data.txt"});
    // A new file gets 0666 less the umask, as any file the process makes.
    const mode_t mask = ::umask(022);
    ::umask(mask);
    client.download(whole.url(), dir.path() / "new.txt");
    BOOST_TEST(read_file(dir.path() / "new.txt") == new_content);
    BOOST_TEST((status_of(dir.path() / "new.txt").st_mode & 07777) == (0666u & ~mask));
    BOOST_TEST(names_in(dir.path()) == (std::set<std::string>{"data.txt", "new.txt"}));
}

BOOST_AUTO_TEST_CASE(no_temporary_left_behind) {
    test::RawServer broken(answer_broken);
    test::TempDir dir;
    http::Client client;
    expect_failure(client, broken.url(), dir.path() / "never.txt", Kind::closed);
    BOOST_TEST(names_in(dir.path()).empty());
    // A name as long as a file system takes: the temporary's name is cut short, not refused.
    const std::string longest(255, 'n');
    test::RawServer whole(answer_whole);
    client.download(whole.url(), dir.path() / longest);
    BOOST_TEST(read_file(dir.path() / longest) == new_content);
    expect_failure(client, broken.url(), dir.path() / longest, Kind::closed);
    BOOST_TEST(read_file(dir.path() / longest) == new_content);
    BOOST_TEST(names_in(dir.path()) == std::set<std::string>{longest});
}

BOOST_AUTO_TEST_CASE(a_fifo_is_written_in_place_and_never_removed) {
    test::TempDir dir;
    const fs::path fifo = dir.path() / "pipe";
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    http::Client client;
    {
        test::RawServer whole(answer_whole);
        FifoReader reader(fifo);
        client.download(whole.url(), fifo);
        BOOST_TEST(reader.finish() == new_content);
    }
    BOOST_TEST(S_ISFIFO(status_of(fifo).st_mode));
    {
        test::RawServer broken(answer_broken);
        FifoReader reader(fifo);
        expect_failure(client, broken.url(), fifo, Kind::closed);
        BOOST_TEST(reader.finish() == "ten bytes\n");  // what arrived went through
    }
    BOOST_TEST(S_ISFIFO(status_of(fifo).st_mode));
    BOOST_TEST(names_in(dir.path()) == std::set<std::string>{"pipe"});
    // A reader that leaves early: the download fails (EPIPE), the process gets no SIGPIPE.
    {
        test::RawServer endless([](int fd) {
            test::RawServer::read_head(fd);
            test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n\r\n");
            const std::string block(65536, 'x');
            for (int i = 0; i < 128; ++i)
                test::RawServer::send_all(fd, block);
        });
        FifoReader reader(fifo, 1);
        expect_failure(client, endless.url(), fifo, Kind::io);
        reader.finish();
    }
    BOOST_TEST(S_ISFIFO(status_of(fifo).st_mode));
}

BOOST_AUTO_TEST_CASE(a_device_is_written_in_place_and_never_removed) {
    // A null device of our own (never the system's /dev/null: a broken client would remove it).
    test::TempDir dir;
    const fs::path device = dir.path() / "null";
    if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
        BOOST_TEST_MESSAGE("cannot make a device node here (not root?): the device case is left out");
        return;
    }
    http::Client client;
    test::RawServer broken(answer_broken);
    expect_failure(client, broken.url(), device, Kind::closed);
    BOOST_TEST(S_ISCHR(status_of(device).st_mode));
    test::RawServer whole(answer_whole);
    BOOST_TEST(client.download(whole.url(), device).status == http::OK);
    BOOST_TEST(S_ISCHR(status_of(device).st_mode));
    BOOST_TEST(names_in(dir.path()) == std::set<std::string>{"null"});
}

BOOST_AUTO_TEST_CASE(symbolic_links_are_followed_and_kept) {
    test::RawServer whole(answer_whole);
    test::RawServer broken(answer_broken);
    test::TempDir dir;
    fs::create_directory(dir.path() / "real");
    write_file(dir.path() / "real" / "file.txt", "old\n");
    fs::create_symlink("real/file.txt", dir.path() / "link.txt");
    http::Client client;
    expect_failure(client, broken.url(), dir.path() / "link.txt", Kind::closed);
    BOOST_TEST(read_file(dir.path() / "real" / "file.txt") == "old\n");
    client.download(whole.url(), dir.path() / "link.txt");
    BOOST_TEST(fs::is_symlink(dir.path() / "link.txt"));
    BOOST_TEST(read_file(dir.path() / "real" / "file.txt") == new_content);
    BOOST_TEST(names_in(dir.path() / "real") == std::set<std::string>{"file.txt"});
    // A dangling link names the file to make.
    fs::create_symlink("real/made.txt", dir.path() / "dangling.txt");
    client.download(whole.url(), dir.path() / "dangling.txt");
    BOOST_TEST(fs::is_symlink(dir.path() / "dangling.txt"));
    BOOST_TEST(read_file(dir.path() / "real" / "made.txt") == new_content);
}

BOOST_AUTO_TEST_CASE(what_cannot_be_written_is_said_before_asking) {
    std::atomic<int> asked{0};
    test::RawServer whole([&](int fd) {
        ++asked;
        answer_whole(fd);
    });
    test::TempDir dir;
    fs::create_directory(dir.path() / "a directory");
    http::Client client;
    try {
        client.download(whole.url(), dir.path() / "a directory");
        BOOST_FAIL("a directory is not a download's target");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::io));
        BOOST_TEST(std::string(e.what()).ends_with("a directory: it is a directory"));
    }
    BOOST_TEST(fs::is_directory(dir.path() / "a directory"));
    try {
        client.download(whole.url(), dir.path() / "missing" / "file.txt");
        BOOST_FAIL("a missing directory must be said");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::io));
        BOOST_TEST(std::string(e.what()).ends_with("file.txt: No such file or directory"));
    }
    BOOST_TEST(asked == 0);  // no request for what could not be stored
}

BOOST_AUTO_TEST_CASE(retries_never_write_twice) {
    // A 503 retried: its body is not the file's; the file gets the answer to the retry alone.
    std::atomic<int> asked{0};
    test::RawServer busy_then_whole([&](int fd) {
        if (++asked == 1) {
            test::RawServer::read_head(fd);
            test::RawServer::send_all(fd, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 5\r\n"
                                          "Connection: close\r\n\r\nbusy\n");
        } else {
            answer_whole(fd);
        }
    });
    test::TempDir dir;
    http::Client client;
    client.retries = 1;
    BOOST_TEST(client.download(busy_then_whole.url(), dir.path() / "file.txt").status == http::OK);
    BOOST_TEST(read_file(dir.path() / "file.txt") == new_content);
    BOOST_TEST(asked == 2);
    // A body broken off after some of it was written is not asked again (it would be appended):
    // the download fails and the file is as it was.
    asked = 0;
    test::RawServer broken_then_whole([&](int fd) {
        if (++asked == 1)
            answer_broken(fd);
        else
            answer_whole(fd);
    });
    write_file(dir.path() / "file.txt", "kept\n");
    expect_failure(client, broken_then_whole.url(), dir.path() / "file.txt", Kind::closed);
    BOOST_TEST(read_file(dir.path() / "file.txt") == "kept\n");
    BOOST_TEST(asked == 1);
    // The last answer is kept whatever its status, held or not: a 503 when retries run out.
    asked = 0;
    client.retries = 0;
    BOOST_TEST(client.download(busy_then_whole.url(), dir.path() / "busy.txt").status == http::SERVICE_UNAVAILABLE);
    BOOST_TEST(read_file(dir.path() / "busy.txt") == "busy\n");
}

BOOST_AUTO_TEST_CASE(a_401_that_cannot_be_answered_is_the_files) {
    // With credentials, a 401's body is held back while the challenge may be answered; a
    // challenge in no scheme the client speaks leaves the 401 the answer, and its body the file's.
    test::RawServer unknown_scheme([](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 7\r\n"
                                      "Connection: close\r\n\r\ndenied\n");
    });
    test::TempDir dir;
    http::Client client;
    client.username = "user";
    client.password = "secret";
    BOOST_TEST(client.download(unknown_scheme.url(), dir.path() / "answer.txt").status == http::UNAUTHORIZED);
    BOOST_TEST(read_file(dir.path() / "answer.txt") == "denied\n");
}

BOOST_AUTO_TEST_CASE(a_download_has_no_max_body_size) {
    // The limit is for bodies held in memory; a file is as large as it is (32 MiB here, announced
    // by Content-Length).
    const auto& site = test::Site::get();
    test::TempDir dir;
    http::Client client;
    client.max_body_size = 1000;
    const http::Response r = client.download(site.http("/large.bin"), dir.path() / "large.bin");
    BOOST_TEST(r.status == http::OK);
    BOOST_TEST((read_file(dir.path() / "large.bin") == site.large));
    BOOST_CHECK_THROW(client.get(site.http("/large.bin")), http::TransportError);  // held: refused
}

BOOST_AUTO_TEST_SUITE_END()
