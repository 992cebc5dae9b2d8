// http::Headers: header fields, case-insensitive by name, in the order they were added.
// Header-only: the generated failure classes (httpkit::status, header-only) carry them.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace http {

namespace detail {

// A name of the field registry as an enum: http::Field, for which the generated <http/fields.hpp>
// declares field_name(). This header does not include it, nor name the type (the protocol core
// has a detail::Field of its own): the members below that take a Field are templates, compiled
// only where they are used, and field_name() is found then by argument-dependent lookup.
template <class F>
concept registered_field = std::is_enum_v<F> && requires(F field) { std::string_view{field_name(field)}; };

}  // namespace detail

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
///     h[http::Field::CACHE_CONTROL] = "no-store";  // a registered name, as an http::Field
///
/// Every member that takes a name also takes an http::Field (<http/fields.hpp>), which stands
/// for the name as the field registry spells it.
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
        return fields_.emplace_back(std::piecewise_construct, std::forward_as_tuple(name), std::forward_as_tuple()).second;
    }

    iterator find(std::string_view name) noexcept {
        auto it = begin();
        while (it != end() && !iequals(it->first, name))
            ++it;
        return it;
    }
    const_iterator find(std::string_view name) const noexcept {
        auto it = begin();
        while (it != end() && !iequals(it->first, name))
            ++it;
        return it;
    }
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
        std::size_t n = 0;
        for (const auto& field : fields_)
            n += iequals(field.first, name) ? 1 : 0;
        return n;
    }

    /// Appends a field, keeping any others of the same name.
    void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
    /// Replaces every field named `name` with one field.
    void set(std::string_view name, std::string value) {
        auto it = find(name);
        if (it == end()) {
            // The name made in place, not made and then moved.
            fields_.emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                                 std::forward_as_tuple(std::move(value)));
            return;
        }
        it->second = std::move(value);
        auto kept = it + 1;  // the later fields named `name` go; the others close up, in order
        for (auto next = kept; next != end(); ++next)
            if (!iequals(next->first, name)) {
                if (kept != next)
                    *kept = std::move(*next);
                ++kept;
            }
        fields_.erase(kept, end());
    }
    /// Removes every field named `name`; returns how many there were.
    std::size_t erase(std::string_view name) { return static_cast<std::size_t>(std::erase_if(fields_, named{name})); }

    // The same, by registered field name: `h[http::Field::CONTENT_TYPE]`, `h.get(http::Field::ETAG)`.
    // field_name() comes from <http/fields.hpp>, found when one of these is used.
    template <detail::registered_field F>
    std::string& operator[](F field) { return (*this)[field_name(field)]; }
    template <detail::registered_field F>
    iterator find(F field) noexcept { return find(field_name(field)); }
    template <detail::registered_field F>
    const_iterator find(F field) const noexcept { return find(field_name(field)); }
    template <detail::registered_field F>
    bool contains(F field) const noexcept { return contains(field_name(field)); }
    template <detail::registered_field F>
    std::string_view get(F field, std::string_view fallback = {}) const noexcept {
        return get(field_name(field), fallback);
    }
    template <detail::registered_field F>
    std::vector<std::string_view> get_all(F field) const { return get_all(field_name(field)); }
    template <detail::registered_field F>
    std::size_t count(F field) const noexcept { return count(field_name(field)); }
    template <detail::registered_field F>
    void add(F field, std::string value) { add(std::string(field_name(field)), std::move(value)); }
    template <detail::registered_field F>
    void set(F field, std::string value) { set(field_name(field), std::move(value)); }
    template <detail::registered_field F>
    std::size_t erase(F field) { return erase(field_name(field)); }

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
