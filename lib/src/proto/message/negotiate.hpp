// Proactive negotiation (RFC 9110, Section 12): which of what the server can send the client's
// Accept and Accept-Encoding prefer.
#pragma once

#include <span>
#include <string_view>

namespace http::detail {

/// The quality `accept_encoding` gives `coding` (RFC 9110, Section 12.5.3): its own entry, else
/// "*", else 0; identity is acceptable (1) unless an entry excludes it. An empty field accepts
/// anything.
double coding_quality(std::string_view accept_encoding, std::string_view coding) noexcept;

/// The content coding to send: the acceptable one of `available` with the highest quality (ties
/// go to the earlier in `available`), or empty for none (identity) when that is at least as
/// acceptable. When nothing at all is acceptable the content goes as it is (as nginx does),
/// rather than as a 406.
std::string_view choose_coding(std::string_view accept_encoding, std::span<const std::string_view> available) noexcept;

/// The index in `candidates` ("type/subtype") that `accept` prefers: the highest quality from
/// the most specific range that matches each (RFC 9110, Section 12.5.1); ties go to the earlier
/// candidate; an empty or absent Accept, the first.
std::size_t choose_media_type(std::string_view accept, std::span<const std::string_view> candidates);

}  // namespace http::detail
