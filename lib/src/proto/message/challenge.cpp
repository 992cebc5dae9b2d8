#include "proto/message/challenge.hpp"

#include "proto/parser/char_class.hpp"

namespace http::detail {

namespace {

class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    void skip_space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t'))
            ++at_;
    }
    bool done() {
        skip_space();
        return at_ >= text_.size();
    }
    bool take(char c) {
        skip_space();
        if (at_ < text_.size() && text_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }
    std::string_view token() {
        skip_space();
        const std::size_t start = at_;
        while (at_ < text_.size() && is(text_[at_], tchar))
            ++at_;
        return text_.substr(start, at_ - start);
    }
    bool quoted(std::string& out) {
        skip_space();
        if (at_ >= text_.size() || text_[at_] != '"')
            return false;
        ++at_;
        while (at_ < text_.size() && text_[at_] != '"') {
            if (text_[at_] == '\\' && at_ + 1 < text_.size())
                ++at_;
            out += text_[at_++];
        }
        if (at_ >= text_.size())
            return false;
        ++at_;
        return true;
    }
    std::size_t position() const noexcept { return at_; }
    void rewind(std::size_t to) noexcept { at_ = to; }

private:
    std::string_view text_;
    std::size_t at_ = 0;
};

}  // namespace

std::vector<Challenge> parse_challenges(std::string_view value) {
    std::vector<Challenge> challenges;
    Reader in(value);
    while (!in.done()) {
        if (in.take(','))
            continue;  // empty list elements
        const std::string_view scheme = in.token();
        if (scheme.empty())
            break;
        Challenge challenge{ascii_lower(scheme), {}};
        // auth-params: name = value, separated by commas, until a token not followed by '='
        // (the next challenge's scheme).
        while (!in.done()) {
            const std::size_t mark = in.position();
            in.take(',');
            const std::string_view name = in.token();
            if (name.empty() || !in.take('=')) {
                in.rewind(mark);
                break;
            }
            std::string param_value;
            if (!in.quoted(param_value)) {
                const std::string_view bare = in.token();
                param_value = bare;
                while (in.take('='))  // token68 padding, as in Basic's legacy forms
                    param_value += '=';
            }
            challenge.params.emplace_back(ascii_lower(name), std::move(param_value));
        }
        challenges.push_back(std::move(challenge));
        const std::size_t mark = in.position();
        if (!in.take(',') && !in.done() && in.position() == mark && in.token().empty())
            break;  // something that is neither a parameter nor a challenge
    }
    return challenges;
}

}  // namespace http::detail
