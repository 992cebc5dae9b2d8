#include "notes.hpp"

#include <http/json.hpp>
#include <http/openapi.hpp>

#include <charconv>
#include <memory>

namespace notes {

nlohmann::json Store::page(std::size_t page, std::size_t per_page) const {
    std::lock_guard lock(mutex_);
    nlohmann::json items = nlohmann::json::array();
    auto it = notes_.begin();
    for (std::size_t skip = (page - 1) * per_page; skip > 0 && it != notes_.end(); --skip)
        ++it;
    for (; it != notes_.end() && items.size() < per_page; ++it)
        items.push_back(it->second);
    return {{"notes", std::move(items)}, {"page", page}, {"per_page", per_page}, {"total", notes_.size()}};
}

nlohmann::json Store::add(const std::string& title, const std::string& text) {
    nlohmann::json note;
    {
        std::lock_guard lock(mutex_);
        const std::uint64_t id = next_id_++;
        note = notes_[id] = {{"id", id}, {"title", title}, {"text", text}};
    }
    publish("created", note);
    return note;
}

std::optional<nlohmann::json> Store::update(std::uint64_t id, const std::function<bool(nlohmann::json&)>& change) {
    nlohmann::json note;
    bool kept = true;
    {
        std::lock_guard lock(mutex_);
        const auto it = notes_.find(id);
        if (it == notes_.end())
            return std::nullopt;
        nlohmann::json changed = it->second;
        kept = change(changed);
        note = changed;
        if (kept)
            it->second = std::move(changed);
        else
            notes_.erase(it);
    }
    publish(kept ? "updated" : "deleted", note);
    return note;
}

std::optional<nlohmann::json> Store::find(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    const auto it = notes_.find(id);
    return it == notes_.end() ? std::nullopt : std::optional(it->second);
}

void Store::subscribe(http::EventStream events) {
    std::uint64_t id = 0;
    {
        std::lock_guard lock(subscribers_mutex_);
        id = next_subscriber_++;
        subscribers_.emplace(id, events);
    }
    // Forgotten as soon as its client leaves, not at the next event that fails.
    events.on_close([this, id] {
        std::lock_guard lock(subscribers_mutex_);
        subscribers_.erase(id);
    });
}

void Store::publish(const std::string& event, const nlohmann::json& note) {
    std::vector<http::EventStream> streams;
    {
        std::lock_guard lock(subscribers_mutex_);
        for (const auto& [id, stream] : subscribers_)
            streams.push_back(stream);
    }
    const std::string data = note.dump();
    for (http::EventStream& stream : streams)  // outside the lock: a stream may end in send()
        stream.send(data, event);
}

std::string etag_of(const nlohmann::json& note) { return http::strong_etag(note.dump()); }

namespace {

// A query parameter as a number from 1 to `max`, `fallback` when absent.
std::size_t query_number(const http::Request& req, const std::string& name, std::size_t fallback, std::size_t max) {
    const auto it = req.queries.find(name);
    if (it == req.queries.end())
        return fallback;
    std::size_t value = 0;
    const std::string& text = it->second;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > max)
        throw http::BadRequest("?" + name + " takes a number from 1 to " + std::to_string(max));
    return value;
}

struct NoteInput {
    std::string title;
    std::string text;
};

// The note's title and text from a JSON body.
NoteInput read_note(const http::Request& req) {
    const nlohmann::json body = http::read_json(req);
    if (!body.is_object() || !body.contains("title") || !body["title"].is_string() || body["title"].get<std::string>().empty() ||
        (body.contains("text") && !body["text"].is_string()))
        throw http::UnprocessableContent(R"(a note is {"title": "a non-empty string", "text": "a string"})");
    return {body["title"].get<std::string>(), body.value("text", "")};
}

void send_note(http::Response& res, const nlohmann::json& note, http::Status status = http::OK) {
    res.headers.set("ETag", etag_of(note));
    http::write_json(res, note, status);
}

std::string not_found(std::uint64_t id) { return "no note " + std::to_string(id); }

}  // namespace

http::Router router(Store& store, const Options& options) {
    http::Router router;
    if (!options.cors_origins.empty())
        router.use(http::cors({.origins = options.cors_origins, .headers = {"If-Match"}, .expose = {"ETag", "Location"}}));
    if (options.rate_limit > 0)
        router.use(http::rate_limit({.limit = options.rate_limit, .window = std::chrono::seconds(60)}));
    constexpr http::Status limited = http::TOO_MANY_REQUESTS;

    router.get("/notes", [&store](http::Request& req, http::Response& res) {
        http::write_json(res, store.page(query_number(req, "page", 1, 1000000), query_number(req, "per_page", 20, 100)));
    }).summary("A page of the notes, oldest first").produces("application/json").fails({http::BAD_REQUEST, limited});

    router.post("/notes", [&store](http::Request& req, http::Response& res) {
        const NoteInput input = read_note(req);
        const nlohmann::json note = store.add(input.title, input.text);
        res.headers.set("Location", "/notes/" + std::to_string(note["id"].get<std::uint64_t>()));
        send_note(res, note, http::CREATED);
    }).summary("Add a note").accepts("application/json").produces("application/json")
      .fails({http::BAD_REQUEST, http::UNSUPPORTED_MEDIA_TYPE, http::UNPROCESSABLE_CONTENT, limited});

    router.get("/notes/{id}", [&store](http::Request& req, http::Response& res) {
        const auto id = req.param<std::uint64_t>("id");
        const std::optional<nlohmann::json> note = store.find(id);
        if (!note)
            throw http::NotFound(not_found(id));
        res.headers.set("ETag", etag_of(*note));
        http::check_preconditions(req, etag_of(*note));  // 304 for the client that has it
        send_note(res, *note);
    }).summary("A note").produces("application/json").fails({http::NOT_FOUND, limited});

    router.put("/notes/{id}", [&store](http::Request& req, http::Response& res) {
        const auto id = req.param<std::uint64_t>("id");
        if (req.headers.get("If-Match").empty())
            throw http::PreconditionRequired("send If-Match with the note's ETag, so that no change is lost");
        const NoteInput input = read_note(req);
        const std::optional<nlohmann::json> note = store.update(id, [&](nlohmann::json& current) {
            http::check_preconditions(req, etag_of(current));  // 412 if it changed meanwhile
            current["title"] = input.title;
            current["text"] = input.text;
            return true;
        });
        if (!note)
            throw http::NotFound(not_found(id));
        send_note(res, *note);
    }).summary("Replace a note, If-Match its ETag").accepts("application/json").produces("application/json")
      .fails({http::NOT_FOUND, http::PRECONDITION_FAILED, http::PRECONDITION_REQUIRED, http::UNPROCESSABLE_CONTENT, limited});

    router.del("/notes/{id}", [&store](http::Request& req, http::Response& res) {
        const auto id = req.param<std::uint64_t>("id");
        const bool found = store.update(id, [&](nlohmann::json& current) {
            http::check_preconditions(req, etag_of(current));
            return false;
        }).has_value();
        if (!found)
            throw http::NotFound(not_found(id));
        res.status = http::NO_CONTENT;
    }).summary("Delete a note").fails({http::NOT_FOUND, http::PRECONDITION_FAILED, limited});

    router.get("/notes/events", [&store](http::Request&, http::Response& res) {
        store.subscribe(http::EventStream(res));
    }).summary("The notes' changes as they happen: created, updated, deleted").produces("text/event-stream");

    auto document = std::make_shared<std::string>();
    router.get("/openapi.json", [document](http::Request&, http::Response& res) {
        res.content_type("application/json");
        res.body = *document;
    }).summary("This document").produces("application/json");

    if (options.metrics)
        router.get("/metrics", [metrics = options.metrics](http::Request&, http::Response& res) {
            res.content_type("text/plain; version=0.0.4; charset=utf-8");
            res.body = metrics();
        }).summary("The server's counters, in Prometheus's text format").produces("text/plain");
    if (!options.ui.empty())
        router.files("/", options.ui);
    *document = router.openapi({.title = "Notes", .version = "1.0"}).dump(2);
    return router;
}

}  // namespace notes
