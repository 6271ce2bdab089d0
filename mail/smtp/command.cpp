// Parses one SMTP command line (RFC 5321 section 4.1 and the ESMTP extensions the session offers) into a Command or an error Reply.
//
// Strict where a mistake could misroute mail (paths, domains, UTF-8), lenient
// where Postfix is and clients are known to stray ("MAIL FROM: <a@b>",
// "RCPT TO: bob@sina.com" typed in telnet, several spaces between
// parameters, a trailing dot on a domain).
#include "mail/smtp/command.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <utility>

#include "core/ascii.hpp"

namespace mxlab::smtp {
namespace {

using namespace std::literals;

Reply error(int code, std::string enhanced, std::string text) {
    return Reply{code, std::move(enhanced), std::move(text)};
}

bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// RFC 5322 section 3.2.3 atext, plus UTF8-non-ascii (RFC 6531 section 3.3);
// UTF-8 well-formedness is checked once the whole path is known.
bool is_atext(unsigned char c) {
    if (is_alnum(c) || c >= 0x80) return true;
    return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// RFC 5321 section 4.1.2 qtextSMTP, plus UTF8-non-ascii (RFC 6531 section 3.3).
bool is_qtext(unsigned char c) { return c == 32 || c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) || c >= 0x80; }

// RFC 3629 section 4: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int extra = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (end - p <= extra) return false;
        if (p[1] < lo || p[1] > hi) return false;
        for (int k = 2; k <= extra; ++k) {
            if (p[k] < 0x80 || p[k] > 0xBF) return false;
        }
        p += extra + 1;
    }
    return true;
}

bool has_non_ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return true;
    }
    return false;
}

// A Dot-string local part (RFC 5321 section 4.1.2) needs no quoting.
bool is_dot_string(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '.') {
            if (s[i + 1] == '.') return false;
        } else if (!is_atext(c)) {
            return false;
        }
    }
    return true;
}

// The local part as it goes back on the wire: bare when it is a Dot-string,
// otherwise the shortest Quoted-string (RFC 5321 section 4.1.2 says a quoted
// form SHOULD NOT be used where the Dot-string suffices).
std::string wire_local(std::string_view local) {
    if (is_dot_string(local)) return std::string(local);
    std::string out = "\"";
    for (char c : local) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

// Parses an RFC 5321 section 4.1.2 Domain (with RFC 6531 U-labels) at s[i],
// leaving i after it. Lower-cases ASCII letters. One trailing dot is accepted
// and dropped, as Postfix does.
bool parse_domain(std::string_view s, std::size_t& i, std::string& out) {
    const std::size_t start = i;
    out.clear();
    for (;;) {
        // sub-domain = Let-dig [Ldh-str]: starts and ends with a letter or digit.
        const std::size_t label = i;
        bool non_ascii = false;
        while (i < s.size()) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x80) {
                non_ascii = true;
            } else if (!is_alnum(c) && c != '-') {
                break;
            }
            ++i;
        }
        const std::size_t len = i - label;
        if (len == 0) {
            // "a.b." : a trailing dot after at least one label is tolerated.
            if (label > start && s[label - 1] == '.') {
                out.pop_back();
                break;
            }
            return false;
        }
        if (s[label] == '-' || s[i - 1] == '-') return false;
        // RFC 1035 section 2.3.4: 63 octets per label. A U-label's limit
        // applies to its A-label, which this parser does not compute.
        if (!non_ascii && len > 63) return false;
        for (std::size_t k = label; k < i; ++k) out += lower(s[k]);
        if (i < s.size() && s[i] == '.') {
            out += '.';
            ++i;
            continue;
        }
        break;
    }
    // RFC 5321 section 4.5.3.1.2: 255 octets.
    return out.size() <= 255;
}

// RFC 5321 section 4.1.3 IPv4-address-literal: Snum 3("." Snum), Snum = 1*3DIGIT in 0..255.
bool valid_ipv4_literal(std::string_view s) {
    int parts = 0;
    std::size_t i = 0;
    for (;;) {
        std::size_t digits = 0;
        int value = 0;
        while (i < s.size() && is_digit(static_cast<unsigned char>(s[i])) && digits < 4) {
            value = value * 10 + (s[i] - '0');
            ++digits;
            ++i;
        }
        if (digits == 0 || digits > 3 || value > 255) return false;
        ++parts;
        if (i == s.size()) return parts == 4;
        if (s[i] != '.' || parts == 4) return false;
        ++i;
    }
}

// RFC 5321 section 4.1.3 address-literal at s[i] == '['; leaves i after ']'.
// Only the IPv4 form and the "IPv6:" tag (the one registered
// Standardized-tag) are accepted.
bool parse_address_literal(std::string_view s, std::size_t& i, std::string& out) {
    const std::size_t close = s.find(']', i);
    if (close == std::string_view::npos) return false;
    const std::string_view inner = s.substr(i + 1, close - i - 1);
    if (istarts_with(inner, "IPv6:")) {
        const std::string_view addr = inner.substr(5);
        if (addr.empty() || addr.size() > 45) return false;
        std::array<unsigned char, 16> buf{};
        const std::string text(addr);
        if (inet_pton(AF_INET6, text.c_str(), buf.data()) != 1) return false;
        out = "[IPv6:" + lower(addr) + "]";
    } else if (valid_ipv4_literal(inner)) {
        out = "[" + std::string(inner) + "]";
    } else {
        return false;
    }
    i = close + 1;
    return true;
}

enum class PathKind { reverse, forward };

// RFC 5321 section 4.1.2 Path / Reverse-path at s[i] == '<'; leaves i after '>'.
bool parse_path(std::string_view s, std::size_t& i, PathKind kind, Path& path) {
    if (i >= s.size() || s[i] != '<') return false;
    ++i;
    // The null reverse-path "<>" (RFC 5321 section 4.5.5); never a recipient.
    if (i < s.size() && s[i] == '>') {
        ++i;
        return kind == PathKind::reverse;
    }
    // A-d-l ":" — a source route, accepted and ignored (RFC 5321 section 4.1.1.3, appendix C).
    if (i < s.size() && s[i] == '@') {
        std::string scratch;
        for (;;) {
            ++i;  // '@'
            if (!parse_domain(s, i, scratch)) return false;
            if (i < s.size() && s[i] == ',') {
                ++i;
                if (i >= s.size() || s[i] != '@') return false;
                continue;
            }
            if (i < s.size() && s[i] == ':') {
                ++i;
                break;
            }
            return false;
        }
    }
    // Local-part = Dot-string / Quoted-string.
    std::string local;
    bool quoted = false;
    if (i < s.size() && s[i] == '"') {
        quoted = true;
        ++i;
        for (;;) {
            if (i >= s.size()) return false;
            const auto c = static_cast<unsigned char>(s[i]);
            if (c == '"') {
                ++i;
                break;
            }
            if (c == '\\') {
                // quoted-pairSMTP = %d92 %d32-126
                if (i + 1 >= s.size()) return false;
                const auto q = static_cast<unsigned char>(s[i + 1]);
                if (q < 32 || q > 126) return false;
                local += static_cast<char>(q);
                i += 2;
                continue;
            }
            if (!is_qtext(c)) return false;
            local += static_cast<char>(c);
            ++i;
        }
    } else {
        bool need_atom = true;
        while (i < s.size()) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c == '.') {
                if (need_atom) return false;  // leading or doubled dot
                need_atom = true;
            } else if (is_atext(c)) {
                need_atom = false;
            } else {
                break;
            }
            local += static_cast<char>(c);
            ++i;
        }
        if (need_atom) return false;  // empty, or a trailing dot
    }
    if (i >= s.size()) return false;
    // "<postmaster>" without a domain, for RCPT only (RFC 5321 section 4.1.1.3, 4.5.1).
    if (s[i] == '>' && kind == PathKind::forward && !quoted && iequals(local, "postmaster")) {
        ++i;
        path.local = "postmaster";
        path.domain.clear();
        path.address = "postmaster";
        path.utf8 = false;
        return true;
    }
    if (s[i] != '@') return false;
    ++i;
    std::string domain;
    if (i < s.size() && s[i] == '[') {
        if (!parse_address_literal(s, i, domain)) return false;
    } else if (!parse_domain(s, i, domain)) {
        return false;
    }
    if (i >= s.size() || s[i] != '>') return false;
    ++i;
    path.address = wire_local(local) + "@" + domain;
    path.utf8 = has_non_ascii(local) || has_non_ascii(domain);
    path.local = std::move(local);
    path.domain = std::move(domain);
    return true;
}

// RFC 3461 section 4.1 NOTIFY: "NEVER", or a comma list of SUCCESS, FAILURE, DELAY.
bool valid_notify(std::string_view v) {
    if (iequals(v, "NEVER")) return true;
    unsigned seen = 0;
    for (;;) {
        const std::size_t comma = v.find(',');
        const std::string_view item = v.substr(0, comma);
        unsigned bit = 0;
        if (iequals(item, "SUCCESS")) bit = 1;
        else if (iequals(item, "FAILURE")) bit = 2;
        else if (iequals(item, "DELAY")) bit = 4;
        if (bit == 0 || (seen & bit)) return false;
        seen |= bit;
        if (comma == std::string_view::npos) return true;
        v.remove_prefix(comma + 1);
    }
}

// RFC 3461 section 4.2 ORCPT: addr-type ";" xtext (RFC 6533 section 3: the
// "utf-8" type carries UTF-8, checked only for well-formedness).
bool valid_orcpt(std::string_view v) {
    const std::size_t semi = v.find(';');
    if (semi == 0 || semi == std::string_view::npos) return false;
    const std::string_view type = v.substr(0, semi);
    for (unsigned char c : type) {
        if (!is_atext(c) || c >= 0x80) return false;
    }
    const std::string_view addr = v.substr(semi + 1);
    if (iequals(type, "utf-8")) return !addr.empty() && valid_utf8(addr);
    const auto decoded = decode_xtext(addr);
    return decoded && !decoded->empty();
}

bool printable_ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 32 || c > 126) return false;
    }
    return true;
}

// One esmtp-param (RFC 5321 section 4.1.2): keyword [ "=" value ].
struct Param {
    std::string_view keyword;
    std::optional<std::string_view> value;
};

bool split_param(std::string_view token, Param& p) {
    const std::size_t eq = token.find('=');
    p.keyword = token.substr(0, eq);
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    if (p.keyword.empty() || !is_alnum(static_cast<unsigned char>(p.keyword[0]))) return false;
    for (unsigned char c : p.keyword) {
        if (!is_alnum(c) && c != '-') return false;
    }
    if (eq == std::string_view::npos) {
        p.value.reset();
        return true;
    }
    const std::string_view value = token.substr(eq + 1);
    // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF8-non-ascii (RFC 6531 section 3.3).
    if (value.empty()) return false;
    for (unsigned char c : value) {
        if (c == '=' || (c < 33) || c == 127) return false;
    }
    if (!valid_utf8(value)) return false;
    p.value = value;
    return true;
}

enum class ParamSyntax { ok, bad };

// Takes the next blank-separated esmtp-param off the front of text; nullopt
// when none is left.
std::optional<ParamSyntax> next_param(std::string_view& text, std::string_view& token, Param& p) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    if (text.empty()) return std::nullopt;
    std::size_t end = 0;
    while (end < text.size() && !is_space(text[end])) ++end;
    token = text.substr(0, end);
    text.remove_prefix(end);
    return split_param(token, p) ? ParamSyntax::ok : ParamSyntax::bad;
}

// Bits for the duplicate check.
enum : unsigned { p_size = 1, p_body = 2, p_smtputf8 = 4, p_auth = 8, p_ret = 16, p_envid = 32, p_notify = 64, p_orcpt = 128 };

std::optional<Reply> duplicate(unsigned& seen, unsigned bit, std::string_view keyword) {
    if (seen & bit) return error(501, "5.5.4", "Error: duplicate " + lower(keyword) + " parameter");
    seen |= bit;
    return std::nullopt;
}

Reply unsupported(std::string_view token) {
    // RFC 5321 section 4.1.1.11, 4.2.3: 555 for parameters not recognized or not implemented.
    return error(555, "5.5.4", "Unsupported option: " + std::string(token));
}

// The parameters after MAIL FROM:<...> (RFC 1869 section 4.1, RFC 1870, RFC
// 6152, RFC 3030, RFC 6531, RFC 4954 section 5). RET and ENVID (RFC 3461) are
// syntax-checked and ignored, as for RCPT's NOTIFY and ORCPT.
std::optional<Reply> parse_mail_params(std::string_view text, MailParams& params) {
    unsigned seen = 0;
    std::string_view token;
    Param p;
    while (const auto next = next_param(text, token, p)) {
        if (*next == ParamSyntax::bad) return error(501, "5.5.4", "Error: bad parameter syntax");
        if (iequals(p.keyword, "SIZE")) {
            if (auto r = duplicate(seen, p_size, p.keyword)) return r;
            // RFC 1870 section 3: size-value = 1*20DIGIT.
            if (!p.value) return error(501, "5.5.4", "Bad message size syntax");
            std::uint64_t size = 0;
            for (unsigned char c : *p.value) {
                if (!is_digit(c)) return error(501, "5.5.4", "Bad message size syntax");
            }
            for (unsigned char c : *p.value) {
                const unsigned d = c - '0';
                if (size > (UINT64_MAX - d) / 10) {
                    // More than any store can hold: Postfix's answer too (RFC 1870 section 6.1).
                    return error(552, "5.3.4", "Message size exceeds fixed limit");
                }
                size = size * 10 + d;
            }
            params.size = size;
        } else if (iequals(p.keyword, "BODY")) {
            if (auto r = duplicate(seen, p_body, p.keyword)) return r;
            if (!p.value) return error(501, "5.5.4", "Bad BODY parameter syntax");
            if (iequals(*p.value, "7BIT")) params.body = Body::seven_bit;              // RFC 6152 section 2
            else if (iequals(*p.value, "8BITMIME")) params.body = Body::eight_bit_mime;  // RFC 6152 section 2
            else if (iequals(*p.value, "BINARYMIME")) params.body = Body::binary_mime;   // RFC 3030 section 3
            else return unsupported(token);
        } else if (iequals(p.keyword, "SMTPUTF8")) {
            if (auto r = duplicate(seen, p_smtputf8, p.keyword)) return r;
            // RFC 6531 section 3.4: the parameter has no value.
            if (p.value) return error(501, "5.5.4", "Bad SMTPUTF8 parameter syntax");
            params.smtputf8 = true;
        } else if (iequals(p.keyword, "AUTH")) {
            if (auto r = duplicate(seen, p_auth, p.keyword)) return r;
            // RFC 4954 section 5: AUTH=xtext of a mailbox or "<>".
            if (!p.value) return error(501, "5.5.4", "Bad AUTH parameter syntax");
            auto decoded = decode_xtext(*p.value);
            if (!decoded || decoded->empty() || !printable_ascii(*decoded))
                return error(501, "5.5.4", "Bad AUTH parameter syntax");
            params.auth = std::move(*decoded);
        } else if (iequals(p.keyword, "RET")) {
            if (auto r = duplicate(seen, p_ret, p.keyword)) return r;
            // RFC 3461 section 4.3: FULL or HDRS.
            if (!p.value || !(iequals(*p.value, "FULL") || iequals(*p.value, "HDRS")))
                return error(501, "5.5.4", "Bad RET parameter syntax");
        } else if (iequals(p.keyword, "ENVID")) {
            if (auto r = duplicate(seen, p_envid, p.keyword)) return r;
            // RFC 3461 section 4.4: xtext of printable ASCII.
            std::optional<std::string> decoded;
            if (p.value) decoded = decode_xtext(*p.value);
            if (!decoded || decoded->empty() || !printable_ascii(*decoded))
                return error(501, "5.5.4", "Bad ENVID parameter syntax");
        } else {
            return unsupported(token);
        }
    }
    return std::nullopt;
}

// The parameters after RCPT TO:<...>. NOTIFY and ORCPT (RFC 3461 section 4)
// are syntax-checked and ignored: Postfix with DSN on (its default) takes them
// the same way, and a client that sends them without our advertising DSN
// loses only the notification, not the mail. Everything else gets 555.
std::optional<Reply> parse_rcpt_params(std::string_view text) {
    unsigned seen = 0;
    std::string_view token;
    Param p;
    while (const auto next = next_param(text, token, p)) {
        if (*next == ParamSyntax::bad) return error(501, "5.5.4", "Error: bad parameter syntax");
        if (iequals(p.keyword, "NOTIFY")) {
            if (auto r = duplicate(seen, p_notify, p.keyword)) return r;
            if (!p.value || !valid_notify(*p.value)) return error(501, "5.5.4", "Error: Bad NOTIFY parameter syntax");
        } else if (iequals(p.keyword, "ORCPT")) {
            if (auto r = duplicate(seen, p_orcpt, p.keyword)) return r;
            if (!p.value || !valid_orcpt(*p.value)) return error(501, "5.5.4", "Error: Bad ORCPT parameter syntax");
        } else {
            return unsupported(token);
        }
    }
    return std::nullopt;
}

// MAIL FROM:<reverse-path> [params] and RCPT TO:<forward-path> [params].
std::variant<Command, Reply> parse_mail_rcpt(Command c, bool utf8_allowed) {
    const bool mail = c.verb == Verb::mail;
    const std::string_view prefix = mail ? "FROM:"sv : "TO:"sv;
    const char* bad_path = mail ? "5.1.7" : "5.1.3";
    const char* bad_path_text = mail ? "Bad sender address syntax" : "Bad recipient address syntax";
    std::string_view arg = c.arg;
    if (!istarts_with(arg, prefix))
        return error(501, "5.5.4", mail ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>");
    std::size_t i = prefix.size();
    while (i < arg.size() && is_space(arg[i])) ++i;  // "MAIL FROM: <a@b>", as Postfix allows
    const PathKind kind = mail ? PathKind::reverse : PathKind::forward;
    std::string_view params;
    if (i < arg.size() && arg[i] != '<') {
        // "RCPT TO: bob@sina.com", as typed in telnet: Postfix takes an address
        // without <> (smtpd_strict_rfc821_envelope = no). Only a plain mailbox,
        // and after it only keyword=value parameters: "a@b c@d", "Bob <b@c>"
        // or "a@b jack" could mean more than one thing and are refused.
        std::size_t end = i;
        while (end < arg.size() && !is_space(arg[end])) ++end;
        const std::string_view bare = arg.substr(i, end - i);
        if (bare.front() == '@' || bare.find_first_of("<>") != std::string_view::npos)  // no source route, no half brackets
            return error(501, bad_path, bad_path_text);
        const std::string bracketed = "<" + std::string(bare) + ">";
        std::size_t j = 0;
        if (!parse_path(bracketed, j, kind, c.path) || j != bracketed.size()) return error(501, bad_path, bad_path_text);
        params = arg.substr(end);
        for (std::string_view rest = params; !(rest = trim(rest)).empty();) {
            std::size_t word = 0;
            while (word < rest.size() && !is_space(rest[word])) ++word;
            if (rest.substr(0, word).find('=') == std::string_view::npos) return error(501, bad_path, bad_path_text);
            rest.remove_prefix(word);
        }
    } else {
        if (!parse_path(arg, i, kind, c.path)) return error(501, bad_path, bad_path_text);
        if (i < arg.size() && !is_space(arg[i])) return error(501, bad_path, bad_path_text);
        params = arg.substr(i);
    }
    bool smtputf8 = utf8_allowed;
    if (mail) {
        if (auto r = parse_mail_params(params, c.mail)) return *r;
        // RFC 6531 section 3.4: the MAIL command's own SMTPUTF8 allows its reverse-path.
        smtputf8 = smtputf8 || c.mail.smtputf8;
    } else if (auto r = parse_rcpt_params(params)) {
        return *r;
    }
    if (c.path.utf8) {
        // RFC 6531 section 3.5: non-ASCII without SMTPUTF8 is 553 5.6.7.
        if (!smtputf8) return error(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");
        if (!valid_utf8(c.path.local) || !valid_utf8(c.path.domain)) return error(501, bad_path, bad_path_text);
    }
    return c;
}

// BDAT chunk-size [SP end-marker] (RFC 3030 section 2).
std::variant<Command, Reply> parse_bdat(Command c) {
    std::string_view arg = c.arg;
    const Reply syntax = error(501, "5.5.4", "Syntax: BDAT count [LAST]");
    std::size_t i = 0;
    std::uint64_t size = 0;
    while (i < arg.size() && is_digit(static_cast<unsigned char>(arg[i]))) {
        const unsigned d = arg[i] - '0';
        if (size > (UINT64_MAX - d) / 10) return syntax;
        size = size * 10 + d;
        ++i;
    }
    if (i == 0) return syntax;
    std::string_view rest = trim(arg.substr(i));
    if (i < arg.size() && !is_space(arg[i])) return syntax;
    if (!rest.empty()) {
        if (!iequals(rest, "LAST")) return syntax;
        c.last = true;
    }
    c.chunk_size = size;
    return c;
}

struct VerbName {
    std::string_view name;
    Verb verb;
};

constexpr std::array<VerbName, 14> verbs{{
    {"EHLO", Verb::ehlo}, {"HELO", Verb::helo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
    {"DATA", Verb::data}, {"BDAT", Verb::bdat}, {"RSET", Verb::rset}, {"NOOP", Verb::noop},
    {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn}, {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls}, {"AUTH", Verb::auth},
}};

std::string verb_name(Verb verb) {
    for (const auto& v : verbs) {
        if (v.verb == verb) return std::string(v.name);
    }
    return {};
}

}  // namespace

std::optional<std::string> decode_xtext(std::string_view text) {
    // RFC 3461 section 4: xchar is "!".."~" except "+" and "="; "+" HEXCHAR HEXCHAR
    // encodes any other octet. Lower-case hex digits are taken too, as Postfix does.
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '+') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hex(text[i + 1]);
            const int lo = hex(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c >= 33 && c <= 126 && c != '=') {
            out += static_cast<char>(c);
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::variant<Command, Reply> parse_command(std::string_view line, bool utf8_allowed) {
    std::size_t verb_end = 0;
    while (verb_end < line.size() && !is_space(line[verb_end])) ++verb_end;
    const std::string_view verb_text = line.substr(0, verb_end);

    Command c;
    for (const auto& v : verbs) {
        if (iequals(verb_text, v.name)) {
            c.verb = v.verb;
            break;
        }
    }
    if (c.verb == Verb::unknown) {
        // The session answers 500 5.5.2, and may hang up on "GET /" or "POST"
        // (an HTTP client, or a cross-protocol attack), so it gets the whole line.
        c.arg = std::string(line);
        return c;
    }
    const std::string_view arg = trim(line.substr(verb_end));
    // RFC 5321 section 4.1.2: invalid characters get 501. A CR, LF or NUL in a
    // HELO name or an address would end up in headers and logs.
    for (unsigned char ch : arg) {
        if ((ch < 32 && ch != '\t') || ch == 127) return error(501, "5.5.2", "Error: control character in command");
    }
    c.arg = std::string(arg);

    switch (c.verb) {
    case Verb::ehlo:
    case Verb::helo:
        // RFC 5321 section 4.1.1.1: EHLO/HELO take the client's domain or address literal.
        if (arg.empty()) return error(501, "5.5.4", c.verb == Verb::ehlo ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
        return c;
    case Verb::mail:
    case Verb::rcpt:
        return parse_mail_rcpt(std::move(c), utf8_allowed);
    case Verb::bdat:
        return parse_bdat(std::move(c));
    case Verb::data:
    case Verb::rset:
    case Verb::quit:
    case Verb::starttls:
        // RFC 5321 section 4.1.1.4, 4.1.1.5, 4.1.1.10; RFC 3207 section 4: no argument.
        if (!arg.empty()) return error(501, "5.5.4", "Syntax: " + verb_name(c.verb));
        return c;
    case Verb::vrfy:
    case Verb::expn:
        // RFC 5321 section 4.1.1.6, 4.1.1.7: the argument is required.
        if (arg.empty()) return error(501, "5.5.4", c.verb == Verb::vrfy ? "Syntax: VRFY address" : "Syntax: EXPN mailing-list");
        return c;
    case Verb::auth:
        // RFC 4954 section 4: AUTH mechanism [initial-response].
        if (arg.empty()) return error(501, "5.5.4", "Syntax: AUTH mechanism");
        return c;
    case Verb::noop:  // RFC 5321 section 4.1.1.9: an argument is allowed and ignored
    case Verb::help:  // RFC 5321 section 4.1.1.8: optional argument
    case Verb::unknown:
        return c;
    }
    return c;
}

}  // namespace mxlab::smtp
