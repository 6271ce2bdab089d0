// Bounces: the delivery status notification (RFC 3464, in RFC 6522 multipart/report) the queue runner sends to a message's sender; pure.
//
// make_bounce() writes the whole message, Postfix-style ("Undelivered Mail
// Returned to Sender"): a text part a student can read, a
// message/delivery-status part a program can read, and the header section
// of the original message (never its body). The runner stores it and sends
// it like any outbound message, with MAIL FROM:<> (RFC 5321 section 4.5.5)
// to the original envelope sender. A message whose sender was <> is never
// bounced (RFC 5321 section 6.1): the runner does not ask, and an empty
// sender here is an error value.
//
// Nothing here reads a clock, the time zone or the configuration: the caller
// passes "now", the host name (appliance.hostname) and the queue id, and the
// dates are written in UTC (mail/codec/date.hpp), so the output is exact in tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mxlab::queue {

using TimePoint = std::chrono::system_clock::time_point;

// RFC 3464 section 2.3.3; only the two the runner reports.
enum class DsnAction { failed, delayed };

struct BounceRecipient {
    std::string address;   // the final recipient, as in RCPT TO, without <>
    // The ORCPT address (RFC 3461) the client gave, or the address before an
    // alias rewrote it; "" = none. RFC 3461 section 6.3 (d) wants
    // Original-Recipient only from ORCPT; Postfix also fills it from its
    // own rewriting. It is written whenever given: the caller decides.
    std::string original;
    DsnAction action = DsnAction::failed;
    std::string status;      // RFC 3463 code: 5.x.y for failed, 4.x.y for delayed
    std::string remote_mta;  // the MX host that answered ("mail.bigsky.com"); "" = none did
    std::string remote_ip;   // its address, for the text part ("127.0.2.10"); may be ""
    // The peer's whole reply on one line ("550 5.1.1 <x@y>: Recipient address
    // rejected"), or our own reason ("connect to mail.bigsky.com[127.0.2.10]:25:
    // Connection refused", "message expired after 2d in the queue").
    std::string diagnostic;
    bool from_remote = false;  // `diagnostic` is the remote SMTP server's reply
    std::string in_reply_to;   // the command that reply answered ("RCPT TO", "end of DATA"); may be ""
    std::optional<TimePoint> last_attempt;      // Last-Attempt-Date; nullopt = now
    std::optional<TimePoint> will_retry_until;  // delayed: Will-Retry-Until (RFC 3464 section 2.3.9)
};

struct BounceRequest {
    std::string reporting_mta;  // our host name: From, Message-ID, Reporting-MTA
    std::string sender;         // the original envelope sender: To; must not be empty
    std::string queue_id;       // 1-32 of [A-Za-z0-9_-]: X-Mxlab-Queue-ID, Message-ID, boundary
    TimePoint arrival;          // when the original was queued: Arrival-Date
    TimePoint now;              // Date, Message-ID
    std::vector<BounceRecipient> recipients;  // at least one
    std::string_view original;  // the original message as stored (only its header section is read); not owned
};

struct Bounce {
    std::string message;  // RFC 5322, CRLF line ends, every line under 998 octets
    // Bytes >= 0x80 somewhere (UTF-8 addresses, 8-bit original headers): send
    // with BODY=8BITMIME (RFC 6152); a UTF-8 sender also needs SMTPUTF8.
    bool eight_bit = false;
};

enum class BounceError {
    null_sender,    // the sender was <>: no bounce (RFC 5321 section 6.1)
    no_recipients,  // nothing to report
    bad_address,    // an empty, overlong or non-UTF-8 address, or one with a control character or < >
    bad_name,       // a host name, IP address or queue id with characters a header cannot carry
    bad_status,     // not class.subject.detail, or its class does not fit the action (RFC 3463 section 3.1)
};
std::string_view to_string(BounceError error);

// The most of the original header section that is returned: a hostile
// message must not make a huge bounce. It is cut at a field boundary.
inline constexpr std::size_t max_returned_headers = 64 * 1024;

std::variant<Bounce, BounceError> make_bounce(const BounceRequest& request);

}  // namespace mxlab::queue
