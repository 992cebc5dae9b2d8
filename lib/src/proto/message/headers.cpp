#include <http/headers.hpp>

#include "proto/parser/char_class.hpp"

#include <algorithm>

namespace http {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (detail::ascii_lower(a[i]) != detail::ascii_lower(b[i]))
            return false;
    return true;
}

std::string& Headers::operator[](std::string_view name) {
    if (auto it = find(name); it != end())
        return it->second;
    return fields_.emplace_back(std::string(name), std::string()).second;
}

Headers::iterator Headers::find(std::string_view name) noexcept {
    return std::find_if(fields_.begin(), fields_.end(), [name](const value_type& f) { return iequals(f.first, name); });
}

Headers::const_iterator Headers::find(std::string_view name) const noexcept {
    return std::find_if(fields_.begin(), fields_.end(), [name](const value_type& f) { return iequals(f.first, name); });
}

std::string_view Headers::get(std::string_view name, std::string_view fallback) const noexcept {
    const auto it = find(name);
    return it != end() ? std::string_view(it->second) : fallback;
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& [key, value] : fields_)
        if (iequals(key, name))
            values.emplace_back(value);
    return values;
}

std::size_t Headers::count(std::string_view name) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(fields_.begin(), fields_.end(), [name](const value_type& f) { return iequals(f.first, name); }));
}

void Headers::add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

void Headers::set(std::string_view name, std::string value) {
    auto it = find(name);
    if (it == end()) {
        fields_.emplace_back(std::string(name), std::move(value));
        return;
    }
    it->second = std::move(value);
    fields_.erase(std::remove_if(it + 1, fields_.end(), [name](const value_type& f) { return iequals(f.first, name); }),
                  fields_.end());
}

std::size_t Headers::erase(std::string_view name) {
    const auto before = fields_.size();
    std::erase_if(fields_, [name](const value_type& f) { return iequals(f.first, name); });
    return before - fields_.size();
}

}  // namespace http
