// What every part of a running server reads: settings and hooks, fixed once it starts.
#pragma once

#include "proto/message/forwarded.hpp"
#include "proto/multipart/multipart.hpp"
#include "proto/parser/chunked.hpp"
#include "proto/parser/request_parser.hpp"

#include <http/server.hpp>
#include <http/task.hpp>

#include <chrono>
#include <functional>
#include <vector>

namespace http::detail {

/// An on_receive hook as the server keeps it: a plain handler's returns a Task with no coroutine.
using ReceiveHook = std::function<Task<>(Request&, Response&)>;

struct ServerConfig {
    std::chrono::milliseconds read_timeout;
    std::chrono::milliseconds write_timeout;
    std::chrono::milliseconds keep_alive_timeout;
    std::chrono::milliseconds lingering_timeout{2000};
    HeadRules head_rules;
    ChunkedLimits chunked_limits;
    std::uint64_t max_body_size;
    std::size_t max_connections;
    std::size_t min_body_rate;
    std::size_t max_form_fields;
    std::size_t stream_buffer_size;
    std::size_t websocket_max_message_size = 16 * 1024 * 1024;
    bool websocket_compression = true;
    std::chrono::milliseconds websocket_ping_interval{30000};
    bool http2 = true;  ///< h2 by ALPN over TLS, h2c by prior knowledge
    bool compression = false;
    std::size_t compression_min_size = 1024;
    MultipartLimits multipart_limits;
    std::vector<Network> trusted_proxies;
    bool proxy_protocol = false;
    std::ostream* access_log = nullptr;
    LogFormat access_log_format = LogFormat::combined;

    std::vector<std::function<void(const ClientInfo&)>> connect_hooks;
    std::vector<std::function<void(const ClientInfo&)>> disconnect_hooks;
    std::vector<ReceiveHook> receive_hooks;
    std::vector<std::function<BodySink(Request&)>> body_hooks;
    std::vector<std::function<void(const Request&, const Response&)>> reply_hooks;
    std::vector<std::function<void(const std::exception&, const ClientInfo&)>> error_hooks;
};

/// The settings of `server` (not its hooks) into `config`. Throws std::invalid_argument for a
/// malformed trusted_proxies entry.
void read_settings(const Server& server, ServerConfig& config);

}  // namespace http::detail
