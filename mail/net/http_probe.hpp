// Telling an HTTP request from a mail client by its first bytes, so that a browser pointed at a mail port is hung up on before any of its lines runs as a command.
//
// A web page can make a browser POST to http://mail.host:25/ with a body of
// SMTP commands (a cross-protocol attack); Postfix refuses such a session at
// its first line ("HTTP request"), chasquid too. Mail commands never start
// with these verbs in capitals followed by a space, so the first line decides.
// Pure: the server feeds it what arrived until it is decided.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace mxlab::mail::net {

class HttpProbe {
public:
    enum class Verdict { undecided, mail, http };

    // `head`: every byte the client has sent so far. undecided while it is a
    // proper prefix of "<VERB> "; then fixed.
    static Verdict judge(std::string_view head) {
        static constexpr std::array<std::string_view, 7> verbs{"GET ", "POST ", "HEAD ", "CONNECT ", "PUT ", "OPTIONS ", "DELETE "};
        bool could_be = false;
        for (auto v : verbs) {
            if (head.starts_with(v)) return Verdict::http;
            if (v.starts_with(head)) could_be = true;
        }
        return could_be ? Verdict::undecided : Verdict::mail;
    }

    // The longest head that can still be undecided.
    static constexpr std::size_t max_head = 8;
};

}  // namespace mxlab::mail::net
