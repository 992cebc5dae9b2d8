// http::Event: one Server-Sent Event, as a client reads it (Client::events()).
#pragma once

#include <string>

namespace http {

/// One Server-Sent Event (the HTML standard, "Server-sent events"):
///
///     client.events(url, [](const http::Event& e) { std::cout << e.event << ": " << e.data << '\n'; return true; });
struct Event {
    std::string data;   ///< its data: lines joined with LF
    std::string event;  ///< its type: "message" unless the server named one
    std::string id;     ///< the last event ID the stream set (sent as Last-Event-ID on reconnecting)
};

}  // namespace http
