// libFuzzer target: server bytes through the ReplyReader and the ClientSession, and the same bytes as a message through the DotStuffer.
//
// Input: byte 0 holds flags (STARTTLS allowed, handshake outcome, message
// properties), byte 1 the read size and how many messages to send, the rest
// is what the server says. Checks:
//  - the reader gives the same replies and the same failure in one piece,
//    in reads of the chosen size, and byte by byte (short inputs);
//  - a parsed reply formatted back (reply.hpp) parses to itself;
//  - the session always ends, never writes a CR or LF outside a CRLF, and
//    every message it took on gets one result per recipient whose status
//    class agrees with its outcome (only a message waiting for RSET when
//    the host failed may go without: it was not tried there);
//  - dot-stuffing the bytes equals a byte-by-byte reference, split or not.
#include "mail/smtp/client_session.hpp"
#include "mail/codec/dot_stuffer.hpp"
#include "mail/smtp/reply.hpp"
#include "mail/smtp/reply_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mxlab::smtp;
using Kind = ClientSession::Action::Kind;

void check(bool ok) {
    if (!ok) std::abort();
}

bool same(const Reply& a, const Reply& b) { return a.code == b.code && a.enhanced == b.enhanced && a.text == b.text; }

struct Parsed {
    std::vector<Reply> replies;
    bool failed = false;
};

Parsed parse(std::string_view in, std::size_t step) {
    ReplyReader reader;
    Parsed p;
    for (std::size_t i = 0; i < in.size(); i += step) {
        reader.feed(in.substr(i, step));
        while (auto r = reader.next()) p.replies.push_back(std::move(*r));
    }
    p.failed = reader.failed();
    return p;
}

void check_reader(std::string_view in, std::size_t step) {
    const Parsed whole = parse(in, in.size() + 1);
    for (const std::size_t s : {step, in.size() <= 2000 ? std::size_t{1} : step}) {
        const Parsed split = parse(in, s);
        check(split.failed == whole.failed && split.replies.size() == whole.replies.size());
        for (std::size_t i = 0; i < whole.replies.size(); ++i) check(same(split.replies[i], whole.replies[i]));
    }
    for (const Reply& r : whole.replies) {
        check(r.code >= 200 && r.code <= 599);
        check(r.enhanced.empty() || r.enhanced[0] == '0' + r.code / 100);
        for (const char c : r.text) check(c == '\n' || static_cast<unsigned char>(c) >= 0x20);
        const std::string wire = format(r);
        bool fits = true;  // format() adds the enhanced code to every line, which may pass the limit
        for (std::size_t start = 0; start < wire.size();) {
            const std::size_t end = wire.find("\r\n", start);
            fits = fits && end - start <= max_reply_line;
            start = end + 2;
        }
        if (!fits) continue;
        const Parsed again = parse(wire, wire.size());
        check(!again.failed && again.replies.size() == 1 && same(again.replies[0], r));
    }
}

void check_line_ends(std::string_view out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\r') check(i + 1 < out.size() && out[i + 1] == '\n');
        if (out[i] == '\n') check(i > 0 && out[i - 1] == '\r');
    }
}

void check_session(std::string_view in, std::uint8_t flags, std::size_t step, std::size_t messages) {
    ClientSession s("mail.sina.com", "mail.bigsky.com[127.0.2.10]", flags & 1);
    ReplyReader reader;
    std::size_t fed = 0, sent = 0, settled = 0;
    std::vector<std::size_t> sizes;
    auto take = [&] {
        auto r = s.take_results();
        if (!r) return;
        check(settled < sent && r->size() == sizes[settled]);
        ++settled;
        for (const auto& x : *r) {
            const char cls = x.outcome == ClientSession::Outcome::delivered ? '2'
                             : x.outcome == ClientSession::Outcome::deferred ? '4' : '5';
            check(!x.text.empty() && x.status.size() >= 5 && x.status[0] == cls);
        }
    };
    auto a = s.start();
    // Each turn uses input or moves the session toward its end: bounded.
    for (std::size_t turns = 0;; ++turns) {
        check(turns < 4 * in.size() + 64);
        check_line_ends(a.output);
        if (a.kind == Kind::close) break;
        switch (a.kind) {
        case Kind::read: {
            std::optional<Reply> r;
            while (!(r = reader.next()) && !reader.failed() && fed < in.size()) {
                reader.feed(in.substr(fed, step));
                fed += std::min(step, in.size() - fed);
            }
            if (r) a = s.on_reply(*r);
            else if (reader.failed()) a = s.failed(ClientSession::Failure::protocol, reader.error());
            else a = s.failed((flags & 0x40) ? ClientSession::Failure::timeout : ClientSession::Failure::closed);
            break;
        }
        case Kind::start_tls: a = s.tls_done(flags & 2, "handshake failed"); break;
        case Kind::send_data: a = (flags & 0x80) && fed >= in.size() ? s.failed(ClientSession::Failure::local, "x") : s.data_sent(); break;
        case Kind::idle:
            take();
            if (sent < messages) {
                ClientMessage m;
                m.sender = (flags & 0x10) ? "" : "jack@sina.com";
                m.recipients = {"a@bigsky.com", "b@bigsky.com"};
                if (flags & 0x20) m.recipients.push_back("bad\r\nRCPT TO:<x@y>");
                if (sent == 1) m.recipients.push_back("j\xc3\xa4@bigsky.com");
                m.size = in.size();
                m.eight_bit = flags & 4;
                m.smtputf8 = flags & 8;
                sizes.push_back(m.recipients.size());
                ++sent;
                a = s.send(std::move(m));
            } else {
                a = s.quit();
            }
            break;
        case Kind::close: break;
        }
    }
    take();
    check(s.done());
    check(settled == sent || (settled + 1 == sent && s.host_failure()));
}

void check_stuffer(std::string_view in, std::size_t step) {
    std::string expected;
    bool line_start = true;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (line_start && in[i] == '.') expected += '.';
        expected += in[i];
        line_start = in[i] == '\n' && i > 0 && in[i - 1] == '\r';
    }
    expected += line_start ? ".\r\n" : "\r\n.\r\n";
    for (const std::size_t s : {in.size() + 1, step}) {
        DotStuffer stuffer;
        std::string out;
        for (std::size_t i = 0; i < in.size(); i += s) stuffer.feed(in.substr(i, s), out);
        out += stuffer.finish();
        check(out == expected);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t flags = data[0];
    const std::size_t step = 1 + (data[1] & 0x3f);
    const std::size_t messages = data[1] >> 6;
    const std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
    check_reader(in, step);
    check_session(in, flags, step, messages);
    check_stuffer(in, step);
    return 0;
}
