// The notes service: a REST API of notes in memory, with what such a service needs around it.
//
//   GET    /notes?page=P&per_page=N   a page of the notes (N up to 100), oldest first
//   POST   /notes                     {"title": "...", "text": "..."} -> 201, Location, ETag
//   GET    /notes/{id}                the note, with its ETag (If-None-Match -> 304)
//   PUT    /notes/{id}                replace it: If-Match with its ETag required (428 without,
//                                     412 when it changed meanwhile: optimistic concurrency)
//   DELETE /notes/{id}                delete it (If-Match honoured)
//   GET    /notes/events              Server-Sent Events: "created", "updated", "deleted"
//   GET    /openapi.json              the OpenAPI document of all this
//   GET    /metrics                   the server's counters, in Prometheus's text format
//   GET    /                          the UI (static files), when given
//
// CORS for the origins given, a rate limit per client address; failures are problem bodies.
#pragma once

#include <http/http.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace notes {

struct Options {
    std::vector<std::string> cors_origins{};  ///< origins whose pages may call the API
    std::size_t rate_limit = 600;              ///< requests a minute per client address; 0: none
    std::filesystem::path ui{};                ///< the UI's directory, served at /; empty: none
    std::function<std::string()> metrics{};   ///< served at /metrics (server.metrics()); empty: none
};

/// The notes, and the event streams that follow their changes. Thread-safe.
class Store {
public:
    /// The notes of a page (from 1), the total count beside them.
    nlohmann::json page(std::size_t page, std::size_t per_page) const;
    nlohmann::json add(const std::string& title, const std::string& text);
    /// Runs `change` on the note under the store's lock (it may throw to refuse the change): the
    /// check of its ETag and its update are one step. nullopt: no such note; `change` returned
    /// false: the note is deleted.
    std::optional<nlohmann::json> update(std::uint64_t id, const std::function<bool(nlohmann::json&)>& change);
    std::optional<nlohmann::json> find(std::uint64_t id) const;
    void subscribe(http::EventStream events);

private:
    void publish(const std::string& event, const nlohmann::json& note);

    mutable std::mutex mutex_;
    std::map<std::uint64_t, nlohmann::json> notes_;
    std::uint64_t next_id_ = 1;
    std::mutex subscribers_mutex_;
    std::map<std::uint64_t, http::EventStream> subscribers_;
    std::uint64_t next_subscriber_ = 0;
};

/// The note's entity-tag: a strong one of its JSON.
std::string etag_of(const nlohmann::json& note);

/// The service's routes, for server.on_receive() or an http::TestClient.
http::Router router(Store& store, const Options& options);

}  // namespace notes
