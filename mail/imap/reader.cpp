// IMAP command framing: lines, literals and streamed APPEND literals, each bounded; see reader.hpp.
#include "mail/imap/reader.hpp"

#include <algorithm>
#include <optional>

#include "core/ascii.hpp"

namespace mxlab::imap {

namespace {

// While a refused command is skipped, only this much of its current line is
// kept: enough to see the "{n+}" a line may end with.
constexpr std::size_t discard_tail = 32;
// Buffers above this size are freed, not kept, once their command is done.
constexpr std::size_t keep_capacity = 4096;
// A streamed literal is handed out in pieces of at most this size.
constexpr std::size_t max_chunk = 64 * 1024;

struct Literal {
    std::size_t start = 0;  // of "{" or "~{" in the line
    std::uint64_t size = 0;
    bool nonsync = false;
};

// "{n}", "{n+}", "{n-}" or "~{n}" at the end of a line (RFC 9051 section 4.3, RFC 7888, RFC 3516).
std::optional<Literal> literal_at_end(std::string_view line) {
    if (line.empty() || line.back() != '}') return std::nullopt;
    std::size_t i = line.size() - 1;
    Literal lit;
    if (i > 0 && (line[i - 1] == '+' || line[i - 1] == '-')) {
        lit.nonsync = true;
        --i;
    }
    const std::size_t digits_end = i;
    while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9') --i;
    const std::size_t digits = digits_end - i;
    // 19 digits always fit in 64 bits; parse_command refuses what the text cannot hold.
    if (digits == 0 || digits > 19 || i == 0 || line[i - 1] != '{') return std::nullopt;
    for (std::size_t k = i; k < digits_end; ++k) lit.size = lit.size * 10 + static_cast<unsigned>(line[k] - '0');
    lit.start = i - 1;
    if (lit.start > 0 && line[lit.start - 1] == '~') --lit.start;
    return lit;
}

// A tag as RFC 9051 section 9 allows it (ASTRING-CHAR except "+"), else "":
// only a valid one is echoed in a BAD reply.
std::string tag_of(std::string_view line) {
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0) return {};
    const std::string_view tag = line.substr(0, sp);
    for (const unsigned char c : tag) {
        if (c <= 0x20 || c >= 0x7f) return {};
        switch (c) {
        case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case '+': return {};
        default: break;
        }
    }
    return std::string(tag);
}

// Whether a literal after `before` can be an APPEND's message: the command's
// second word is APPEND and a mailbox name comes before the literal (a big
// literal for the name itself is refused as too big, not streamed).
bool is_append_message(std::string_view before) {
    const std::size_t sp = before.find(' ');
    if (sp == std::string_view::npos) return false;
    before.remove_prefix(sp + 1);
    if (!istarts_with(before, "APPEND ")) return false;
    before.remove_prefix(7);
    while (!before.empty() && before.back() == ' ') before.remove_suffix(1);
    return !before.empty();
}

}  // namespace

CommandReader::CommandReader(ReaderLimits limits) : limits_(limits) {}

void CommandReader::feed(std::string_view bytes) {
    // Drop what was consumed before growing: the buffer holds the unread bytes only.
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    buf_.append(bytes);
}

// The command's lines together (with each literal's "{n}" and CRLF), its literals' bytes aside.
std::size_t CommandReader::text_size() const { return cmd_.size() - small_literals_; }

std::size_t CommandReader::buffered() const { return buf_.size() - pos_ + cmd_.size(); }

std::string_view CommandReader::command() const { return out_; }
const std::string& CommandReader::tag() const { return tag_; }
std::uint64_t CommandReader::stream_size() const { return stream_size_; }
bool CommandReader::stream_nonsync() const { return nonsync_; }
std::string_view CommandReader::stream_chunk() const { return out_; }

void CommandReader::expect_plain_line() { plain_line_ = true; }

void CommandReader::refuse_stream() {
    if (mode_ != Mode::stream) return;
    cmd_.clear();
    line_start_ = 0;
    if (nonsync_ || literal_left_ < stream_size_) {
        // The client sends the bytes without waiting, or is sending them:
        // skip them and the rest of their line.
        mode_ = Mode::skip;
        discard_ = true;
    } else {
        // The client waits for "+" and, refused, sends nothing more of this command.
        mode_ = Mode::line;
        literal_left_ = 0;
        reset();
    }
}

void CommandReader::reset() {
    // An idle connection keeps no big command's memory (DESIGN.md: an idle IMAP
    // connection is meant to cost a few KB); a small one's is reused.
    if (cmd_.capacity() > keep_capacity) std::string().swap(cmd_);
    cmd_.clear();
    line_start_ = 0;
    small_literals_ = 0;
    literals_ = 0;
    tag_.clear();
    discard_ = false;
    stream_rest_ = false;
}

void CommandReader::finish() { finished_ = true; }

CommandReader::Event CommandReader::refuse(Event why, std::uint64_t nonsync_bytes) {
    // After a streamed literal the tag is the one stream_begin kept.
    if (!stream_rest_) tag_ = tag_of(std::string_view(cmd_).substr(0, std::min(cmd_.find('\r'), cmd_.size())));
    discard_ = true;
    cmd_.clear();
    line_start_ = 0;
    if (nonsync_bytes > 0) {
        literal_left_ = nonsync_bytes;
        mode_ = Mode::skip;
    }
    return why;
}

CommandReader::Event CommandReader::next() {
    out_ = {};
    if (finished_) {
        finished_ = false;
        reset();
    }
    if (pos_ > 0 && pos_ == buf_.size()) {
        if (buf_.capacity() > keep_capacity) std::string().swap(buf_);
        buf_.clear();
        pos_ = 0;
    }
    for (;;) {
        const std::string_view avail = std::string_view(buf_).substr(pos_);
        switch (mode_) {
        case Mode::literal:
        case Mode::skip: {
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, avail.size()));
            if (mode_ == Mode::literal) cmd_.append(avail.substr(0, take));
            pos_ += take;
            literal_left_ -= take;
            if (literal_left_ > 0) return Event::need_more;
            if (discard_) cmd_.clear();  // the skipped line's tail: its literal is done
            line_start_ = cmd_.size();
            mode_ = Mode::line;
            continue;
        }
        case Mode::stream: {
            if (avail.empty()) return Event::need_more;
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>({literal_left_, avail.size(), max_chunk}));
            out_ = avail.substr(0, take);
            pos_ += take;
            literal_left_ -= take;
            if (literal_left_ == 0) {
                mode_ = Mode::line;
                stream_rest_ = true;
                small_literals_ = 0;
                cmd_.clear();
                line_start_ = 0;
            }
            return Event::stream_bytes;
        }
        case Mode::line: {
            const std::size_t lf = avail.find('\n');
            const std::size_t take = lf == std::string_view::npos ? avail.size() : lf;
            if (discard_) {
                cmd_.append(avail.substr(0, take));
                if (cmd_.size() > discard_tail) cmd_.erase(0, cmd_.size() - discard_tail);
                line_start_ = 0;
            } else if (text_size() + take > limits_.max_line + 1) {  // + 1: the CR
                // The tag is on the first line, in cmd_ or in what just came; the
                // line's bytes are left for the next call to skip, keeping its tail.
                const bool first_line = line_start_ == 0 && !plain_line_ && !stream_rest_;
                std::string first = cmd_.substr(0, std::min(cmd_.find('\r'), cmd_.size()));
                if (first_line) first.append(avail.substr(0, std::min<std::size_t>(take, 1024)));
                const Event e = refuse(Event::too_long, 0);
                if (first_line) tag_ = tag_of(first);
                else if (plain_line_) tag_.clear();
                return e;
            } else {
                cmd_.append(avail.substr(0, take));
            }
            pos_ += take;
            if (lf == std::string_view::npos) return Event::need_more;
            ++pos_;
            if (cmd_.size() > line_start_ && cmd_.back() == '\r') cmd_.pop_back();
            if (!discard_ && text_size() > limits_.max_line) {
                // A line of max_line + 1 bytes ending in CRLF; its literal, if it sends one anyway, is skipped.
                const auto lit = plain_line_ ? std::nullopt : literal_at_end(std::string_view(cmd_).substr(line_start_));
                plain_line_ = false;
                const bool skip = lit && lit->nonsync;
                const Event e = refuse(Event::too_long, skip ? lit->size : 0);
                if (!skip) finish();
                return e;
            }
            if (line_ends_command()) {
                if (discard_) {
                    reset();
                    continue;
                }
                out_ = cmd_;
                finish();
                if (stream_rest_) return Event::stream_end;
                return Event::command;
            }
            // A literal follows the line.
            const auto lit = literal_at_end(std::string_view(cmd_).substr(line_start_));
            ++literals_;
            if (discard_) {
                if (!lit->nonsync) {
                    // The client waits for a "+" that never comes: the command ends here.
                    reset();
                    continue;
                }
                literal_left_ = lit->size;
                mode_ = Mode::skip;
                continue;
            }
            if (literals_ > limits_.max_literals) {
                const Event e = refuse(Event::too_big, lit->nonsync ? lit->size : 0);
                if (!lit->nonsync) finish();
                return e;
            }
            if (lit->size <= limits_.max_literal - small_literals_) {
                small_literals_ += static_cast<std::size_t>(lit->size);
                cmd_ += "\r\n";
                literal_left_ = lit->size;
                mode_ = Mode::literal;
                if (!lit->nonsync) return Event::continuation;
                continue;
            }
            if (is_append_message(std::string_view(cmd_).substr(0, line_start_ + lit->start)) &&
                lit->size <= limits_.max_append) {
                std::size_t end = line_start_ + lit->start;
                while (end > 0 && cmd_[end - 1] == ' ') --end;
                cmd_.resize(end);
                out_ = cmd_;
                tag_ = tag_of(cmd_);
                stream_size_ = lit->size;
                nonsync_ = lit->nonsync;
                literal_left_ = lit->size;
                mode_ = Mode::stream;
                return Event::stream_begin;
            }
            const Event e = refuse(Event::too_big, lit->nonsync ? lit->size : 0);
            if (!lit->nonsync) finish();
            return e;
        }
        }
    }
}

// Whether the line just read ends the command; otherwise it ends in a literal's announcement.
bool CommandReader::line_ends_command() {
    if (plain_line_) {
        plain_line_ = false;
        return true;
    }
    // After a streamed literal the rest of the line is handed out as it is (no MULTIAPPEND).
    if (stream_rest_) return true;
    return !literal_at_end(std::string_view(cmd_).substr(line_start_)).has_value();
}

}  // namespace mxlab::imap
