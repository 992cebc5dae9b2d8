#include "proto/message/parameters.hpp"

#include "proto/parser/char_class.hpp"

namespace http::detail {

const std::string* ParameterizedValue::find(std::string_view name) const noexcept {
    for (const auto& [key, parameter_value] : parameters)
        if (key == name)
            return &parameter_value;
    return nullptr;
}

ParameterizedValue parse_parameterized(std::string_view text, bool bare_names) {
    ParameterizedValue out;
    std::size_t i = text.find(';');
    out.value = trim_ows(text.substr(0, i));
    while (i != std::string_view::npos && i < text.size()) {
        ++i;  // past ';'
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;
        const std::size_t name_start = i;
        while (i < text.size() && is(text[i], tchar))
            ++i;
        std::string name;
        for (std::size_t k = name_start; k < i; ++k)
            name += ascii_lower(text[k]);
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;
        std::string value;
        bool ok = !name.empty() && i < text.size() && text[i] == '=';
        if (ok) {
            ++i;
            while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
                ++i;
            if (i < text.size() && text[i] == '"') {
                ++i;
                ok = false;
                while (i < text.size()) {
                    if (text[i] == '"') {
                        ok = true;
                        ++i;
                        break;
                    }
                    if (text[i] == '\\' && i + 1 < text.size())
                        ++i;
                    value += text[i++];
                }
            } else {
                const std::size_t value_start = i;
                while (i < text.size() && text[i] != ';')
                    ++i;
                value = std::string(trim_ows(text.substr(value_start, i - value_start)));
            }
        }
        if (ok || (bare_names && !name.empty() && (i == text.size() || text[i] == ';')))
            out.parameters.emplace_back(std::move(name), std::move(value));
        i = text.find(';', i);
    }
    return out;
}

std::string joined_values(const Headers& headers, std::string_view name) {
    std::string out;
    for (const std::string_view value : headers.get_all(name)) {
        if (!out.empty())
            out += ',';
        out += value;
    }
    return out;
}

void add_vary(Headers& headers, std::string_view field) {
    std::string& vary = headers["Vary"];
    if (vary.empty()) {
        vary = field;
        return;
    }
    bool present = false;
    for_each_list_element(vary, [&](std::string_view e) { present = present || e == "*" || iequals(e, field); });
    if (!present)
        vary.append(", ").append(field);
}

}  // namespace http::detail
