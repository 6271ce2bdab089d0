// The SMTP client's reply parser: splits lines at LF, checks each line's code, and assembles multiline replies; see reply_reader.hpp.
#include "mail/smtp/reply_reader.hpp"

#include <cstring>
#include <utility>

namespace mxlab::smtp {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "x.y.z" at the start of `text` (RFC 3463 section 2: class 2, 4 or 5,
// subject and detail of 1 to 3 digits) followed by a space or the end: its
// length, else 0.
std::size_t enhanced_length(std::string_view text) {
    if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') return 0;
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        const std::size_t start = i;
        while (i < text.size() && i - start < 4 && is_digit(text[i])) ++i;
        if (i == start || i - start > 3) return 0;
        if (part == 0) {
            if (i >= text.size() || text[i] != '.') return 0;
            ++i;
        }
    }
    return (i == text.size() || text[i] == ' ') ? i : 0;
}

// A short, printable excerpt of a bad line for the error text.
std::string excerpt(std::string_view line) {
    std::string out = "\"";
    for (std::size_t i = 0; i < line.size() && i < 40; ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
    }
    if (line.size() > 40) out += "...";
    return out + "\"";
}

}  // namespace

void ReplyReader::feed(std::string_view bytes) {
    if (failed()) return;
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        scan_ -= pos_;
        pos_ = 0;
    }
    buf_.append(bytes);
}

bool ReplyReader::fail(std::string why) {
    error_ = std::move(why);
    buf_.clear();
    buf_.shrink_to_fit();
    pos_ = scan_ = 0;
    reply_ = {};
    lines_ = 0;
    return false;
}

std::optional<Reply> ReplyReader::next() {
    while (!failed()) {
        const char* base = buf_.data();
        const void* lf = scan_ < buf_.size() ? std::memchr(base + scan_, '\n', buf_.size() - scan_) : nullptr;
        if (lf == nullptr) {
            scan_ = buf_.size();
            // Even a CR and then LF cannot make a line this long legal; fail
            // now rather than hold an endless line.
            if (buf_.size() - pos_ > max_reply_line + 1) fail("reply line longer than " + std::to_string(max_reply_line) + " octets");
            return std::nullopt;
        }
        const std::size_t nl = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
        std::string_view line(base + pos_, nl - pos_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF, or a bare LF (lenient)
        bool last = false;
        if (!add_line(line, last)) return std::nullopt;
        pos_ = scan_ = nl + 1;
        if (last) {
            lines_ = 0;
            return std::exchange(reply_, Reply{});
        }
    }
    return std::nullopt;
}

bool ReplyReader::add_line(std::string_view line, bool& last) {
    if (line.size() > max_reply_line) return fail("reply line longer than " + std::to_string(max_reply_line) + " octets");
    // RFC 5321 section 4.2: Reply-code = %x32-35 %x30-35 %x30-39; the second
    // digit is not checked (Postfix accepts any three digits).
    const bool code_ok = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && is_digit(line[1]) && is_digit(line[2]);
    const char sep = line.size() > 3 ? line[3] : ' ';
    if (!code_ok || (sep != ' ' && sep != '-')) return fail("malformed reply line " + excerpt(line));
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (lines_ == 0) {
        reply_.code = code;
    } else if (code != reply_.code) {
        // RFC 5321 section 4.2.1: every line of a multiline reply has the same code.
        return fail("reply line with code " + std::to_string(code) + " inside a " + std::to_string(reply_.code) + " reply");
    }
    if (++lines_ > max_reply_lines) return fail("reply longer than " + std::to_string(max_reply_lines) + " lines");
    last = sep == ' ';

    std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
    if (lines_ == 1) {
        // RFC 2034 section 4 / RFC 3463 section 2: the class must agree with the code's.
        const std::size_t n = enhanced_length(text);
        if (n > 0 && text[0] == line[0]) reply_.enhanced.assign(text.substr(0, n));
    }
    const std::string& enh = reply_.enhanced;
    if (!enh.empty() && text.substr(0, enh.size()) == enh && (text.size() == enh.size() || text[enh.size()] == ' ')) {
        text.remove_prefix(text.size() == enh.size() ? enh.size() : enh.size() + 1);
    }

    if (lines_ > 1) reply_.text += '\n';
    const std::size_t start = reply_.text.size();
    reply_.text += text;
    for (std::size_t i = start; i < reply_.text.size(); ++i) {
        const auto c = static_cast<unsigned char>(reply_.text[i]);
        if (c < 0x20 || c == 0x7f) reply_.text[i] = '?';
    }
    return true;
}

std::string one_line(const Reply& reply) {
    std::string out = std::to_string(reply.code);
    if (!reply.enhanced.empty()) {
        out += ' ';
        out += reply.enhanced;
    }
    std::string_view rest = reply.text;
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        if (!line.empty()) {
            out += ' ';
            out += line;
        }
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
    }
    return out;
}

}  // namespace mxlab::smtp
