// The WebSocket opening handshake (RFC 6455, Section 4) and permessage-deflate's negotiation
// (RFC 7692, Section 7), for the server that answers it and the client that makes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace http::detail::websocket {

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view key);
/// A key is the base64 of 16 bytes: 24 characters, the last two "==".
bool valid_key(std::string_view key) noexcept;

/// The subprotocol a server picks from a Sec-WebSocket-Protocol field's values (`offered`, all
/// of the client's fields joined by commas): the first of `supported` the client offers, in the
/// server's order; empty if none.
std::string choose_subprotocol(std::string_view offered, const std::vector<std::string>& supported);

/// permessage-deflate's parameters, as agreed.
struct DeflateParameters {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    std::uint8_t server_max_window_bits = 15;  ///< the window the server compresses with
    std::uint8_t client_max_window_bits = 15;  ///< the window the client compresses with
};

/// The server's side: from a Sec-WebSocket-Extensions field's value (all of the client's fields
/// joined by commas), the first permessage-deflate offer it can accept, answered with context
/// takeover off both ways (so that neither end keeps a compressor between messages: an idle
/// connection holds no zlib state); nullopt if the client offered none it can accept.
std::optional<DeflateParameters> negotiate_deflate(std::string_view offered);
/// The Sec-WebSocket-Extensions value that answers with `parameters`.
std::string deflate_response(const DeflateParameters& parameters);

/// The client's side: what it offers ("permessage-deflate; client_max_window_bits").
std::string deflate_offer();
/// The server's answer (its Sec-WebSocket-Extensions value) to deflate_offer(): the parameters
/// agreed, nullopt if it declined, or `error` set (and nullopt) when the answer is not one the
/// offer allows.
std::optional<DeflateParameters> accept_deflate_response(std::string_view answer, std::string& error);

}  // namespace http::detail::websocket
