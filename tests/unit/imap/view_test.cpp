// The selected-mailbox view: numbers change only when the client is told, each untagged response at the right moment, and a model client that reads only those responses stays in step with a randomly changing store.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <sstream>

#include "mail/imap/view.hpp"

namespace mxlab::imap {
namespace {

using store::Uid;
using Options = MailboxView::FlushOptions;

store::Flags flags(std::uint8_t system, std::vector<std::string> keywords = {}) {
    store::Flags f;
    f.system = system;
    f.keywords = std::move(keywords);
    return f;
}

store::MessageInfo info(Uid uid, store::Flags f = {}, store::ModSeq modseq = 1) {
    store::MessageInfo m;
    m.uid = uid;
    m.flags = std::move(f);
    m.modseq = modseq;
    return m;
}

store::FlagChange change(Uid uid, store::Flags f, store::ModSeq modseq) { return {uid, std::move(f), modseq, true}; }

SequenceSet set(std::vector<SeqRange> ranges) { return SequenceSet{std::move(ranges), false}; }

std::string flushed(MailboxView& view, Options options = {}) {
    std::string out;
    view.flush(out, options);
    return out;
}

// UIDs 1..n, none seen, MODSEQ 10.
MailboxView opened(Uid n, std::optional<store::UidRange> recent = std::nullopt) {
    std::vector<store::MessageInfo> messages;
    for (Uid uid = 1; uid <= n; ++uid) messages.push_back(info(uid, {}, 10));
    MailboxView view;
    view.open(std::move(messages), 10, n + 1, recent);
    return view;
}

store::Changes vanished(std::vector<Uid> uids, store::ModSeq highest = 11) {
    store::Changes c;
    c.highest_modseq = highest;
    c.vanished = std::move(uids);
    return c;
}

TEST(View, OpenTellsTheSelectCounts) {
    MailboxView view;
    view.open({info(3, flags(store::flag_seen)), info(5), info(9, flags(store::flag_seen))}, 40, 12,
              store::UidRange{5, 11});
    EXPECT_EQ(view.exists(), 3u);
    EXPECT_EQ(view.recent_count(), 2u);  // 5 and 9
    EXPECT_EQ(view.unseen_first(), 2u);   // RFC 3501 7.1 OK [UNSEEN n]
    EXPECT_EQ(view.uidnext(), 12u);
    EXPECT_EQ(view.highest_modseq(), 40u);
    EXPECT_EQ(view.last_uid(), 9u);
    EXPECT_EQ(view.msn_of(5), 2u);
    EXPECT_EQ(view.msn_of(4), std::nullopt);
    EXPECT_TRUE(view.at(3).recent);
    EXPECT_EQ(flushed(view), "");  // SELECT's own responses told it all
}

TEST(View, NewMessagesTakeTheNextNumbersAndExistsGoesEvenWhenExpungesMayNot) {
    // RFC 9051 7.5.1: EXISTS may be sent during FETCH/STORE/SEARCH; RFC 3501 7.3.1.
    auto view = opened(3);
    store::Changes c;
    c.highest_modseq = 12;
    c.uidnext = 8;
    c.changed = {change(7, flags(store::flag_seen), 12), change(5, {}, 11)};  // any order
    view.apply(c, store::UidRange{5, 7});
    EXPECT_EQ(view.exists(), 3u);  // not told yet: "*" and UID ranges stay on what the client knows
    EXPECT_EQ(view.resolve(set({{star, star}}), false), (std::vector<std::uint32_t>{3}));
    EXPECT_EQ(view.msn_of(7), std::nullopt);
    EXPECT_EQ(flushed(view, {.expunges = false}), "* 5 EXISTS\r\n* 2 RECENT\r\n");
    EXPECT_EQ(view.at(4).uid, 5u);
    EXPECT_EQ(view.at(5).uid, 7u);
    EXPECT_EQ(view.uidnext(), 8u);
    EXPECT_EQ(view.highest_modseq(), 12u);
    EXPECT_EQ(flushed(view), "");
}

TEST(View, ExpungesWaitUntilTheCommandAllowsThem) {
    // RFC 9051 7.5.1 / RFC 3501 7.4.1: no EXPUNGE during FETCH, STORE, SEARCH;
    // until then the number and the cached data stay.
    auto view = opened(3);
    view.apply(vanished({2}), std::nullopt);
    std::string out;
    EXPECT_FALSE(view.flush(out, {.expunges = false}));
    EXPECT_EQ(out, "");
    EXPECT_EQ(view.exists(), 3u);
    EXPECT_EQ(view.pending_expunges(), 1u);
    EXPECT_TRUE(view.at(2).expunged);
    EXPECT_EQ(view.msn_of(3), 3u);
    EXPECT_EQ(view.resolve(set({{1, star}}), false), (std::vector<std::uint32_t>{1, 2, 3}));
    EXPECT_TRUE(view.flush(out, {}));
    EXPECT_EQ(out, "* 2 EXPUNGE\r\n");
    EXPECT_EQ(view.exists(), 2u);
    EXPECT_EQ(view.msn_of(3), 2u);
    EXPECT_EQ(view.pending_expunges(), 0u);
}

TEST(View, ExpungesAreSentInDescendingOrder) {
    // RFC 3501 7.4.1: each EXPUNGE renumbers the messages after it; highest
    // first, every number is still the one the client has.
    auto view = opened(5);
    view.apply(vanished({1, 3, 4}), std::nullopt);
    EXPECT_EQ(flushed(view), "* 4 EXPUNGE\r\n* 3 EXPUNGE\r\n* 1 EXPUNGE\r\n");
    EXPECT_EQ(view.exists(), 2u);
    EXPECT_EQ(view.at(1).uid, 2u);
    EXPECT_EQ(view.at(2).uid, 5u);
}

TEST(View, QresyncSendsOneVanishedByUid) {
    // RFC 7162 3.2.10: VANISHED instead of EXPUNGE; it lowers the count too, so no EXISTS.
    auto view = opened(6);
    view.apply(vanished({1, 3, 4, 5}), std::nullopt);
    EXPECT_EQ(flushed(view, {.expunges = false, .qresync = true}), "");
    EXPECT_EQ(flushed(view, {.qresync = true}), "* VANISHED 1,3:5\r\n");
    EXPECT_EQ(view.exists(), 2u);
}

TEST(View, ANewMessageGoneBeforeItWasAnnouncedIsNeverAnnounced) {
    auto view = opened(2);
    store::Changes c;
    c.highest_modseq = 12;
    c.changed = {change(3, {}, 11), change(4, {}, 12)};
    view.apply(c, std::nullopt);
    view.apply(vanished({3}, 13), std::nullopt);
    // Both in one listing: delivered and expunged since the last look.
    c.changed = {change(5, {}, 14)};
    c.vanished = {5};
    c.highest_modseq = 15;
    view.apply(c, std::nullopt);
    EXPECT_EQ(view.pending_expunges(), 0u);
    EXPECT_EQ(flushed(view, {.expunges = false}), "* 3 EXISTS\r\n");
    EXPECT_EQ(view.at(3).uid, 4u);
    EXPECT_EQ(view.highest_modseq(), 15u);
}

TEST(View, VanishedUidsTheViewNeverHadOrAlreadyToldAreIgnored) {
    auto view = opened(3);
    view.apply(vanished({2, 99}), std::nullopt);
    view.apply(vanished({2}, 12), std::nullopt);  // the same expunge listed again
    EXPECT_EQ(view.pending_expunges(), 1u);
    EXPECT_EQ(flushed(view), "* 2 EXPUNGE\r\n");
    view.apply(vanished({2}, 13), std::nullopt);
    EXPECT_EQ(flushed(view), "");
    EXPECT_EQ(view.exists(), 2u);
}

TEST(View, OwnExpungeIsOwedOnceAndItsEchoIsNothing) {
    auto view = opened(4);
    view.expunged({2, 4});
    EXPECT_EQ(view.pending_expunges(), 2u);
    view.apply(vanished({2, 4}, 12), std::nullopt);  // the store's report of it
    EXPECT_EQ(flushed(view), "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");
    view.apply(vanished({2, 4}, 12), std::nullopt);
    EXPECT_EQ(flushed(view), "");
}

TEST(View, OthersFlagChangesAreFetchedWithUidAndModseqUnderCondstore) {
    // RFC 3501 7.4.2 unsolicited FETCH; RFC 7162 3.1.4 MODSEQ in it; UID as Dovecot sends it.
    auto view = opened(3, store::UidRange{3, 3});
    store::Changes c;
    c.highest_modseq = 13;
    c.changed = {change(2, flags(store::flag_seen), 12), change(3, flags(store::flag_flagged, {"$Junk"}), 13)};
    view.apply(c, std::nullopt);
    EXPECT_EQ(flushed(view, {.expunges = false, .condstore = true}),
              "* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (12))\r\n"
              "* 3 FETCH (UID 3 FLAGS (\\Flagged $Junk \\Recent) MODSEQ (13))\r\n");
    EXPECT_EQ(view.at(2).modseq, 12u);
    EXPECT_EQ(flushed(view), "");
    c.changed = {change(1, flags(store::flag_answered), 14)};
    view.apply(c, std::nullopt);
    EXPECT_EQ(flushed(view), "* 1 FETCH (UID 1 FLAGS (\\Answered))\r\n");
}

TEST(View, OwnStoreComesBackAsNothing) {
    // RFC 3501 6.4.6: the STORE's own response told the client; the store's
    // later report of the same change must not be echoed.
    auto view = opened(3);
    view.flags_stored({change(2, flags(store::flag_deleted), 12)});
    EXPECT_EQ(view.at(2).flags, flags(store::flag_deleted));
    EXPECT_EQ(view.highest_modseq(), 10u);  // changes by others below 12 are still to be asked for
    store::Changes c;
    c.highest_modseq = 12;
    c.changed = {change(1, flags(store::flag_seen), 11), change(2, flags(store::flag_deleted), 12)};
    view.apply(c, std::nullopt);
    EXPECT_EQ(flushed(view), "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n");
    EXPECT_EQ(view.highest_modseq(), 12u);
}

TEST(View, FlagChangesOfAPendingExpungeAreNotReported) {
    auto view = opened(3);
    store::Changes c;
    c.highest_modseq = 12;
    c.changed = {change(2, flags(store::flag_seen), 11)};
    view.apply(c, std::nullopt);
    view.apply(vanished({2}, 12), std::nullopt);  // changed, then expunged, before any flush
    c.changed = {change(3, flags(store::flag_seen), 13)};
    c.vanished = {3};
    view.apply(c, std::nullopt);
    c.changed = {change(2, flags(store::flag_flagged), 14)};  // a stale listing: the cached data stays
    c.vanished = {};
    view.apply(c, std::nullopt);
    EXPECT_EQ(view.at(2).flags, flags(store::flag_seen));
    EXPECT_EQ(flushed(view, {.expunges = false}), "");
    EXPECT_EQ(flushed(view), "* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n");
}

TEST(View, RecentCountFollowsNewAndExpungedMessages) {
    // RFC 3501 7.3.2: RECENT when the mailbox size changes.
    auto view = opened(2, store::UidRange{2, 2});
    EXPECT_EQ(view.recent_count(), 1u);
    store::Changes c;
    c.highest_modseq = 12;
    c.changed = {change(3, {}, 11), change(4, {}, 12)};
    view.apply(c, std::nullopt);  // another session had them first: not \Recent here
    EXPECT_EQ(flushed(view), "* 4 EXISTS\r\n");
    c.changed = {change(5, {}, 13)};
    view.apply(c, store::UidRange{5, 6});
    EXPECT_EQ(view.recent_count(), 1u);  // 5 is not announced yet
    EXPECT_EQ(flushed(view), "* 5 EXISTS\r\n* 2 RECENT\r\n");
    // The feed gave 6 before this view's listing had it: still recent when it comes.
    c.changed = {change(6, {}, 14)};
    view.apply(c, std::nullopt);
    EXPECT_EQ(flushed(view), "* 6 EXISTS\r\n* 3 RECENT\r\n");
    // The listing had 7 before the feed said it was this session's.
    c.changed = {change(7, {}, 15)};
    view.apply(c, std::nullopt);
    view.apply({}, store::UidRange{7, 7});
    EXPECT_EQ(flushed(view), "* 7 EXISTS\r\n* 4 RECENT\r\n");
    view.apply(vanished({2, 5}, 15), std::nullopt);
    EXPECT_EQ(flushed(view), "* 5 EXPUNGE\r\n* 2 EXPUNGE\r\n* 2 RECENT\r\n");
    EXPECT_EQ(view.recent_count(), 2u);
}

TEST(View, Imap4rev2GetsNoRecent) {
    // RFC 9051 appendix E: the RECENT response and \Recent are gone.
    auto view = opened(1, store::UidRange{1, 2});
    store::Changes c;
    c.highest_modseq = 12;
    c.changed = {change(1, flags(store::flag_seen), 11), change(2, {}, 12)};
    view.apply(c, std::nullopt);
    EXPECT_EQ(flushed(view, {.recent = false}), "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 EXISTS\r\n");
}

TEST(View, ResolveSequenceNumbers) {
    // RFC 9051 section 9: "*" is the largest number in use, "4:2" is 2:4.
    auto view = opened(5);
    using V = std::vector<std::uint32_t>;
    EXPECT_EQ(view.resolve(set({{4, 2}}), false), (V{2, 3, 4}));
    EXPECT_EQ(view.resolve(set({{star, 4}}), false), (V{4, 5}));
    EXPECT_EQ(view.resolve(set({{5, 1}, {3, 3}, {2, 2}}), false), (V{1, 2, 3, 4, 5}));
    EXPECT_EQ(view.resolve(set({{4, 9}, {7, 7}}), false), (V{4, 5}));  // past exists: left out
    EXPECT_EQ(view.resolve(set({{6, 9}}), false), V{});
    EXPECT_EQ(view.resolve(set({{1, star}, {1, star}, {2, 3}}), false), (V{1, 2, 3, 4, 5}));
    EXPECT_EQ(opened(0).resolve(set({{1, star}}), false), V{});
    // A flood of ranges over a big mailbox costs the ranges, not ranges times messages.
    auto big = opened(100'000);
    std::vector<SeqRange> many(10'000, SeqRange{1, star});
    EXPECT_EQ(big.resolve(set(many), false).size(), 100'000u);
}

TEST(View, ResolveUids) {
    // RFC 9051 section 9: UID ranges cover the UIDs present; "*" is the last UID.
    MailboxView view;
    view.open({info(2), info(4), info(7), info(9)}, 10, 10, std::nullopt);
    using V = std::vector<std::uint32_t>;
    EXPECT_EQ(view.resolve(set({{3, 7}}), true), (V{2, 3}));
    EXPECT_EQ(view.resolve(set({{7, 3}}), true), (V{2, 3}));
    EXPECT_EQ(view.resolve(set({{20, star}}), true), (V{4}));  // "20:*" with last UID 9 is 9:20
    EXPECT_EQ(view.resolve(set({{star, star}}), true), (V{4}));
    EXPECT_EQ(view.resolve(set({{5, 6}, {10, 4'000'000'000u}}), true), V{});
    EXPECT_EQ(view.resolve(set({{1, 4}, {4, 9}}), true), (V{1, 2, 3, 4}));
    EXPECT_EQ(view.uids({1, 3, 4, 5}), (std::vector<Uid>{2, 7, 9}));
    // Not announced yet: no number to resolve to.
    store::Changes c;
    c.highest_modseq = 11;
    c.changed = {change(12, {}, 11)};
    view.apply(c, std::nullopt);
    EXPECT_EQ(view.resolve(set({{1, star}}), true), (V{1, 2, 3, 4}));
    EXPECT_EQ(view.last_uid(), 9u);
    EXPECT_EQ(opened(0).resolve(set({{1, star}}), true), V{});
}

TEST(View, ResyncDiffsAFullListing) {
    // Changes::too_old: the view compares the listing with what it has.
    auto view = opened(4);
    view.resync({info(1, flags(store::flag_seen), 30), info(3, {}, 10), info(5, {}, 31)}, 31, 6, std::nullopt);
    EXPECT_EQ(view.pending_expunges(), 2u);
    EXPECT_EQ(view.highest_modseq(), 31u);
    EXPECT_EQ(flushed(view), "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n* 3 EXISTS\r\n");
    EXPECT_EQ(view.uids({1, 2, 3}), (std::vector<Uid>{1, 3, 5}));
}

TEST(View, HighestModseqAdvancesOnlyWithWhatWasApplied) {
    auto view = opened(2);
    view.flags_stored({change(1, flags(store::flag_seen), 50)});
    view.expunged({2});
    EXPECT_EQ(view.highest_modseq(), 10u);
    store::Changes c;
    c.highest_modseq = 20;
    view.apply(c, std::nullopt);
    EXPECT_EQ(view.highest_modseq(), 20u);
    c.highest_modseq = 15;  // an older answer arriving late does not move it back
    view.apply(c, std::nullopt);
    EXPECT_EQ(view.highest_modseq(), 20u);
}

TEST(View, AHundredThousandMessagesStayCheap) {
    auto view = opened(100'000);
    const auto start = std::chrono::steady_clock::now();
    std::string out;
    for (Uid i = 0; i < 2000; ++i) {
        store::Changes c;
        c.highest_modseq = 11 + i;
        c.changed = {change(1 + i * 37 % 100'000, flags(i % 2 ? store::flag_seen : 0), 11 + i),
                     change(100'001 + i, {}, 11 + i)};
        c.vanished = {50'000 + i};
        view.apply(c, std::nullopt);
        out.clear();
        view.flush(out, {.expunges = i % 50 == 0});
    }
    EXPECT_EQ(view.exists(), 102'000u - 1951);  // the last flush with expunges was at 1950
    EXPECT_EQ(view.pending_expunges(), 49u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// ---- the model test ----

// The store as changes_since() sees it: UIDs with flags and MODSEQs, and the
// expunges it still remembers.
struct SimStore {
    struct Entry {
        store::Flags flags;
        store::ModSeq modseq = 0;
    };
    std::map<Uid, Entry> messages;
    std::vector<std::pair<store::ModSeq, Uid>> expunge_log;
    store::ModSeq modseq = 1;
    Uid uidnext = 1;
    store::ModSeq forgotten = 0;  // expunges up to this MODSEQ are no longer kept

    void deliver(store::Flags f) { messages[uidnext++] = {std::move(f), ++modseq}; }
    store::FlagChange set_flags(Uid uid, const store::Flags& f) {
        auto& e = messages.at(uid);
        if (e.flags == f) return {uid, f, e.modseq, false};
        e.flags = f;
        e.modseq = ++modseq;
        return {uid, f, e.modseq, true};
    }
    std::vector<Uid> expunge(const std::vector<Uid>& uids) {
        ++modseq;
        std::vector<Uid> gone;
        for (auto uid : uids)
            if (messages.erase(uid)) {
                expunge_log.emplace_back(modseq, uid);
                gone.push_back(uid);
            }
        return gone;
    }
    void forget_expunges() {
        forgotten = modseq;
        expunge_log.clear();
    }
    store::Changes changes_since(store::ModSeq since) const {
        store::Changes c;
        c.highest_modseq = modseq;
        c.uidnext = uidnext;
        if (since < forgotten) {
            c.too_old = true;
            return c;
        }
        for (const auto& [uid, e] : messages)
            if (e.modseq > since) c.changed.push_back({uid, e.flags, e.modseq, true});
        for (const auto& [m, uid] : expunge_log)
            if (m > since) c.vanished.push_back(uid);
        std::sort(c.vanished.begin(), c.vanished.end());
        return c;
    }
    std::vector<store::MessageInfo> listing() const {
        std::vector<store::MessageInfo> out;
        for (const auto& [uid, e] : messages) out.push_back(info(uid, e.flags, e.modseq));
        return out;
    }
};

// A client that knows only what the untagged responses told it.
struct ModelClient {
    std::vector<Uid> uids;  // by msn - 1
    std::vector<store::Flags> flags;
    std::uint32_t recent = 0;

    static store::Flags parse_flags(std::istream& in) {
        store::Flags f;
        std::string word;
        std::string list;
        std::getline(in, list, ')');
        std::istringstream words(list.substr(list.find('(') + 1));
        while (words >> word) {
            if (word == "\\Seen") f.system |= store::flag_seen;
            else if (word == "\\Answered") f.system |= store::flag_answered;
            else if (word == "\\Flagged") f.system |= store::flag_flagged;
            else if (word == "\\Deleted") f.system |= store::flag_deleted;
            else if (word == "\\Draft") f.system |= store::flag_draft;
            else if (word != "\\Recent") f.keywords.push_back(word);
        }
        std::sort(f.keywords.begin(), f.keywords.end());
        return f;
    }

    // `fetch_new` stands for the client's own FETCH of what EXISTS announced.
    void read(const std::string& out, bool condstore, const MailboxView& view) {
        std::size_t pos = 0;
        while (pos < out.size()) {
            const auto end = out.find("\r\n", pos);
            ASSERT_NE(end, std::string::npos) << out;
            const std::string line = out.substr(pos, end - pos);
            pos = end + 2;
            std::istringstream in(line);
            std::string star_, what;
            in >> star_;
            ASSERT_EQ(star_, "*") << line;
            if (line.starts_with("* VANISHED ")) {
                in >> what;
                std::string set;
                in >> set;
                std::istringstream ranges(set);
                std::string range;
                while (std::getline(ranges, range, ',')) {
                    const auto colon = range.find(':');
                    const Uid first = std::stoul(range.substr(0, colon));
                    const Uid last = colon == std::string::npos ? first : std::stoul(range.substr(colon + 1));
                    ASSERT_LE(first, last) << line;
                    for (Uid uid = first; uid <= last; ++uid) {
                        auto it = std::find(uids.begin(), uids.end(), uid);
                        ASSERT_NE(it, uids.end()) << "VANISHED names a UID the client never had: " << line;
                        flags.erase(flags.begin() + (it - uids.begin()));
                        uids.erase(it);
                    }
                }
                continue;
            }
            std::uint32_t n = 0;
            in >> n >> what;
            if (what == "EXISTS") {
                ASSERT_GE(n, uids.size()) << "EXISTS never shrinks (RFC 9051 7.4.1): " << line;
                for (std::uint32_t msn = uids.size() + 1; msn <= n; ++msn) {
                    uids.push_back(view.at(msn).uid);
                    flags.push_back(view.at(msn).flags);
                }
            } else if (what == "EXPUNGE") {
                ASSERT_GE(n, 1u) << line;
                ASSERT_LE(n, uids.size()) << line;
                uids.erase(uids.begin() + (n - 1));
                flags.erase(flags.begin() + (n - 1));
            } else if (what == "RECENT") {
                recent = n;
            } else if (what == "FETCH") {
                std::string uid_word;
                Uid uid = 0;
                in.ignore(2);  // " ("
                in >> uid_word >> uid;
                ASSERT_EQ(uid_word, "UID") << line;
                ASSERT_GE(n, 1u) << line;
                ASSERT_LE(n, uids.size()) << line;
                ASSERT_EQ(uids[n - 1], uid) << "FETCH's number and UID disagree: " << line;
                std::string flags_word;
                in >> flags_word;
                ASSERT_EQ(flags_word, "FLAGS") << line;
                flags[n - 1] = parse_flags(in);
                EXPECT_EQ(line.find(" MODSEQ (") != std::string::npos, condstore) << line;
            } else {
                FAIL() << "unexpected response: " << line;
            }
        }
    }
};

void run_model(unsigned seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto chance = [&](unsigned n) { return rng() % n == 0; };
    auto random_flags = [&] {
        static const std::vector<std::string> words = {"$Forwarded", "$Junk", "work"};
        store::Flags f;
        f.system = static_cast<std::uint8_t>(rng() % 32);
        for (const auto& w : words)
            if (chance(3)) f.keywords.push_back(w);
        return f;
    };

    SimStore sim;
    for (int i = 0; i < 20; ++i) sim.deliver(random_flags());
    Uid recent_claimed = sim.uidnext - 1;  // the feed's \Recent mark: up to here handed out
    std::vector<store::UidRange> mine{{1, recent_claimed}};
    MailboxView view;
    view.open(sim.listing(), sim.modseq, sim.uidnext, mine.front());
    ModelClient client;
    for (std::uint32_t msn = 1; msn <= view.exists(); ++msn) {
        client.uids.push_back(view.at(msn).uid);
        client.flags.push_back(view.at(msn).flags);
    }
    client.recent = view.recent_count();
    bool stale = false;  // the store changed since the view's last apply
    std::size_t flushes_settled = 0;

    auto known_uids = [&] {
        std::vector<Uid> out;
        for (std::uint32_t msn = 1; msn <= view.exists(); ++msn) out.push_back(view.at(msn).uid);
        return out;
    };
    auto random_store_uid = [&] { return std::next(sim.messages.begin(), rng() % sim.messages.size())->first; };

    auto flush = [&] {
        const Options options{.expunges = chance(2), .qresync = chance(2), .condstore = chance(2)};
        std::string out;
        view.flush(out, options);
        client.read(out, options.condstore, view);
        if (::testing::Test::HasFatalFailure()) return;
        if (client.uids != known_uids()) {
            ADD_FAILURE() << "the client's numbers differ from the view's after:\n" << out;
            return;
        }
        EXPECT_EQ(client.recent, view.recent_count());
        for (std::uint32_t msn = 1; msn <= view.exists(); ++msn) {
            if (view.at(msn).expunged) continue;  // not reported on (see the test above)
            EXPECT_EQ(client.flags[msn - 1], view.at(msn).flags) << "msn " << msn;
        }
        if (options.expunges) {
            EXPECT_EQ(view.pending_expunges(), 0u);
        }
        if (options.expunges && !stale) {
            ++flushes_settled;
            std::vector<Uid> in_store;
            std::uint32_t recent = 0;
            for (const auto& [uid, e] : sim.messages) {
                in_store.push_back(uid);
                const auto msn = std::find(client.uids.begin(), client.uids.end(), uid) - client.uids.begin();
                if (msn < static_cast<long>(client.flags.size())) {
                    EXPECT_EQ(client.flags[msn], e.flags);
                }
                for (const auto& r : mine) recent += uid >= r.first && uid <= r.last ? 1 : 0;
            }
            EXPECT_EQ(client.uids, in_store) << out;
            EXPECT_EQ(client.recent, recent);
        }
    };

    for (int step = 0; step < 3000 && !::testing::Test::HasFailure(); ++step) {
        SCOPED_TRACE("step " + std::to_string(step));
        switch (rng() % 13) {
        case 0: case 1:  // deliveries
            for (unsigned n = 1 + rng() % 3; n > 0; --n) sim.deliver(random_flags());
            stale = true;
            break;
        case 2: case 3:  // another session's STORE
            if (!sim.messages.empty()) sim.set_flags(random_store_uid(), random_flags());
            stale = true;
            break;
        case 4: {  // another session's EXPUNGE
            std::vector<Uid> uids;
            for (unsigned n = rng() % 4; n > 0 && !sim.messages.empty(); --n) uids.push_back(random_store_uid());
            sim.expunge(uids);
            stale = true;
            break;
        }
        case 5: {  // this session's STORE: its own response tells the client
            if (view.exists() == 0) break;
            const std::uint32_t a = 1 + rng() % view.exists(), b = 1 + rng() % view.exists();
            const auto msns = view.resolve(set({{a, std::min(b, a + 3)}}), false);
            std::vector<store::FlagChange> changes;
            const auto f = random_flags();
            for (auto uid : view.uids(msns))
                if (sim.messages.count(uid)) changes.push_back(sim.set_flags(uid, f));
            view.flags_stored(changes);
            for (const auto& c : changes) {
                const auto msn = view.msn_of(c.uid);
                ASSERT_TRUE(msn);
                client.flags[*msn - 1] = c.flags;
            }
            stale = true;
            break;
        }
        case 6: {  // this session's EXPUNGE (or MOVE): every \Deleted message, known to the view or not
            std::vector<Uid> deleted;
            for (const auto& [uid, e] : sim.messages)
                if (e.flags.has(store::flag_deleted)) deleted.push_back(uid);
            view.expunged(sim.expunge(deleted));
            stale = true;
            break;
        }
        case 7: case 8: case 9: {  // the feed's news: changes_since, or the full listing when too old
            std::optional<store::UidRange> recent;
            if (sim.uidnext - 1 > recent_claimed) {
                if (chance(4)) {
                    recent_claimed = sim.uidnext - 1;  // another session learnt of them first
                } else {
                    recent = store::UidRange{recent_claimed + 1, sim.uidnext - 1};
                    mine.push_back(*recent);
                    recent_claimed = sim.uidnext - 1;
                }
            }
            const auto changes = sim.changes_since(view.highest_modseq());
            if (changes.too_old) view.resync(sim.listing(), sim.modseq, sim.uidnext, recent);
            else view.apply(changes, recent);
            EXPECT_EQ(view.highest_modseq(), sim.modseq);
            stale = false;
            if (chance(2)) flush();  // as a command's end does
            break;
        }
        case 10: case 11:
            flush();
            break;
        case 12:
            if (chance(8)) sim.forget_expunges();  // the next look needs a full resync
            break;
        }
    }
    EXPECT_GT(flushes_settled, 150u) << flushes_settled;  // the strongest check ran often
}

TEST(View, ModelClientStaysInStepWithARandomStore) {
    for (unsigned seed : {1u, 2u, 3u, 20261208u}) run_model(seed);
}

}  // namespace
}  // namespace mxlab::imap
