// RFC 5322 date-times for the headers mxlab writes (Received, Date, a bounce's DSN fields): English names whatever the locale, the zone given.
//
// SMTP's Received and Date fields carry the local time with its numeric
// offset, as Postfix writes them (rfc5322_date(t, local_utc_offset(t)));
// a bounce is written in UTC, so that it reads no clock or zone and tests
// know it exactly.
#pragma once

#include <chrono>
#include <string>

namespace mxlab::mail {

// "Thu, 26 Nov 2026 13:00:00 +0100" (RFC 5322 section 3.3): `t` as a clock
// `utc_offset` east of UTC shows it (negative: west), then that offset in
// whole minutes. Fractions of a second are dropped.
std::string rfc5322_date(std::chrono::system_clock::time_point t, std::chrono::seconds utc_offset = {});

// The offset from UTC of the local time zone (TZ, else /etc/localtime) at `t`.
std::chrono::seconds local_utc_offset(std::chrono::system_clock::time_point t);

}  // namespace mxlab::mail
