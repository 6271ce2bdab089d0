// libFuzzer target: SMTP command lines through mail/smtp/command, and reply texts through format().
//
// Input: one flag byte (bit 0: utf8_allowed), then the command line. Checks
// that nothing crashes and that what the parser returns can be trusted:
// refusals are one well-formed reply line with a code the header allows;
// paths have lower-case domains, are ASCII unless SMTPUTF8 allowed them, and
// their `address` parses back to the same path (it is what the queue will
// send on); xtext decoding round-trips.
#include "mail/smtp/command.hpp"
#include "mail/smtp/reply.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using mxlab::smtp::Command;
using mxlab::smtp::Reply;
using mxlab::smtp::Verb;

void check(bool ok) {
    if (!ok) std::abort();
}

bool ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return false;
    }
    return true;
}

// One reply line, CRLF only at its end.
void check_reply(const Reply& r) {
    check(r.code == 500 || r.code == 501 || r.code == 504 || r.code == 552 || r.code == 553 || r.code == 555);
    check(r.enhanced.size() == 5 && r.enhanced[0] == static_cast<char>('0' + r.code / 100));
    const std::string wire = mxlab::smtp::format(r);
    check(wire.size() >= 6 && wire.ends_with("\r\n"));
    check(wire.find('\r') == wire.size() - 2 && wire.find('\n') == wire.size() - 1);
}

void check_path(const Command& c, bool utf8_allowed) {
    const auto& p = c.path;
    // Lower case, but for the canonical "IPv6:" tag of an address literal.
    const std::string_view domain = std::string_view(p.domain).starts_with("[IPv6:") ? std::string_view(p.domain).substr(6) : p.domain;
    for (char ch : domain) check(!(ch >= 'A' && ch <= 'Z'));
    if (!p.utf8) check(ascii(p.address) && ascii(p.local) && ascii(p.domain));
    if (p.utf8) check(utf8_allowed || (c.verb == Verb::mail && c.mail.smtputf8));
    for (unsigned char ch : p.address) check(ch >= 32 && ch != 127);
    if (p.address.empty()) {
        check(c.verb == Verb::mail && p.local.empty() && p.domain.empty());
        return;
    }
    if (p.domain.empty()) {
        check(c.verb == Verb::rcpt && p.address == "postmaster" && p.local == "postmaster");
        return;
    }
    // The address as the queue will send it must mean the same path.
    const auto again = mxlab::smtp::parse_command("RCPT TO:<" + p.address + ">", true);
    const Command* c2 = std::get_if<Command>(&again);
    check(c2 != nullptr);
    check(c2->path.address == p.address && c2->path.local == p.local && c2->path.domain == p.domain && c2->path.utf8 == p.utf8);
}

void check_xtext(std::string_view text) {
    const auto decoded = mxlab::smtp::decode_xtext(text);
    if (!decoded) return;
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string encoded;
    for (unsigned char c : *decoded) {
        if (c >= 33 && c <= 126 && c != '+' && c != '=') {
            encoded += static_cast<char>(c);
        } else {
            encoded += '+';
            encoded += hex[c >> 4];
            encoded += hex[c & 15];
        }
    }
    const auto again = mxlab::smtp::decode_xtext(encoded);
    check(again && *again == *decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const bool utf8_allowed = (data[0] & 1) != 0;
    const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);

    const auto result = mxlab::smtp::parse_command(line, utf8_allowed);
    if (const auto* r = std::get_if<Reply>(&result)) {
        check_reply(*r);
    } else {
        const auto& c = std::get<Command>(result);
        if (c.verb == Verb::mail || c.verb == Verb::rcpt) check_path(c, utf8_allowed);
        if (c.verb == Verb::unknown) check(c.arg == line);
        if (c.verb != Verb::unknown) check(c.arg.size() <= line.size());
        if (c.verb == Verb::bdat) check(c.arg.size() >= 1);
    }

    check_xtext(line);

    // Any text, several lines: one CRLF per line, no stray CR.
    const std::string wire = mxlab::smtp::format(Reply{250, "2.0.0", std::string(line)});
    std::size_t lines = 1;
    for (char ch : line) lines += ch == '\n';
    std::size_t crlf = 0;
    for (std::size_t i = 0; i < wire.size(); ++i) {
        if (wire[i] == '\r') {
            check(i + 1 < wire.size() && wire[i + 1] == '\n');
            ++crlf;
        } else if (wire[i] == '\n') {
            check(i > 0 && wire[i - 1] == '\r');
        }
    }
    check(crlf == lines);
    return 0;
}
