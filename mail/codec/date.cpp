// RFC 5322 date-times without strftime, so that no locale can change the day and month names; see date.hpp.
#include "mail/codec/date.hpp"

#include <cstdio>
#include <ctime>

namespace mxlab::mail {

std::string rfc5322_date(std::chrono::system_clock::time_point t, std::chrono::seconds utc_offset) {
    using namespace std::chrono;
    static constexpr const char* day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto local = floor<seconds>(t) + utc_offset;
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    const hh_mm_ss hms{local - day};
    // As strftime's %z: the sign, then the hours and minutes of the offset; its seconds are dropped.
    const auto east = utc_offset.count();
    const auto off = static_cast<unsigned long long>(east < 0 ? -east : east) / 60;
    char buf[96];  // more than the longest text these types can print, so nothing is cut
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02u:%02u:%02u %c%02llu%02llu", day_names[weekday{day}.c_encoding()],
                  unsigned(ymd.day()), month_names[unsigned(ymd.month()) - 1], int(ymd.year()), unsigned(hms.hours().count()),
                  unsigned(hms.minutes().count()), unsigned(hms.seconds().count()), east < 0 ? '-' : '+', off / 60, off % 60);
    return buf;
}

std::chrono::seconds local_utc_offset(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    if (!localtime_r(&tt, &tm)) return {};
    return std::chrono::seconds{tm.tm_gmtoff};
}

}  // namespace mxlab::mail
