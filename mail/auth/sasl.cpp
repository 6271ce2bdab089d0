// SASL PLAIN and LOGIN for the mail protocols: strict base64, the PLAIN message, and the challenge/response steps.
#include "mail/auth/sasl.hpp"

#include <cstdint>

#include "core/ascii.hpp"

namespace mxlab::auth {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// RFC 4954 section 4: "=" is an initial response of zero length (a bare
// empty argument would be no initial response at all).
std::optional<std::string> decode_initial(std::string_view text) {
    if (text == "=") return std::string{};
    return base64_decode(text);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const auto left = bytes.size() - i;
        std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
        if (left > 1) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
        if (left > 2) n |= static_cast<std::uint8_t>(bytes[i + 2]);
        out += alphabet[n >> 18];
        out += alphabet[(n >> 12) & 63];
        out += left > 1 ? alphabet[(n >> 6) & 63] : '=';
        out += left > 2 ? alphabet[n & 63] : '=';
    }
    return out;
}

// Strict (RFC 4648 section 3): no whitespace, padding to a multiple of 4, '='
// only at the end, and the bits that padding leaves over must be zero (section
// 3.5), so every accepted text is the one base64_encode makes for its bytes.
std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    const std::size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const std::size_t data = last ? 4 - pad : 4;
        std::uint32_t n = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            int v = 0;
            if (j < data && (v = sextet(text[i + j])) < 0) return std::nullopt;
            n = n << 6 | static_cast<std::uint32_t>(v);
        }
        if (last && ((pad == 2 && (n & 0xffff) != 0) || (pad == 1 && (n & 0xff) != 0))) return std::nullopt;
        out += static_cast<char>(n >> 16);
        if (data > 2) out += static_cast<char>((n >> 8) & 0xff);
        if (data > 3) out += static_cast<char>(n & 0xff);
    }
    return out;
}

// RFC 4616 section 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd.
std::optional<Credentials> parse_plain(std::string_view message) {
    const auto first = message.find('\0');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = message.find('\0', first + 1);
    if (second == std::string_view::npos || message.find('\0', second + 1) != std::string_view::npos)
        return std::nullopt;
    Credentials c{std::string(message.substr(0, first)), std::string(message.substr(first + 1, second - first - 1)),
                  std::string(message.substr(second + 1))};
    if (c.authcid.empty() || c.password.empty()) return std::nullopt;
    return c;
}

std::optional<Mechanism> parse_mechanism(std::string_view name) {
    if (iequals(name, "PLAIN")) return Mechanism::plain;
    if (iequals(name, "LOGIN")) return Mechanism::login;
    return std::nullopt;
}

SaslExchange::Step SaslExchange::finish(Step::Kind kind, Credentials c) {
    state_ = State::finished;
    user_.clear();
    return Step{kind, {}, std::move(c)};
}

SaslExchange::Step SaslExchange::challenge(State next, std::string_view text) {
    state_ = next;
    return Step{Step::Kind::challenge, base64_encode(text), {}};
}

// LOGIN's user name, from the initial response or the reply to "Username:".
SaslExchange::Step SaslExchange::login_user(std::optional<std::string> user) {
    if (!user || user->empty() || user->find('\0') != std::string::npos) return finish(Step::Kind::malformed);
    auto next = challenge(State::password, "Password:");
    user_ = std::move(*user);
    return next;
}

SaslExchange::Step SaslExchange::start(std::optional<std::string_view> initial) {
    if (state_ != State::start) return finish(Step::Kind::malformed);
    if (mechanism_ == Mechanism::login)
        return initial ? login_user(decode_initial(*initial)) : challenge(State::username, "Username:");
    // RFC 4954 section 4: PLAIN without an initial response gets an empty challenge ("334 ").
    if (!initial) return challenge(State::plain, "");
    const auto message = decode_initial(*initial);
    auto c = message ? parse_plain(*message) : std::nullopt;
    return c ? finish(Step::Kind::done, std::move(*c)) : finish(Step::Kind::malformed);
}

SaslExchange::Step SaslExchange::step(std::string_view line) {
    if (state_ == State::start || state_ == State::finished) return finish(Step::Kind::malformed);
    // RFC 4954 section 4: "*" cancels the exchange.
    if (line == "*") return finish(Step::Kind::cancelled);
    auto decoded = base64_decode(line);
    switch (state_) {
    case State::plain: {
        auto c = decoded ? parse_plain(*decoded) : std::nullopt;
        return c ? finish(Step::Kind::done, std::move(*c)) : finish(Step::Kind::malformed);
    }
    case State::username:
        return login_user(std::move(decoded));
    case State::password: {
        if (!decoded || decoded->empty() || decoded->find('\0') != std::string::npos)
            return finish(Step::Kind::malformed);
        Credentials c{{}, std::move(user_), std::move(*decoded)};
        return finish(Step::Kind::done, std::move(c));
    }
    default:
        return finish(Step::Kind::malformed);
    }
}

}  // namespace mxlab::auth
