// The io_uring half of the reactor (reactor.hpp): what the server's loop does through io_uring
// when the kernel allows it, where the other half uses epoll.
//
// - Descriptors that are only watched (listening sockets, the wake eventfd, TLS connections)
//   get a multishot poll: edge-triggered unless asked level, as epoll's EPOLLET.
// - A plain connection's bytes go through the ring ("ring sockets"): a multishot receive into a
//   provided buffer ring, whose bytes are copied to the socket's own pending input at once (so
//   the ring's buffers go back as soon as they come), and one send at a time from a copy of what
//   the connection sends. The connection reads and writes as it would a non-blocking socket:
//   receive() and send() answer EAGAIN, and an EPOLLIN or EPOLLOUT event follows when there is
//   more to read or the send is done. So a request costs no system call of its own: the receive,
//   the send and the wait for the next events go in one io_uring_enter.
//
// Every call but wait() is made with the reactor's mutex held, so that a thread that takes the
// loop over from a blocked one never shares the ring's queues with it.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace http::detail {

class Watcher;

class Ring {
public:
    /// A descriptor the ring knows: what it is waiting for, and a ring socket's bytes.
    struct Slot;
    /// An event for a slot's watcher, in epoll's terms (EPOLLIN, EPOLLOUT, EPOLLRDHUP ...).
    struct Ready {
        Slot* slot;
        std::uint32_t events;
    };

    /// A ring ready for the server's loop, or nullptr with `why` saying what the kernel (or the
    /// build) refused: no io_uring (seccomp, kernel.io_uring_disabled, ENOSYS), a kernel older
    /// than 6.0 (multishot receive), no provided buffer rings.
    static std::unique_ptr<Ring> open(std::string& why);
    ~Ring();
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    /// Polls `fd` for `events` (epoll's bits; level-triggered unless EPOLLET) until forgotten.
    /// A null watcher marks the wake descriptor: its events set `woken` in reap().
    void watch(int fd, std::uint32_t events, Watcher* watcher);
    /// `fd`, a connected non-blocking stream socket, reads and writes through the ring from now
    /// on, until forgotten.
    Slot* watch_socket(int fd, Watcher& watcher);
    /// Stops everything under way on `fd`; its watcher is told nothing more. The slot is freed
    /// by collect() once the kernel has let go of it.
    void forget(int fd) noexcept;

    /// What receive() has to give: nothing yet, bytes, or the end (or an error).
    enum class Input { none, bytes, end };
    Input input(const Slot& slot) const noexcept;
    /// Up to `room` bytes of what a ring socket received; 0 at its end; -1 with errno EAGAIN
    /// (nothing yet) or the receive's error. `left` says what it has to give after.
    ssize_t receive(Slot& slot, char* buffer, std::size_t room, Input& left);
    /// Sends as a non-blocking socket would, but a send takes a completion to finish: the first
    /// call copies the buffers (up to 64 KiB) and answers EAGAIN; EPOLLOUT comes when they are
    /// out, and the next call answers how many of them went (callers send again from where they
    /// stood, so those are the first bytes of what they pass). -1 with errno for a failed send.
    ssize_t send(Slot& slot, const iovec* buffers, int count);
    /// A direct write to the socket (sendfile) found it full: EPOLLOUT when it has room. Nothing
    /// to do while a send is under way: its completion says so.
    void want_writable(Slot& slot);

    /// Makes the prepared requests visible to the kernel; how many to submit.
    unsigned flush() noexcept;
    /// Submits the prepared requests without waiting (the loop has finished).
    void submit() noexcept;
    /// Submits, then waits up to `timeout_ms` (-1: no limit) for a completion. Without the mutex.
    void wait(unsigned to_submit, int timeout_ms) noexcept;
    /// Takes the completions: input copied out, requests re-armed, events for watchers added to
    /// `ready`.
    void reap(std::vector<Ready>& ready, bool& woken);
    /// Frees the slots forgotten and let go of; only when no event in hand can name them.
    void collect() noexcept;

    /// The watcher of a slot an event came for; null once forgotten.
    static Watcher* watcher_of(const Slot& slot) noexcept;

private:
    struct Kernel;
    static std::unique_ptr<Ring> set_up(std::string& why);
    explicit Ring(std::unique_ptr<Kernel> kernel) noexcept;
    Slot* make_slot(int fd, Watcher* watcher);
    ssize_t take_input(Slot& slot, char* buffer, std::size_t room);
    void arm_poll(Slot& slot);
    void arm_receive(Slot& slot);
    void cancel(Slot& slot, unsigned kind) noexcept;
    /// Receives again if it stopped and the pending input has room.
    void resume_receiving(Slot& slot);
    void retire_if_idle(Slot& slot) noexcept;
    std::string take_spare();
    void give_spare(std::string& storage) noexcept;

    std::unique_ptr<Kernel> kernel_;
    std::vector<Slot*> by_fd_;          // the live slot of each descriptor
    std::vector<Slot*> retired_;        // forgotten and let go of by the kernel; freed by collect()
    std::vector<std::string> spares_;   // storage of drained inputs and finished sends, reused
    Slot* first_ = nullptr;             // every slot not yet freed, for the destructor
    std::uint64_t flushes_ = 0;         // submission queue flushes: see collect()
};

}  // namespace http::detail
