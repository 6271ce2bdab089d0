// Drives an smtp::Session in memory for the tests: a lab config, a fixed clock and ids, and a transcript of the dialog.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "mail/auth/directory.hpp"
#include "mail/smtp/session.hpp"
#include "tests/unit/dialog_script.hpp"
#include "tests/unit/lab_config.hpp"

namespace mxlab::smtp::test {

struct Options {
    std::string relay = "authenticated";
    Port port = Port::mx;
    bool tls_offered = true;
    bool tls_active = false;
    bool require_tls_for_auth = false;
    std::string client = "192.0.2.7";
    std::size_t max_recipients = 100;
    std::size_t store_part_at = Limits{}.store_part_at;
    std::size_t max_header_section = Limits{}.max_header_section;
    bool log_refusals = false;  // "-- rejected ..." lines in the transcript, as the server logs them
};

// A session plus everything the server would do around it, synchronously.
class Driver {
public:
    explicit Driver(const Options& o = {}) {
        // The Date and Received headers use local time: make it UTC for stable transcripts.
        setenv("TZ", "UTC", 1);
        tzset();
        std::string errors;
        cfg_ = mxlab::test::load_lab({.relay = o.relay, .require_tls_for_auth = o.require_tls_for_auth}, errors);
        if (!cfg_) ADD_FAILURE() << errors;
        dir_ = std::make_shared<const auth::Directory>(*cfg_);
        SessionSettings s;
        s.config = cfg_;
        s.directory = dir_;
        s.port = o.port;
        s.tls_offered = o.tls_offered;
        s.limits.max_recipients = o.max_recipients;
        s.limits.store_part_at = o.store_part_at;
        s.limits.max_header_section = o.max_header_section;
        s.now = [] { return std::chrono::system_clock::from_time_t(1795694400); };  // Thu, 26 Nov 2026 12:00:00 +0000
        s.new_id = [this] { return "ID" + std::to_string(++ids_); };
        log_refusals_ = o.log_refusals;
        session_ = std::make_unique<Session>(std::move(s), Client{*config::IpAddr::parse(o.client), 40000}, o.tls_active);
        pump();
    }

    // Sends `bytes` as one read and runs the session until it wants more input.
    // Returns the replies it wrote.
    std::string send(std::string_view bytes) {
        session_->receive(bytes);
        return pump();
    }

    // Everything written since the last read, including replies sent before a TLS handshake or a store call.
    std::string pump() {
        std::string out, all;
        for (;;) {
            auto a = session_->next();
            take_refusals();
            out += session_->output();
            session_->output().clear();
            switch (a) {
            case Session::Action::read:
                record(out);
                return all + out;
            case Session::Action::close:
                closed_ = true;
                record(out);
                transcript_.push_back("-- closed");
                return all + out;
            case Session::Action::start_tls:
                session_->tls_started();
                record(out);
                all += out;
                out.clear();
                transcript_.push_back("-- tls");
                break;
            case Session::Action::authenticate: {
                const auto& c = session_->credentials();
                auto user = dir_->authenticate(c.authcid, c.password);
                session_->auth_result(user ? Session::AuthOutcome::ok : Session::AuthOutcome::bad_credentials, user.value_or(""));
                break;
            }
            case Session::Action::store_part: {
                auto& t = session_->transaction();
                if (t.stored == 0) staged_.clear();  // a new message; a refused one's parts are dropped
                staged_ += t.message;
                parts_.push_back(t.message.size());
                session_->part_stored(!fail_parts_);
                break;
            }
            case Session::Action::deliver: {
                auto& t = session_->transaction();
                delivered_.push_back(t);
                if (t.stored > 0) delivered_.back().message = staged_ + t.message;  // the whole message, as the store gets it
                std::string d = "-- stored from=<" + t.sender.address + ">";
                for (const auto& u : t.local_users) d += " local=" + u;
                for (const auto& r : t.remote) d += " remote=" + r;
                record(out);
                all += out;
                out.clear();
                transcript_.push_back(d);
                session_->delivered(fail_store_ ? "disk full" : "");
                break;
            }
            }
        }
    }

    Session& session() { return *session_; }
    bool closed() const { return closed_; }
    // What each Action::deliver stored, `message` whole even when parts went first (`stored` > 0 then).
    const std::vector<Transaction>& delivered() const { return delivered_; }
    const std::vector<std::size_t>& parts() const { return parts_; }  // the size of each Action::store_part
    // The dialog as lines: "C: ..." (added by the caller), "S: ..." and "-- event".
    std::vector<std::string>& transcript() { return transcript_; }
    void fail_store(bool f) { fail_store_ = f; }
    void fail_parts(bool f) { fail_parts_ = f; }
    // Every refusal the session reported, in order; the server logs each as "smtp.rejected".
    const std::vector<Refusal>& refusals() const { return refusals_; }

private:
    void record(const std::string& out) {
        mxlab::test::record_output(out, transcript_);
        transcript_.insert(transcript_.end(), rejected_lines_.begin(), rejected_lines_.end());
        rejected_lines_.clear();
    }

    // As the server does after each next(): take what the session refused.
    void take_refusals() {
        for (auto& r : session_->refusals()) {
            if (log_refusals_) {
                std::string line = "-- rejected stage=" + std::string(stage_name(r.stage));
                if (!r.from.empty()) line += " from=" + r.from;
                if (!r.to.empty()) line += " to=" + r.to;
                if (!r.user.empty()) line += " user=" + r.user;
                rejected_lines_.push_back(line + " reply=\"" + r.reply + "\"");
            }
            refusals_.push_back(std::move(r));
        }
        session_->refusals().clear();
    }

    std::shared_ptr<const config::Config> cfg_;
    std::shared_ptr<const auth::Directory> dir_;
    std::unique_ptr<Session> session_;
    std::vector<Transaction> delivered_;
    std::string staged_;
    std::vector<std::size_t> parts_;
    std::vector<std::string> transcript_;
    int ids_ = 0;
    bool closed_ = false;
    bool fail_store_ = false;
    bool fail_parts_ = false;
    bool log_refusals_ = false;
    std::vector<Refusal> refusals_;
    std::vector<std::string> rejected_lines_;  // for the transcript, after the replies they refused
};

}  // namespace mxlab::smtp::test
