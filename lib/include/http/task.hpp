// http::Task<T>: a coroutine that a handler, a middleware or a client call returns, awaited with
// co_await, driven to its end with http::run() where nothing else drives it.
//
//     router.get("/both", [&](http::Request&, http::Response& res) -> http::Task<> {
//         auto [a, b] = co_await http::when_all(client.async_get(u1), client.async_get(u2));
//         res.write(a.body + b.body);  // no thread held while waiting
//     });
//
// A Task is lazy (nothing runs until it is awaited or run), move-only, and carries what its
// coroutine returns or throws: an exception, typed failures included, comes out of the co_await
// that awaits it. On a server, a handler's coroutine runs on its connection's loop thread; while
// it waits it holds no thread, and what it waits for (a timer, a client's I/O) resumes it on that
// loop. When its client goes away (the connection closes, the HTTP/2 stream is reset, the
// shutdown deadline passes), every await it is suspended in, and every await it starts after,
// throws http::Cancelled: the coroutine unwinds, and no response is sent.
#pragma once

#include <http/detail/chrono.hpp>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <http/detail/function.hpp>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace http {

template <class T = void>
class Task;
class Request;
class Response;

/// A handler that is a coroutine: it returns http::Task<>.
template <class F>
concept TaskHandler = requires(F& f, Request& req, Response& res) {
    { f(req, res) } -> std::same_as<Task<>>;
};
/// A middleware that is a coroutine: `next` runs the rest of the chain as a Task<> to co_await.
template <class F>
concept TaskMiddleware = requires(F& f, Request& req, Response& res, std::function<Task<>()> next) {
    { f(req, res, std::move(next)) } -> std::same_as<Task<>>;
};

/// Thrown by an await once the client whose request a handler serves has gone.
class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("http::Cancelled: the client went away") {}
};

namespace detail {

/// when_all's children still running, and whom the last to finish resumes.
struct Joiner {
    std::size_t remaining = 0;
    std::coroutine_handle<> parent;
};

/// Whether coroutine frames come from a cache of freed ones (PromiseBase::operator new): not under
/// AddressSanitizer (GCC's __SANITIZE_ADDRESS__, Clang's __has_feature), where they go to the
/// allocator as they are, so that a use after free is still caught.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool recycles_frames = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool recycles_frames = false;
#else
inline constexpr bool recycles_frames = true;
#endif
#else
inline constexpr bool recycles_frames = true;
#endif

class PromiseBase {
public:
    /// Coroutine frames come from a cache of the thread's frames freed lately, by size (the
    /// library's own, in src/task/frames.cpp): a request makes and frees several each time.
    static void* operator new(std::size_t size);
    static void operator delete(void* frame, std::size_t size) noexcept;

    struct Final {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> done) const noexcept {
            PromiseBase& promise = done.promise();
            if (promise.joiner)
                return --promise.joiner->remaining == 0 ? promise.joiner->parent : std::noop_coroutine();
            return promise.continuation ? promise.continuation : std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };
    std::suspend_always initial_suspend() const noexcept { return {}; }
    Final final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }
    void rethrow_if_failed() const {
        if (error)
            std::rethrow_exception(error);
    }

    std::coroutine_handle<> continuation;  // who awaits it
    Joiner* joiner = nullptr;              // or: the when_all it is a child of
    std::exception_ptr error;
    bool started = false;                  // resumed already (a plain middleware's next())
};

/// A result of more than a few words (an http::Response) is made on the heap when the coroutine
/// returns, so that the frame of a coroutine suspended in the meantime, which holds its promise,
/// keeps a pointer rather than room for the result.
template <class T>
inline constexpr bool boxed_result = sizeof(T) > 4 * sizeof(void*);

template <class T>
class Promise : public PromiseBase {
public:
    Promise() = default;
    Promise(const Promise&) = delete;
    Promise& operator=(const Promise&) = delete;
    ~Promise() {
        if constexpr (boxed_result<T>)
            delete value_;
    }

    Task<T> get_return_object() noexcept;
    template <class U>
    void return_value(U&& value) {
        if constexpr (boxed_result<T>) {
            T* const made = new T(std::forward<U>(value));
            delete std::exchange(value_, made);
        } else {
            value_.emplace(std::forward<U>(value));
        }
    }
    T take() {
        rethrow_if_failed();
        if constexpr (boxed_result<T>) {
            if (!value_)
                throw std::logic_error("http::Task: the task has no result");
        }
        return std::move(*value_);
    }

private:
    std::conditional_t<boxed_result<T>, T*, std::optional<T>> value_{};
};

template <>
class Promise<void> : public PromiseBase {
public:
    Task<void> get_return_object() noexcept;
    void return_void() const noexcept {}
    void take() const { rethrow_if_failed(); }
};

struct TaskAccess;

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
public:
    using promise_type = detail::Promise<T>;
    using value_type = T;

    /// A task with no coroutine: awaiting it finishes at once (a Task<void>'s only use).
    Task() noexcept = default;
    Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { destroy(); }

    struct Awaiter {
        std::coroutine_handle<promise_type> handle;
        bool await_ready() const noexcept { return !handle || handle.done(); }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) const noexcept {
            handle.promise().continuation = awaiting;
            if (handle.promise().started)
                return std::noop_coroutine();  // it runs already: it resumes `awaiting` when done
            handle.promise().started = true;
            return handle;
        }
        T await_resume() const {
            if constexpr (std::is_void_v<T>) {
                if (handle)
                    handle.promise().take();
            } else {
                if (!handle)
                    throw std::logic_error("http::Task: awaiting a task that has no coroutine");
                return handle.promise().take();
            }
        }
    };
    Awaiter operator co_await() & noexcept { return Awaiter{handle_}; }
    Awaiter operator co_await() && noexcept { return Awaiter{handle_}; }

private:
    friend struct detail::TaskAccess;
    friend class detail::Promise<T>;
    explicit Task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
    void destroy() noexcept {
        if (handle_)
            std::exchange(handle_, {}).destroy();
    }

    std::coroutine_handle<promise_type> handle_;
};

namespace detail {

template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

/// What the library's drivers (the exchange, run(), the router) need of a task.
struct TaskAccess {
    template <class T>
    static std::coroutine_handle<> handle(const Task<T>& task) noexcept {
        return task.handle_;
    }
    template <class T>
    static PromiseBase* promise(const Task<T>& task) noexcept {
        return task.handle_ ? &task.handle_.promise() : nullptr;
    }
    /// The result, or what it threw; the task must be done.
    template <class T>
    static T take(Task<T>& task) {
        if constexpr (std::is_void_v<T>) {
            if (task.handle_)
                task.handle_.promise().take();
        } else {
            if (!task.handle_)
                throw std::logic_error("http::Task: a task that has no coroutine has no result");
            return task.handle_.promise().take();
        }
    }
    /// Runs `task` until it first waits or ends, on this thread, before anyone awaits it.
    template <class T>
    static void start(Task<T>& task) {
        if (task.handle_ && !task.handle_.promise().started) {
            task.handle_.promise().started = true;
            task.handle_.resume();
        }
    }
    template <class T>
    static bool done(const Task<T>& task) noexcept {
        return !task.handle_ || task.handle_.done();
    }
};

/// A void result in a tuple or vector.
template <class T>
using Slot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
Slot<T> take_slot(Task<T>& task) {
    if constexpr (std::is_void_v<T>) {
        TaskAccess::take(task);
        return {};
    } else {
        return TaskAccess::take(task);
    }
}

/// Starts every child, and resumes the awaiting coroutine once the last has finished.
/// How many when_all are starting their tasks on this thread now: while one is, a task that waits
/// has siblings yet to start, and must not wait in a way that holds the thread.
inline thread_local int starting_children = 0;

struct JoinAll {
    std::vector<std::pair<std::coroutine_handle<>, PromiseBase*>> children;
    Joiner joiner;

    bool await_ready() const noexcept { return children.empty(); }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) {
        joiner.remaining = children.size() + 1;  // + 1: none resumes the parent while they start
        joiner.parent = parent;
        struct Starting {
            Starting() noexcept { ++starting_children; }
            ~Starting() { --starting_children; }
        } const starting;
        for (auto& [handle, promise] : children) {
            promise->joiner = &joiner;
            if (!promise->started) {  // (one started already tells the joiner when it ends)
                promise->started = true;
                handle.resume();
            }
        }
        return --joiner.remaining == 0 ? parent : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
};

template <class T>
void add_child(JoinAll& join, Task<T>& task) {
    if (PromiseBase* promise = TaskAccess::promise(task); promise && !TaskAccess::done(task))
        join.children.emplace_back(TaskAccess::handle(task), promise);
}

/// Drives `root` to its end on this thread, on a loop of its own (epoll), for run().
void run_to_end(std::coroutine_handle<> root, PromiseBase* promise);
Task<> sleep(std::chrono::nanoseconds duration);

}  // namespace detail

/// Runs the tasks at once, interleaved on the caller's loop, and gives their results in order
/// (std::monostate for a Task<void>). All of them finish before it does; then the first
/// exception, in argument order, is thrown.
template <class... Ts>
Task<std::tuple<detail::Slot<Ts>...>> when_all(Task<Ts>... tasks) {
    detail::JoinAll join;
    join.children.reserve(sizeof...(Ts));
    (detail::add_child(join, tasks), ...);
    co_await join;
    co_return std::tuple<detail::Slot<Ts>...>{detail::take_slot(tasks)...};
}

/// The same for any number of tasks of one type.
template <class T>
Task<std::conditional_t<std::is_void_v<T>, void, std::vector<detail::Slot<T>>>> when_all(std::vector<Task<T>> tasks) {
    detail::JoinAll join;
    join.children.reserve(tasks.size());
    for (Task<T>& task : tasks)
        detail::add_child(join, task);
    co_await join;
    if constexpr (std::is_void_v<T>) {
        for (Task<T>& task : tasks)
            detail::TaskAccess::take(task);
    } else {
        std::vector<T> results;
        results.reserve(tasks.size());
        for (Task<T>& task : tasks)
            results.push_back(detail::TaskAccess::take(task));
        co_return results;
    }
}

/// Resumes the awaiting coroutine after `duration` (at millisecond resolution), on its loop.
template <class Rep, class Period>
Task<> sleep_for(std::chrono::duration<Rep, Period> duration) {
    return detail::sleep(std::chrono::ceil<std::chrono::nanoseconds>(duration));
}

/// Drives `task` to its end on the calling thread (on a loop of its own, where its timers and
/// client calls run) and returns its result, or throws what it threw. For code outside a
/// server's handlers: main(), tests, a thread of one's own.
template <class T>
T run(Task<T> task) {
    detail::run_to_end(detail::TaskAccess::handle(task), detail::TaskAccess::promise(task));
    return detail::TaskAccess::take(task);
}

}  // namespace http
