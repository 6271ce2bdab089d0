// Errors as values for the mail store: an error code the protocols map to replies, and a Result<T>.
//
// The store never throws after open: every expected failure (no such mailbox,
// name taken, disk full) comes back as an Error, and the SMTP/IMAP/POP3 layers
// map Errc to their reply codes in one place each.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mxlab::store {

enum class Errc {
    not_found,       // the mailbox, message or queue entry does not exist   (IMAP NO [NONEXISTENT])
    already_exists,  // CREATE or RENAME onto an existing name               (IMAP NO [ALREADYEXISTS])
    invalid,         // a bad name, deleting INBOX, an empty delivery ...    (IMAP NO [CANNOT] / BAD)
    io,              // RocksDB failed (disk full, I/O error): temporary     (SMTP 451 4.3.0)
    corrupt,         // a stored record does not decode: disk damage or a bug
    closed,          // the store is shutting down                           (SMTP 421)
    // The mailbox a session opened (its MailboxRef) was deleted, or renamed
    // away, since: nothing was done, and the session must not retry by name
    // (IMAP BYE / NO, POP3 -ERR [SYS/TEMP]).
    gone,
};

std::string_view to_string(Errc code);

struct Error {
    Errc code;
    std::string message;  // for logs and reply text: says what, never leaks paths of other users
};

// Either a T or an Error. A small stand-in for C++23's std::expected.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { assert(!ok()); return std::get<1>(v_); }
    Errc code() const { return error().code; }

private:
    std::variant<T, Error> v_;
};

// Success or an Error, for operations that return nothing else.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { assert(!ok_); return error_; }
    Errc code() const { return error().code; }

private:
    Error error_{Errc::invalid, {}};
    bool ok_ = true;
};

using Status = Result<void>;

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace mxlab::store
