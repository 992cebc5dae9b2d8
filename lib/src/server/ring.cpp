#include "server/ring.hpp"

#ifdef HTTPKIT_HAVE_LIBURING

#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>

namespace http::detail {

namespace {

// The provided buffers a multishot receive fills: 1 MiB a loop. A request fits one buffer (a
// browser's is about 700 bytes); their bytes are copied out as soon as they are reaped.
constexpr unsigned buffer_count = 512;  // a power of two
constexpr unsigned buffer_size = 2048;
constexpr unsigned short buffer_group = 0;

constexpr unsigned submission_entries = 1024;
constexpr unsigned completion_entries = 8192;

// A ring socket stops receiving while this much of its input is unread (a handler running, a
// client sending faster than the connection reads): the kernel's socket buffer then holds the
// rest, and TCP slows the client, as it does for an epoll loop that does not read.
constexpr std::size_t max_pending_input = 64 * 1024;
constexpr std::size_t resume_below = 16 * 1024;
// A send copies at most this much, the most a ring socket holds for the kernel.
constexpr std::size_t max_send = 64 * 1024;
// Spare storage kept for reuse: bounded in number and size.
constexpr std::size_t max_spares = 64;

// What a completion is for: the low bits of its user data, above them its slot's address.
enum Kind : std::uint64_t { poll_kind = 1, receive_kind = 2, send_kind = 3, poll_out_kind = 4 };
constexpr std::uint64_t kind_mask = 7;

bool kernel_at_least(int major, int minor) {
    utsname name{};
    if (::uname(&name) != 0)
        return false;
    int got_major = 0;
    int got_minor = 0;
    if (std::sscanf(name.release, "%d.%d", &got_major, &got_minor) != 2)
        return false;
    return got_major > major || (got_major == major && got_minor >= minor);
}

}  // namespace

struct Ring::Slot {
    Watcher* watcher = nullptr;
    int fd = -1;
    bool wake = false;       // the reactor's eventfd
    bool forgotten = false;  // forget() was called: no more events, freed once let go of
    bool retired = false;
    std::uint64_t retired_at = 0;  // the flushes made before it was retired
    std::uint32_t events = 0;  // what a poll asks for
    // What the kernel holds of this slot: each until its last completion.
    bool polling = false;
    bool receiving = false;
    bool sending = false;
    bool polling_out = false;
    bool pausing = false;  // the receive is being cancelled: too much input unread

    std::string in;  // received, not yet given to receive()
    std::size_t in_begin = 0;
    bool in_end = false;
    int in_error = 0;

    std::string out;  // what the send under way sends
    bool send_done = false;
    ssize_t send_result = 0;
    int send_error = 0;

    Slot* previous = nullptr;
    Slot* next = nullptr;

    std::size_t pending() const noexcept { return in.size() - in_begin; }
    std::uint64_t tag(Kind kind) const noexcept { return reinterpret_cast<std::uintptr_t>(this) | kind; }
};

struct Ring::Kernel {
    io_uring ring{};
    io_uring_buf_ring* buffers = nullptr;
    char* memory = nullptr;
    bool buffers_registered = false;

    ~Kernel() {
        if (buffers_registered)
            io_uring_unregister_buf_ring(&ring, buffer_group);
        if (ring.ring_fd > 0)
            io_uring_queue_exit(&ring);
        if (buffers)
            ::munmap(buffers, buffer_count * sizeof(io_uring_buf));
        std::free(memory);
    }

    io_uring_sqe* sqe() {
        io_uring_sqe* entry = io_uring_get_sqe(&ring);
        if (!entry) {
            // Full: hand what is queued to the kernel now (no wait) and take the first entry.
            io_uring_enter(static_cast<unsigned>(ring.ring_fd), flush(), 0, 0, nullptr);
            entry = io_uring_get_sqe(&ring);
        }
        return entry;  // null only if the kernel took none of a full queue
    }

    // liburing's flush without its system call: io_uring_submit_and_wait would make both under
    // the mutex, and the wait must be made without it.
    unsigned flush() noexcept {
        io_uring_sq& sq = ring.sq;
        const unsigned tail = sq.sqe_tail;
        if (sq.sqe_head != tail) {
            sq.sqe_head = tail;
            io_uring_smp_store_release(sq.ktail, tail);
        }
        return tail - io_uring_smp_load_acquire(sq.khead);
    }

    void give_back(unsigned id) noexcept {
        io_uring_buf_ring_add(buffers, memory + static_cast<std::size_t>(id) * buffer_size, buffer_size,
                              static_cast<unsigned short>(id), io_uring_buf_ring_mask(buffer_count), 0);
        io_uring_buf_ring_advance(buffers, 1);
    }
};

std::unique_ptr<Ring> Ring::open(std::string& why) {
    // Made on a thread of its own that ends at once. The task that sets a ring up is told of the
    // ring's work as if by a signal: its blocking calls are interrupted, and one with a timeout
    // (recv with SO_RCVTIMEO) fails with EINTR instead of resuming. Made on the caller's thread,
    // the application's own blocking calls there failed so (the suite's TLS client saw it).
    std::unique_ptr<Ring> ring;
    std::thread([&] { ring = set_up(why); }).join();
    return ring;
}

std::unique_ptr<Ring> Ring::set_up(std::string& why) {
    if (!kernel_at_least(6, 0)) {
        why = "the kernel is older than 6.0 (multishot receive)";
        return nullptr;
    }
    auto kernel = std::make_unique<Kernel>();
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
    params.cq_entries = completion_entries;
    if (const int error = io_uring_queue_init_params(submission_entries, &kernel->ring, &params); error < 0) {
        kernel->ring.ring_fd = -1;
        why = std::string("io_uring_setup: ") + std::strerror(-error);
        return nullptr;
    }
    if (!(params.features & IORING_FEAT_EXT_ARG) || !(params.features & IORING_FEAT_NODROP)) {
        why = "io_uring lacks IORING_FEAT_EXT_ARG or IORING_FEAT_NODROP";
        return nullptr;
    }
    void* ring_memory = ::mmap(nullptr, buffer_count * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                               MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    kernel->memory = static_cast<char*>(std::malloc(std::size_t{buffer_count} * buffer_size));
    if (ring_memory == MAP_FAILED || !kernel->memory) {
        why = "out of memory for io_uring's buffers";
        return nullptr;
    }
    kernel->buffers = static_cast<io_uring_buf_ring*>(ring_memory);
    io_uring_buf_ring_init(kernel->buffers);
    io_uring_buf_reg registration{};
    registration.ring_addr = reinterpret_cast<std::uintptr_t>(kernel->buffers);
    registration.ring_entries = buffer_count;
    registration.bgid = buffer_group;
    if (const int error = io_uring_register_buf_ring(&kernel->ring, &registration, 0); error < 0) {
        why = std::string("io_uring_register_buf_ring: ") + std::strerror(-error);
        return nullptr;
    }
    kernel->buffers_registered = true;
    for (unsigned id = 0; id < buffer_count; ++id)
        io_uring_buf_ring_add(kernel->buffers, kernel->memory + static_cast<std::size_t>(id) * buffer_size,
                              buffer_size, static_cast<unsigned short>(id), io_uring_buf_ring_mask(buffer_count),
                              static_cast<int>(id));
    io_uring_buf_ring_advance(kernel->buffers, buffer_count);
    return std::unique_ptr<Ring>(new Ring(std::move(kernel)));
}

Ring::Ring(std::unique_ptr<Kernel> kernel) noexcept : kernel_(std::move(kernel)) {}

Ring::~Ring() {
    kernel_.reset();  // the kernel lets go of every request first
    while (first_) {
        Slot* const next = first_->next;
        delete first_;
        first_ = next;
    }
}

Ring::Slot* Ring::make_slot(int fd, Watcher* watcher) {
    if (fd < 0)
        throw std::system_error(EBADF, std::system_category(), "httpkit: io_uring watch");
    const auto index = static_cast<std::size_t>(fd);
    if (index >= by_fd_.size())
        by_fd_.resize(std::max<std::size_t>(index + 1, by_fd_.size() * 2), nullptr);
    auto* slot = new Slot;
    slot->fd = fd;
    slot->watcher = watcher;
    slot->wake = watcher == nullptr;
    slot->next = first_;
    if (first_)
        first_->previous = slot;
    first_ = slot;
    by_fd_[index] = slot;
    return slot;
}

void Ring::watch(int fd, std::uint32_t events, Watcher* watcher) {
    Slot* const slot = make_slot(fd, watcher);
    slot->events = events;
    arm_poll(*slot);
}

Ring::Slot* Ring::watch_socket(int fd, Watcher& watcher) {
    Slot* const slot = make_slot(fd, &watcher);
    arm_receive(*slot);
    return slot;
}

void Ring::arm_poll(Slot& slot) {
    io_uring_sqe* const entry = kernel_->sqe();
    if (!entry)
        return;
    // A multishot poll is edge-triggered, as EPOLLET. Level-triggered is a one-shot poll, armed
    // again after each event (reap): it reports at once what is still ready.
    const std::uint32_t mask = slot.events & ~static_cast<std::uint32_t>(EPOLLET);
    if (slot.events & EPOLLET)
        io_uring_prep_poll_multishot(entry, slot.fd, mask);
    else
        io_uring_prep_poll_add(entry, slot.fd, mask);
    io_uring_sqe_set_data64(entry, slot.tag(poll_kind));
    slot.polling = true;
}

void Ring::arm_receive(Slot& slot) {
    io_uring_sqe* const entry = kernel_->sqe();
    if (!entry)
        return;
    io_uring_prep_recv_multishot(entry, slot.fd, nullptr, 0, 0);
    entry->flags |= IOSQE_BUFFER_SELECT;
    entry->buf_group = buffer_group;
    io_uring_sqe_set_data64(entry, slot.tag(receive_kind));
    slot.receiving = true;
}

void Ring::cancel(Slot& slot, unsigned kind) noexcept {
    io_uring_sqe* const entry = kernel_->sqe();
    if (!entry)
        return;
    io_uring_prep_cancel64(entry, slot.tag(static_cast<Kind>(kind)), 0);
    io_uring_sqe_set_data64(entry, 0);  // its own completion says nothing we act on
    entry->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

void Ring::forget(int fd) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size() || !by_fd_[static_cast<std::size_t>(fd)])
        return;
    Slot& slot = *by_fd_[static_cast<std::size_t>(fd)];
    by_fd_[static_cast<std::size_t>(fd)] = nullptr;
    slot.forgotten = true;
    slot.watcher = nullptr;
    // By the request, not by the descriptor: the caller closes it next, and the number may name
    // another socket before the cancellations are submitted.
    if (slot.polling)
        cancel(slot, poll_kind);
    if (slot.receiving)
        cancel(slot, receive_kind);
    if (slot.sending)
        cancel(slot, send_kind);
    if (slot.polling_out)
        cancel(slot, poll_out_kind);
    give_spare(slot.in);
    slot.in_begin = 0;
    retire_if_idle(slot);
}

void Ring::retire_if_idle(Slot& slot) noexcept {
    if (!slot.forgotten || slot.retired || slot.polling || slot.receiving || slot.sending || slot.polling_out)
        return;
    try {
        retired_.push_back(&slot);
        slot.retired = true;
        slot.retired_at = flushes_;
    } catch (...) {
        // Not freed before the ring is: a slot's worth of memory, once.
    }
}

void Ring::collect() noexcept {
    // A cancellation for a request that ended by itself may still wait in the submission queue,
    // naming the slot by its address: a slot is freed only once what was queued before it was
    // retired has gone to the kernel, so that a new slot at the same address is not cancelled.
    std::size_t kept = 0;
    for (Slot* slot : retired_) {
        if (slot->retired_at == flushes_) {
            retired_[kept++] = slot;
            continue;
        }
        if (slot->previous)
            slot->previous->next = slot->next;
        else
            first_ = slot->next;
        if (slot->next)
            slot->next->previous = slot->previous;
        delete slot;
    }
    retired_.resize(kept);
}

std::string Ring::take_spare() {
    if (spares_.empty())
        return {};
    std::string storage = std::move(spares_.back());
    spares_.pop_back();
    return storage;
}

void Ring::give_spare(std::string& storage) noexcept {
    if (storage.capacity() == 0)
        return;
    storage.clear();
    if (spares_.size() < max_spares && storage.capacity() <= max_pending_input + buffer_size) {
        try {
            spares_.push_back(std::move(storage));
        } catch (...) {
        }
    }
    std::string().swap(storage);  // nothing kept by an idle connection
}

ssize_t Ring::receive(Slot& slot, char* buffer, std::size_t room, Input& left) {
    const ssize_t n = take_input(slot, buffer, room);
    left = input(slot);
    return n;
}

ssize_t Ring::take_input(Slot& slot, char* buffer, std::size_t room) {
    if (const std::size_t pending = slot.pending(); pending > 0) {
        const std::size_t n = std::min(room, pending);
        std::memcpy(buffer, slot.in.data() + slot.in_begin, n);
        slot.in_begin += n;
        if (slot.in_begin == slot.in.size()) {
            slot.in_begin = 0;
            give_spare(slot.in);
        }
        resume_receiving(slot);
        return static_cast<ssize_t>(n);
    }
    if (slot.in_error != 0) {
        errno = slot.in_error;
        return -1;
    }
    if (slot.in_end)
        return 0;
    errno = EAGAIN;
    return -1;
}

Ring::Input Ring::input(const Slot& slot) const noexcept {
    if (slot.pending() > 0)
        return Input::bytes;
    return slot.in_end || slot.in_error != 0 ? Input::end : Input::none;
}

void Ring::resume_receiving(Slot& slot) {
    if (slot.forgotten || slot.receiving || slot.in_end || slot.in_error != 0 || slot.pending() >= resume_below)
        return;
    arm_receive(slot);
}

ssize_t Ring::send(Slot& slot, const iovec* buffers, int count) {
    if (slot.send_done) {
        slot.send_done = false;
        if (slot.send_error != 0) {
            errno = slot.send_error;
            slot.send_error = 0;
            return -1;
        }
        return slot.send_result;
    }
    if (slot.sending) {
        errno = EAGAIN;
        return -1;
    }
    slot.out = take_spare();
    for (int i = 0; i < count && slot.out.size() < max_send; ++i) {
        const std::size_t n = std::min(buffers[i].iov_len, max_send - slot.out.size());
        slot.out.append(static_cast<const char*>(buffers[i].iov_base), n);
    }
    if (slot.out.empty())
        return 0;
    io_uring_sqe* const entry = kernel_->sqe();
    if (!entry) {
        give_spare(slot.out);
        errno = EAGAIN;  // the kernel has taken none of a full queue: try again after its events
        return -1;
    }
    // MSG_WAITALL: the kernel goes on with a short send until all of it is out (or it fails).
    io_uring_prep_send(entry, slot.fd, slot.out.data(), slot.out.size(), MSG_NOSIGNAL | MSG_WAITALL);
    io_uring_sqe_set_data64(entry, slot.tag(send_kind));
    slot.sending = true;
    errno = EAGAIN;
    return -1;
}

void Ring::want_writable(Slot& slot) {
    if (slot.sending || slot.polling_out || slot.forgotten)
        return;
    io_uring_sqe* const entry = kernel_->sqe();
    if (!entry)
        return;
    io_uring_prep_poll_add(entry, slot.fd, POLLOUT);
    io_uring_sqe_set_data64(entry, slot.tag(poll_out_kind));
    slot.polling_out = true;
}

unsigned Ring::flush() noexcept {
    ++flushes_;
    return kernel_->flush();
}

void Ring::submit() noexcept {
    if (const unsigned count = kernel_->flush(); count > 0)
        io_uring_enter(static_cast<unsigned>(kernel_->ring.ring_fd), count, 0, 0, nullptr);
}

void Ring::wait(unsigned to_submit, int timeout_ms) noexcept {
    const auto fd = static_cast<unsigned>(kernel_->ring.ring_fd);
    if (timeout_ms < 0) {
        io_uring_enter(fd, to_submit, 1, IORING_ENTER_GETEVENTS, nullptr);
        return;
    }
    __kernel_timespec timeout{};
    timeout.tv_sec = timeout_ms / 1000;
    timeout.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1'000'000;
    io_uring_getevents_arg arg{};
    arg.ts = reinterpret_cast<std::uintptr_t>(&timeout);
    // With IORING_ENTER_EXT_ARG the kernel takes the argument for what liburing types a sigset.
    io_uring_enter2(fd, to_submit, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, reinterpret_cast<sigset_t*>(&arg),
                    sizeof arg);
}

void Ring::reap(std::vector<Ready>& ready, bool& woken) {
    io_uring_cqe* cqe;
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&kernel_->ring, head, cqe) {
        ++seen;
        const std::uint64_t data = io_uring_cqe_get_data64(cqe);
        if (data == 0)
            continue;  // a cancellation that found nothing: the request had ended
        Slot& slot = *reinterpret_cast<Slot*>(data & ~kind_mask);
        const int result = cqe->res;
        const bool more = cqe->flags & IORING_CQE_F_MORE;
        switch (static_cast<Kind>(data & kind_mask)) {
        case poll_kind:
            if (!more)
                slot.polling = false;
            if (slot.forgotten)
                break;
            if (result > 0) {
                if (slot.wake)
                    woken = true;
                else
                    ready.push_back({&slot, static_cast<std::uint32_t>(result)});
            } else if (result < 0 && result != -ECANCELED && !slot.wake) {
                ready.push_back({&slot, EPOLLERR});
            }
            if (!slot.polling && result >= 0)
                arm_poll(slot);  // a one-shot poll, or a multishot one the kernel ended
            break;
        case receive_kind: {
            if (cqe->flags & IORING_CQE_F_BUFFER) {
                const unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
                if (result > 0 && !slot.forgotten) {
                    if (slot.in.capacity() == 0)
                        slot.in = take_spare();
                    slot.in.append(kernel_->memory + std::size_t{id} * buffer_size, static_cast<std::size_t>(result));
                }
                kernel_->give_back(id);
            }
            if (!more) {
                slot.receiving = false;
                slot.pausing = false;
            }
            if (slot.forgotten)
                break;
            if (result > 0) {
                ready.push_back({&slot, EPOLLIN});
                if (slot.pending() >= max_pending_input && slot.receiving && !slot.pausing) {
                    cancel(slot, receive_kind);  // until the connection has read most of it
                    slot.pausing = true;
                }
            } else if (result == 0) {
                slot.in_end = true;
                ready.push_back({&slot, EPOLLIN | EPOLLRDHUP});
            } else if (result != -ENOBUFS && result != -ECANCELED) {
                slot.in_error = -result;
                ready.push_back({&slot, EPOLLIN | EPOLLERR});
            }
            if (!slot.receiving && slot.pending() < max_pending_input)
                resume_receiving(slot);  // out of buffers for a moment, or ended by the kernel
            break;
        }
        case send_kind:
            slot.sending = false;
            give_spare(slot.out);
            if (slot.forgotten)
                break;
            slot.send_done = true;
            if (result >= 0)
                slot.send_result = result;
            else
                slot.send_error = -result;
            ready.push_back({&slot, EPOLLOUT});
            break;
        case poll_out_kind:
            slot.polling_out = false;
            if (!slot.forgotten)
                ready.push_back({&slot, result < 0 ? std::uint32_t{EPOLLOUT | EPOLLERR} : std::uint32_t{EPOLLOUT}});
            break;
        }
        retire_if_idle(slot);
    }
    io_uring_cq_advance(&kernel_->ring, seen);
}

Watcher* Ring::watcher_of(const Slot& slot) noexcept { return slot.watcher; }

}  // namespace http::detail

#else  // built without liburing: every server runs on epoll

namespace http::detail {

struct Ring::Slot {};
struct Ring::Kernel {};

std::unique_ptr<Ring> Ring::open(std::string& why) {
    why = "httpkit was built without liburing";
    return nullptr;
}
Ring::~Ring() = default;
void Ring::watch(int, std::uint32_t, Watcher*) {}
Ring::Slot* Ring::watch_socket(int, Watcher&) { return nullptr; }
void Ring::forget(int) noexcept {}
ssize_t Ring::receive(Slot&, char*, std::size_t, Input&) { return -1; }
Ring::Input Ring::input(const Slot&) const noexcept { return Input::none; }
ssize_t Ring::send(Slot&, const iovec*, int) { return -1; }
void Ring::want_writable(Slot&) {}
unsigned Ring::flush() noexcept { return 0; }
void Ring::submit() noexcept {}
void Ring::wait(unsigned, int) noexcept {}
void Ring::reap(std::vector<Ready>&, bool&) {}
void Ring::collect() noexcept {}
Watcher* Ring::watcher_of(const Slot&) noexcept { return nullptr; }

}  // namespace http::detail

#endif
