// SASL PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) exchanges for SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE; pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxlab::auth {

// RFC 4648 base64. decode: nullopt for bad characters, bad padding or a bad length.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

struct Credentials {
    std::string authzid;   // empty unless the client asked to act as someone else
    std::string authcid;   // the login name
    std::string password;
};

// A decoded PLAIN message "[authzid] NUL authcid NUL passwd"; nullopt when
// malformed (missing NULs, empty authcid or password, more than two NULs).
std::optional<Credentials> parse_plain(std::string_view message);

enum class Mechanism { plain, login };
std::optional<Mechanism> parse_mechanism(std::string_view name);  // case-insensitive

// One AUTH exchange. The protocol layer sends each challenge (already base64,
// possibly empty) as "334 <c>" (SMTP) or "+ <c>" (POP3/IMAP) and feeds the
// client's next line to step().
class SaslExchange {
public:
    struct Step {
        enum class Kind {
            challenge,  // send `challenge`, then call step() with the reply
            done,       // `credentials` are complete: verify them
            malformed,  // bad base64 or message: 501 5.5.2 / -ERR / BAD
            cancelled,  // the client sent "*": 501 5.0.0 / -ERR / BAD
        };
        Kind kind = Kind::malformed;
        std::string challenge;
        Credentials credentials;
    };

    explicit SaslExchange(Mechanism m) : mechanism_(m) {}
    // `initial`: the initial response when the command carried one ("=" is
    // the empty one, RFC 4954 section 4), nullopt when it did not.
    Step start(std::optional<std::string_view> initial);
    Step step(std::string_view line);  // the client's line without CRLF

private:
    enum class State { start, plain, username, password, finished };
    Step finish(Step::Kind kind, Credentials c = {});
    Step challenge(State next, std::string_view text);
    Step login_user(std::optional<std::string> user);

    Mechanism mechanism_;
    State state_ = State::start;
    std::string user_;
};

}  // namespace mxlab::auth
