// APPEND's message with CRLF line ends (RFC 9051 section 6.3.12 asks for CRLF; Dovecot and our SMTP side store them so): a bare LF becomes CRLF, across pieces.
#pragma once

#include <string>
#include <string_view>

namespace mxlab::imap {

class CrlfNormalizer {
public:
    // Appends `in` to `out` with each LF not preceded by CR written as CRLF.
    void feed(std::string_view in, std::string& out) {
        out.reserve(out.size() + in.size());
        for (char c : in) {
            if (c == '\n' && !last_cr_) out += '\r';
            out += c;
            last_cr_ = c == '\r';
        }
    }

private:
    bool last_cr_ = false;
};

}  // namespace mxlab::imap
