// What the session fuzz targets share: the input's control header (settings, outcomes, read sizes), the server's side of the loop and the line checks on output.
//
// Input layout:
//   byte 0     settings flags (each target documents its own);
//   bytes 1-3  outcomes: two bits per decision the server makes (does the
//              password check pass, does the store write), taken in turn,
//              starting again at the first when all twelve were used;
//   bytes 4-7  read sizes, taken in turn: 0 reads up to and including the
//              next LF (a client writing line by line), n reads n bytes;
//   the rest   what the client sends.
// The header is fixed-size so that seed files are a real dialog behind eight
// bytes, and the fuzzer can change a decision without moving the dialog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace mxlab::fuzz {

inline void check(bool ok) {
    if (!ok) std::abort();
}

class DialogInput {
public:
    static constexpr std::size_t header_size = 8;

    static std::optional<DialogInput> parse(const std::uint8_t* data, std::size_t size) {
        if (size < header_size) return std::nullopt;
        return DialogInput(data, size);
    }

    std::uint8_t flags() const { return header_[0]; }

    // The next decision, 0..3.
    unsigned choice() {
        const unsigned bit = (decisions_++ % 12) * 2;
        const std::uint32_t bits = header_[1] | (header_[2] << 8) | (header_[3] << 16);
        return (bits >> bit) & 3;
    }

    bool done() const { return fed_ == client_.size(); }
    std::size_t fed() const { return fed_; }

    // The client's next write; empty once everything was sent.
    std::string_view next_read() {
        const std::uint8_t size = header_[4 + reads_++ % 4];
        const std::string_view rest = client_.substr(fed_);
        std::size_t n = size;
        if (size == 0) {
            const std::size_t lf = rest.find('\n');
            n = lf == std::string_view::npos ? rest.size() : lf + 1;
        }
        const std::string_view piece = rest.substr(0, n);
        fed_ += piece.size();
        return piece;
    }

private:
    DialogInput(const std::uint8_t* data, std::size_t size)
        : header_(data), client_(reinterpret_cast<const char*>(data + header_size), size - header_size) {}

    const std::uint8_t* header_;
    std::string_view client_;
    std::size_t fed_ = 0;
    unsigned decisions_ = 0;
    unsigned reads_ = 0;
};

// The part of the server's loop that is the same for every session: sending
// the output, reading the client's next write, waiting for an Action's result.
template <class Session>
class ServerSide {
public:
    // Output may be at most base + per_byte per client byte + per_action per Action answered.
    struct Bound {
        std::size_t base;
        std::size_t per_byte;
        std::size_t per_action;
    };

    ServerSide(Session& session, DialogInput& in, Bound bound) : session_(session), in_(in), bound_(bound) {}

    // Sends the session's output: more than the bound is an amplification a client could use.
    void send() {
        written_ += session_.output().size();
        session_.output().clear();
        check(written_ <= bound_.base + bound_.per_byte * in_.fed() + bound_.per_action * actions_);
    }

    // Action::read: feeds the client's next write; false once the client has sent everything and hung up.
    bool read() {
        if (in_.done()) return false;
        session_.receive(in_.next_read());
        return true;
    }

    // An Action that wants a result is out: until the result, the session must only wait.
    void action_out() {
        ++actions_;
        check(session_.next() == Session::Action::read && session_.output().empty());
    }

private:
    Session& session_;
    DialogInput& in_;
    Bound bound_;
    std::size_t written_ = 0;
    std::size_t actions_ = 0;
};

// Whole CRLF lines: every CR starts a CRLF, every LF ends one, no NUL. A
// client's byte echoed into a reply must not be able to start a line of its own.
inline void check_crlf_lines(std::string_view out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        check(out[i] != '\0');
        if (out[i] == '\r') check(i + 1 < out.size() && out[i + 1] == '\n');
        if (out[i] == '\n') check(i > 0 && out[i - 1] == '\r');
    }
    check(out.empty() || out.ends_with("\r\n"));
}

}  // namespace mxlab::fuzz
