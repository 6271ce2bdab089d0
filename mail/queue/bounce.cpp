// Bounces: builds the RFC 3464 delivery status notification; see bounce.hpp.
#include "mail/queue/bounce.hpp"

#include <algorithm>
#include <cstdio>

#include "mail/codec/date.hpp"

namespace mxlab::queue {

namespace {

// RFC 5322 section 2.1.1: lines MUST be at most 998 octets and SHOULD be at
// most 78. Text is wrapped at `text_width`; a word longer than `max_word` is
// cut, which only a hostile peer's reply or header can cause.
constexpr std::size_t text_width = 76;
constexpr std::size_t field_width = 78;
constexpr std::size_t max_word = 900;
constexpr std::size_t max_line = 998;
static_assert(max_word + field_width < max_line, "a cut word and its line's start fit in a line");
// A peer's reply is at most 512 octets a line (RFC 5321 section 4.5.3.1.5);
// a long multiline one is cut here rather than fill the bounce.
constexpr std::size_t max_diagnostic = 2000;
constexpr std::size_t max_address = 512;
constexpr std::size_t max_name = 255;
constexpr std::size_t max_queue_id = 32;  // keeps the boundary within 70 (RFC 2046 section 5.1.1)

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 4;
        if (n == 4 || c == 0xC0 || c == 0xC1 || c > 0xF4 || (n > 0 && i + n >= s.size())) return false;
        for (std::size_t k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n + 1;
    }
    return true;
}

// Addresses go into To:, into DSN fields and between < >: a CR or LF would
// start a new header field (injection), a < or > would end the brackets.
bool valid_address(std::string_view a) {
    if (a.empty() || a.size() > max_address || !valid_utf8(a)) return false;
    return std::none_of(a.begin(), a.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F || c == '<' || c == '>';
    });
}

bool only(std::string_view s, std::string_view extra) {
    return std::all_of(s.begin(), s.end(), [&](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               extra.find(c) != std::string_view::npos;
    });
}

bool valid_host(std::string_view h, std::string_view extra) {
    return !h.empty() && h.size() <= max_name && only(h, extra);
}

bool valid_status(std::string_view s, DsnAction action) {
    // RFC 3463 section 3.1: class "." subject "." detail, 1-3 digits each but
    // the class; a failure is class 5 (permanent), a delay class 4 (transient).
    char want = action == DsnAction::failed ? '5' : '4';
    if (s.size() < 5 || s[0] != want || s[1] != '.') return false;
    std::size_t dot = s.find('.', 2);
    if (dot == std::string_view::npos) return false;
    auto digits = [](std::string_view d) {
        return !d.empty() && d.size() <= 3 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    return digits(s.substr(2, dot - 2)) && digits(s.substr(dot + 1));
}

// Free text for the report: one line (a multiline reply is joined with
// spaces), controls as spaces, runs of spaces as one. A byte >= 0x80 becomes
// '?': an SMTP reply is US-ASCII (RFC 5321 section 2.4) unless the peer
// misbehaves, and keeping the text and the DSN fields (RFC 3464 section 2.1)
// in US-ASCII leaves no charset to declare and no encoding to choose, for
// the price of a few unreadable characters in a rare reply.
std::string clean_text(std::string_view s) {
    std::string out;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F || c == ' ') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += u >= 0x80 ? '?' : c;
        }
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.size() > max_diagnostic) {
        out.resize(max_diagnostic);
        out += "...";
    }
    return out;
}

// Word-wraps one logical line of `text` (single spaces between words) into
// lines of at most `width` octets where the words allow, each ending in CRLF;
// each continuation line starts with `indent`. With indent " " this is RFC
// 5322 folding (section 2.2.3): the CRLF goes before a space, so unfolding
// gives back the text exactly.
std::string wrap(std::string_view text, std::size_t width, std::string_view indent) {
    std::string out;
    std::size_t line_len = 0;  // octets on the current output line
    bool line_has_word = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view word = text.substr(pos, end - pos);
        pos = end + 1;
        while (!word.empty()) {
            std::string_view piece = word.substr(0, max_word);
            word.remove_prefix(piece.size());
            if (line_has_word && line_len + 1 + piece.size() > width) {
                out += "\r\n";
                out += indent;
                line_len = indent.size();
            } else if (line_has_word) {
                out += ' ';
                ++line_len;
            }
            out += piece;
            line_len += piece.size();
            line_has_word = true;
        }
    }
    out += "\r\n";
    return out;
}

// "Name: value", folded (RFC 5322 section 2.2.3).
std::string field(std::string_view name, std::string_view value) {
    std::string line(name);
    line += ": ";
    line += value;
    return wrap(line, field_width, " ");
}

// "20250118103000": the Message-ID's and the boundary's time, in UTC.
std::string stamp(TimePoint t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02u%02u%02u%02u%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()),
                  unsigned(hms.hours().count()), unsigned(hms.minutes().count()), unsigned(hms.seconds().count()));
    return buf;
}

// The header section of `msg` (RFC 5322 section 2.1: up to the first empty
// line; all of it when there is none), as received but for what a message
// must not carry (section 2.3): line ends become CRLF, a lone CR a space,
// and a line over 998 octets is folded. Cut at a field boundary when it
// would pass `cap`.
std::string header_section(std::string_view msg, std::size_t cap) {
    std::string out;
    std::size_t field_start = 0;  // where the last field begins in `out`
    std::size_t pos = 0;
    while (pos < msg.size()) {
        std::size_t eol = msg.find('\n', pos);
        std::size_t next = eol == std::string_view::npos ? msg.size() : eol + 1;
        std::string_view line = msg.substr(pos, next - pos);
        pos = next;
        if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        std::string fixed;
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (i > 0 && i % 990 == 0) fixed += "\r\n ";
            fixed += line[i] == '\r' ? ' ' : line[i];
        }
        fixed += "\r\n";
        bool continuation = line[0] == ' ' || line[0] == '\t';
        if (out.size() + fixed.size() > cap) {
            if (continuation) out.resize(field_start);  // no half fields
            break;
        }
        if (!continuation) field_start = out.size();
        out += fixed;
    }
    return out;
}

// The text part's account of one recipient, Postfix-style:
// "<wfisk@bigsky.com>: host mail.bigsky.com[127.0.2.10] said: 550 ... (in reply to RCPT TO command)".
std::string explain(const BounceRecipient& r) {
    std::string s = "<" + r.address + ">";
    if (!r.original.empty() && r.original != r.address) s += " (expanded from <" + r.original + ">)";
    s += ": ";
    if (r.from_remote) {
        if (r.remote_mta.empty()) {
            s += "the remote server said: ";
        } else {
            s += "host " + r.remote_mta;
            if (!r.remote_ip.empty()) s += "[" + r.remote_ip + "]";
            s += " said: ";
        }
    }
    s += clean_text(r.diagnostic);
    std::string cmd = clean_text(r.in_reply_to);
    if (r.from_remote && !cmd.empty()) s += " (in reply to " + cmd + " command)";
    return s;
}

constexpr std::string_view failure_intro =
    "I'm sorry to have to inform you that your message could not\r\n"
    "be delivered to one or more recipients. Its headers are attached\r\n"
    "below.\r\n"
    "\r\n"
    "For further assistance, please send mail to postmaster.\r\n"
    "\r\n"
    "If you do so, please include this problem report.\r\n";

constexpr std::string_view delay_intro =
    "####################################################################\r\n"
    "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n"
    "####################################################################\r\n"
    "\r\n"
    "Your message could not be delivered yet to one or more recipients.\r\n"
    "The mail system will keep trying, and will tell you if it gives up.\r\n";

constexpr std::string_view signature = "                   The mail system\r\n";

std::string text_part(const BounceRequest& req, bool any_failed, bool any_delayed) {
    std::string t = "This is the mail system at host " + req.reporting_mta + ".\r\n\r\n";
    t += any_failed ? failure_intro : delay_intro;
    t += "\r\n";
    t += signature;
    for (const auto& r : req.recipients) {
        if (r.action != DsnAction::failed) continue;
        t += "\r\n" + wrap(explain(r), text_width, "    ");
    }
    if (any_failed && any_delayed) {
        t += "\r\nDelivery to the following recipients is still being retried:\r\n";
    }
    for (const auto& r : req.recipients) {
        if (r.action != DsnAction::delayed) continue;
        t += "\r\n" + wrap(explain(r), text_width, "    ");
    }
    return t;
}

// RFC 6533 section 3: a UTF-8 address is of type "utf-8", which only a
// message/global-delivery-status part may carry.
std::string typed(std::string_view address) {
    return std::string(is_ascii(address) ? "rfc822; " : "utf-8; ") + std::string(address);
}

// RFC 3464 section 2.1: the per-message fields, then one group of
// per-recipient fields for each recipient, each after a blank line.
std::string dsn_part(const BounceRequest& req) {
    std::string d = field("Reporting-MTA", "dns; " + req.reporting_mta);       // 2.2.2
    d += field("X-Mxlab-Queue-ID", req.queue_id);                               // 2.4: X- extension field
    d += field("Arrival-Date", mail::rfc5322_date(req.arrival));                // 2.2.5
    for (const auto& r : req.recipients) {
        d += "\r\n";
        if (!r.original.empty()) d += field("Original-Recipient", typed(r.original));  // 2.3.1
        d += field("Final-Recipient", typed(r.address));                              // 2.3.2
        d += field("Action", r.action == DsnAction::failed ? "failed" : "delayed");   // 2.3.3
        d += field("Status", r.status);                                               // 2.3.4
        // 2.3.5: only when a remote MTA took part.
        if (!r.remote_mta.empty()) d += field("Remote-MTA", "dns; " + r.remote_mta);
        // 2.3.6: Diagnostic-Code is the code the transport issued, typed by
        // where it comes from. "smtp" claims a server's reply, so our own
        // reasons (a refused connection, the end of the queue lifetime) get
        // the private type X-mxlab (section 2.3.6 allows "X-" types), as
        // Postfix's X-Postfix: omitting them would leave programs that read
        // only this part (bounce processors) without the reason.
        std::string diag = clean_text(r.diagnostic);
        if (!diag.empty()) d += field("Diagnostic-Code", (r.from_remote ? "smtp; " : "X-mxlab; ") + diag);
        d += field("Last-Attempt-Date", mail::rfc5322_date(r.last_attempt.value_or(req.now)));  // 2.3.7
        if (r.action == DsnAction::delayed && r.will_retry_until)
            d += field("Will-Retry-Until", mail::rfc5322_date(*r.will_retry_until));  // 2.3.9
    }
    return d;
}

struct Part {
    std::string headers;
    std::string body;
};

std::optional<BounceError> check(const BounceRequest& req) {
    if (req.sender.empty()) return BounceError::null_sender;
    if (req.recipients.empty()) return BounceError::no_recipients;
    if (!valid_address(req.sender)) return BounceError::bad_address;
    if (!valid_host(req.reporting_mta, ".-")) return BounceError::bad_name;
    if (req.queue_id.size() > max_queue_id || !valid_host(req.queue_id, "_-")) return BounceError::bad_name;
    for (const auto& r : req.recipients) {
        if (!valid_address(r.address)) return BounceError::bad_address;
        if (!r.original.empty() && !valid_address(r.original)) return BounceError::bad_address;
        if (!r.remote_mta.empty() && !valid_host(r.remote_mta, ".-_[]:")) return BounceError::bad_name;
        if (!r.remote_ip.empty() && !valid_host(r.remote_ip, ".:")) return BounceError::bad_name;
        if (!valid_status(r.status, r.action)) return BounceError::bad_status;
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(BounceError error) {
    switch (error) {
    case BounceError::null_sender:
        return "the sender is <>: no bounce";
    case BounceError::no_recipients:
        return "no recipients to report";
    case BounceError::bad_address:
        return "bad address";
    case BounceError::bad_name:
        return "bad host name, IP address or queue id";
    case BounceError::bad_status:
        return "bad status code for the action";
    }
    return "?";
}

std::variant<Bounce, BounceError> make_bounce(const BounceRequest& req) {
    if (auto e = check(req)) return *e;

    bool any_failed = std::any_of(req.recipients.begin(), req.recipients.end(),
                                  [](const BounceRecipient& r) { return r.action == DsnAction::failed; });
    bool any_delayed = std::any_of(req.recipients.begin(), req.recipients.end(),
                                   [](const BounceRecipient& r) { return r.action == DsnAction::delayed; });
    bool utf8_addresses = std::any_of(req.recipients.begin(), req.recipients.end(), [](const BounceRecipient& r) {
        return !is_ascii(r.address) || !is_ascii(r.original);
    });

    // An 8-bit part says so (RFC 2045 section 6.2), and so does the
    // multipart around it (section 6.4).
    const char* eight_bit_cte = "Content-Transfer-Encoding: 8bit\r\n";
    std::vector<Part> parts(3);
    parts[0].headers = "Content-Description: Notification\r\n";
    parts[0].headers += utf8_addresses ? "Content-Type: text/plain; charset=utf-8\r\n" : "Content-Type: text/plain; charset=us-ascii\r\n";
    if (utf8_addresses) parts[0].headers += eight_bit_cte;
    parts[0].body = text_part(req, any_failed, any_delayed);

    // RFC 6533 section 3: UTF-8 addresses need the "global" form of the report.
    parts[1].headers = "Content-Description: Delivery report\r\n";
    parts[1].headers += utf8_addresses ? "Content-Type: message/global-delivery-status\r\n" : "Content-Type: message/delivery-status\r\n";
    if (utf8_addresses) parts[1].headers += eight_bit_cte;
    parts[1].body = dsn_part(req);

    // RFC 6522 section 3 (text/rfc822-headers) is text, US-ASCII by default
    // (RFC 2046 section 4.1.2), so 8-bit header fields (RFC 6532 UTF-8, or a
    // sender's raw Latin-1) are returned untouched as message/global-headers
    // (RFC 6533 section 3), the type made for UTF-8 header sections; raw
    // Latin-1 is mislabelled either way, and rewriting it would lose what
    // the sender sent.
    parts[2].body = header_section(req.original, max_returned_headers);
    bool eight_bit_headers = !is_ascii(parts[2].body);
    parts[2].headers = "Content-Description: Undelivered Message Headers\r\n";
    parts[2].headers += eight_bit_headers ? "Content-Type: message/global-headers\r\n" : "Content-Type: text/rfc822-headers\r\n";
    if (eight_bit_headers) parts[2].headers += eight_bit_cte;

    bool eight_bit = utf8_addresses || eight_bit_headers || !is_ascii(req.sender);

    // RFC 2046 section 5.1.1: the boundary must not occur in what it
    // encloses. Derived from the queue id and the time, so tests know it;
    // a message that quotes it (a bounce of a bounce) pushes it to -1, -2, ...
    std::string base = "mxlab-" + req.queue_id + "-" + stamp(req.now);
    std::string boundary = base;
    for (int n = 1; std::any_of(parts.begin(), parts.end(), [&](const Part& p) {
             return p.body.find(boundary) != std::string::npos;
         });
         ++n) {
        boundary = base + "-" + std::to_string(n);
    }

    std::string m;
    m += "Date: " + mail::rfc5322_date(req.now) + "\r\n";
    m += "From: \"Mail Delivery System\" <MAILER-DAEMON@" + req.reporting_mta + ">\r\n";
    m += "To: <" + req.sender + ">\r\n";
    m += any_failed ? "Subject: Undelivered Mail Returned to Sender\r\n" : "Subject: Delayed Mail (still being retried)\r\n";
    m += "Message-ID: <" + stamp(req.now) + "." + req.queue_id + "@" + req.reporting_mta + ">\r\n";
    // RFC 3834 section 5: no vacation program or other responder answers it.
    m += "Auto-Submitted: auto-replied\r\n";
    m += "MIME-Version: 1.0\r\n";
    // RFC 6522 section 3: multipart/report, report-type matching part 2.
    m += "Content-Type: multipart/report; report-type=";
    m += utf8_addresses ? "global-delivery-status" : "delivery-status";
    m += ";\r\n\tboundary=\"" + boundary + "\"\r\n";
    if (eight_bit) m += eight_bit_cte;
    m += "\r\nThis is a MIME-encapsulated message.\r\n";
    for (const auto& p : parts) {
        m += "\r\n--" + boundary + "\r\n";
        m += p.headers;
        m += "\r\n";
        m += p.body;
    }
    m += "\r\n--" + boundary + "--\r\n";
    return Bounce{std::move(m), eight_bit};
}

}  // namespace mxlab::queue
