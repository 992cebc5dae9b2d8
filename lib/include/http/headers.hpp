// http::Headers: header fields, case-insensitive by name, in the order they were added.
// Header-only: the generated failure classes (httpkit::status, header-only) carry them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http {

/// True if `a` and `b` are equal ignoring ASCII case, as field names compare (RFC 9110, Section 5.1).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const char x = a[i];
        const char y = b[i];
        if (x == y)
            continue;
        // Bytes that differ match only as the two cases of one ASCII letter: in bit 0x20 alone.
        const char lower = static_cast<char>(x | 0x20);
        if ((x ^ y) != 0x20 || lower < 'a' || lower > 'z')
            return false;
    }
    return true;
}

/// Header fields. Lookups ignore case; iteration yields (name, value) pairs in insertion order;
/// a name may repeat (use add() and get_all()).
///
///     http::Headers h;
///     h["Content-Type"] = "text/plain";          // sets the first Content-Type, adding it if absent
///     h.add("Set-Cookie", "a=1");                 // appends, even if the name is present
///     if (auto it = h.find("content-type"); it != h.end()) use(it->second);
class Headers {
public:
    using value_type = std::pair<std::string, std::string>;
    using iterator = std::vector<value_type>::iterator;
    using const_iterator = std::vector<value_type>::const_iterator;

private:
    struct named {  // a predicate: the field's name is `name`, in any case
        std::string_view name;
        bool operator()(const value_type& field) const noexcept { return iequals(field.first, name); }
    };

public:
    Headers() = default;
    Headers(std::initializer_list<value_type> fields) : fields_(fields) {}

    /// The value of the first field named `name`, added with an empty value if there is none.
    std::string& operator[](std::string_view name) {
        if (auto it = find(name); it != end())
            return it->second;
        return fields_.emplace_back(std::string(name), std::string()).second;
    }

    iterator find(std::string_view name) noexcept { return std::find_if(begin(), end(), named{name}); }
    const_iterator find(std::string_view name) const noexcept { return std::find_if(begin(), end(), named{name}); }
    bool contains(std::string_view name) const noexcept { return find(name) != end(); }
    /// The first value of `name`, or `fallback` if there is none.
    std::string_view get(std::string_view name, std::string_view fallback = {}) const noexcept {
        const auto it = find(name);
        return it != end() ? std::string_view(it->second) : fallback;
    }
    /// Every value of `name`, in order.
    std::vector<std::string_view> get_all(std::string_view name) const {
        std::vector<std::string_view> values;
        for (const auto& [key, value] : fields_)
            if (iequals(key, name))
                values.emplace_back(value);
        return values;
    }
    std::size_t count(std::string_view name) const noexcept {
        return static_cast<std::size_t>(std::count_if(begin(), end(), named{name}));
    }

    /// Appends a field, keeping any others of the same name.
    void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
    /// Replaces every field named `name` with one field.
    void set(std::string_view name, std::string value) {
        auto it = find(name);
        if (it == end()) {
            fields_.emplace_back(std::string(name), std::move(value));
            return;
        }
        it->second = std::move(value);
        fields_.erase(std::remove_if(it + 1, end(), named{name}), end());
    }
    /// Removes every field named `name`; returns how many there were.
    std::size_t erase(std::string_view name) { return static_cast<std::size_t>(std::erase_if(fields_, named{name})); }

    iterator begin() noexcept { return fields_.begin(); }
    iterator end() noexcept { return fields_.end(); }
    const_iterator begin() const noexcept { return fields_.begin(); }
    const_iterator end() const noexcept { return fields_.end(); }
    std::size_t size() const noexcept { return fields_.size(); }
    bool empty() const noexcept { return fields_.empty(); }
    void clear() noexcept { fields_.clear(); }
    void reserve(std::size_t count) { fields_.reserve(count); }

    friend bool operator==(const Headers&, const Headers&) = default;

private:
    std::vector<value_type> fields_;
};

}  // namespace http
