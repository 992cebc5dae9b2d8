// A hot upgrade's two halves: starting a successor process with the listening sockets, as
// systemd's socket activation passes them, and the readiness message (sd_notify's READY=1) a
// server sends when it serves.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace http::detail {

/// Starts `argv` (argv[0] a path) with `listening` (descriptors) as LISTEN_FDS from 3, LISTEN_PID
/// its pid, and NOTIFY_SOCKET a socket of this call's, and waits up to `timeout` for it to send
/// READY=1 there. Returns its pid. Throws std::runtime_error, saying why, when it cannot start,
/// exits first, or is not ready in time (it is then killed and reaped).
pid_t start_successor(const std::vector<std::string>& argv, const std::vector<int>& listening,
                      std::chrono::milliseconds timeout);

/// Sends READY=1 (and MAINPID) to $NOTIFY_SOCKET when it is set, as sd_notify(3) does: to
/// systemd for a Type=notify service, or to the process that started this one as its successor.
void notify_ready() noexcept;

}  // namespace http::detail
