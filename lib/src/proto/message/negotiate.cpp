#include "proto/message/negotiate.hpp"

#include <http/headers.hpp>

#include "proto/message/parameters.hpp"
#include "proto/parser/char_class.hpp"

#include <charconv>
#include <vector>

namespace http::detail {

namespace {

// q=0.5 (RFC 9110, Section 12.4.2); a malformed one counts as 0.
double quality(const ParameterizedValue& element) {
    const std::string* q = element.find("q");
    if (!q)
        return 1;
    double value = 0;
    const auto [end, error] = std::from_chars(q->data(), q->data() + q->size(), value);
    if (error != std::errc{} || end != q->data() + q->size() || value < 0 || value > 1)
        return 0;
    return value;
}

}  // namespace

double coding_quality(std::string_view accept_encoding, std::string_view coding) noexcept {
    if (trim_ows(accept_encoding).empty())
        return 1;
    double own = -1;
    double any = -1;
    for_each_list_element(accept_encoding, [&](std::string_view element) {
        const ParameterizedValue value = parse_parameterized(element);
        if (iequals(value.value, coding))
            own = quality(value);
        else if (value.value == "*")
            any = quality(value);
    });
    if (own >= 0)
        return own;
    if (any >= 0)
        return any;
    return coding == "identity" ? 1 : 0;
}

std::string_view choose_coding(std::string_view accept_encoding, std::span<const std::string_view> available) noexcept {
    std::string_view best;
    double best_q = 0;
    for (const std::string_view coding : available) {
        const double q = coding_quality(accept_encoding, coding);
        if (q > best_q) {
            best = coding;
            best_q = q;
        }
    }
    return best_q > 0 && best_q >= coding_quality(accept_encoding, "identity") ? best : std::string_view();
}

std::size_t choose_media_type(std::string_view accept, std::span<const std::string_view> candidates) {
    if (trim_ows(accept).empty() || candidates.empty())
        return 0;
    struct Score {
        double q = 0;
        int specificity = -1;
    };
    std::vector<Score> scores(candidates.size());
    for_each_list_element(accept, [&](std::string_view element) {
        const ParameterizedValue range = parse_parameterized(element);
        const std::size_t slash = range.value.find('/');
        if (slash == std::string_view::npos)
            return;
        const std::string_view type = range.value.substr(0, slash);
        const std::string_view subtype = range.value.substr(slash + 1);
        const double q = quality(range);
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            const std::string_view candidate = candidates[i];
            const std::string_view c_type = candidate.substr(0, candidate.find('/'));
            const std::string_view c_subtype = candidate.substr(candidate.find('/') + 1);
            int specificity = -1;
            if (iequals(type, c_type) && iequals(subtype, c_subtype))
                specificity = 2;
            else if (iequals(type, c_type) && subtype == "*")
                specificity = 1;
            else if (type == "*" && subtype == "*")
                specificity = 0;
            if (specificity > scores[i].specificity)
                scores[i] = {q, specificity};
        }
    });
    std::size_t best = 0;
    for (std::size_t i = 1; i < candidates.size(); ++i)
        if (scores[i].q > scores[best].q)
            best = i;
    return best;
}

}  // namespace http::detail
