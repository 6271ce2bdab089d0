// TOML text -> Config (DESIGN.md section 3): every key of schema v1, its type and its default.
//
// Each table is read by one function that walks the keys actually written,
// so an unknown key is noticed where it stands. Value-level problems (a bad
// address, size or enum) are reported here, where the TOML node and its
// position are at hand; relations between values are validate.cpp's job.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <span>
#include <sstream>

#include "config/detail.hpp"
#include "config/toml.hpp"

namespace mxlab::config {

namespace {

using namespace detail;
using Known = std::span<const std::string_view>;

constexpr std::string_view kTop[] = {"appliance", "services", "ports", "tls", "web", "dns", "smtp", "limits", "domain"};
constexpr std::string_view kAppliance[] = {"hostname", "addresses", "listen", "data_dir", "log_level"};
constexpr std::string_view kServices[] = {"dns", "smtp", "submission", "pop3", "imap", "web"};
constexpr std::string_view kPorts[] = {"dns",   "smtp",  "submission", "smtps", "pop3",
                                       "pop3s", "imap",  "imaps",      "http",  "https"};
constexpr std::string_view kTls[] = {"cert", "key", "require_for_auth"};
constexpr std::string_view kWeb[] = {"admins"};
constexpr std::string_view kDns[] = {"resolvers", "default_ttl", "allow_transfer", "recursion"};
constexpr std::string_view kSmtp[] = {"relay", "relay_networks", "max_message_size", "retry_interval",
                                      "queue_lifetime"};
constexpr std::string_view kLimits[] = {"smtp_connections",        "pop3_connections",           "imap_connections",
                                        "connections_per_client",  "login_failures_per_user", "login_failures_per_address",
                                        "login_lockout"};
constexpr std::string_view kDomain[] = {"name", "mail", "mx", "records", "catch_all", "users", "aliases"};

constexpr std::string_view kAddress = "an IPv4 or IPv6 address like \"10.0.1.10\"";
constexpr std::string_view kBool = "true or false";
constexpr std::string_view kPrefix = "an address or prefix like \"10.0.0.0/8\"";
constexpr std::string_view kDuration = "a duration like \"5m\" (s, m, h or d)";
constexpr std::int64_t kMaxDuration = 365 * 86400;  // keeps time arithmetic far from overflow

SourcePos pos_of(const toml::source_region& r) {
    return {static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

std::string type_name(const toml::node& n) {
    switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "a list";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "a number";
    case toml::node_type::floating_point: return "a decimal number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
    }
    return "nothing";
}

// What a value looked like, for "expected X, got Y": the value itself when only
// its content was wrong, its type (and the value, when short) when the type was.
std::string shown(const toml::node& n, bool type_ok) {
    std::string value;
    if (auto s = n.as_string()) value = quote(s->get());
    else if (auto i = n.as_integer()) value = std::to_string(i->get());
    else if (auto b = n.as_boolean()) value = b->get() ? "true" : "false";
    if (type_ok) return value.empty() ? type_name(n) : value;
    if (value.empty() || value.size() > 40) return type_name(n);
    auto article = type_name(n);
    return "the " + article.substr(article.find(' ') + 1) + " " + value;
}

// Levenshtein distance, for "did you mean": most unknown keys are typos.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            const bool same = lower(a[i - 1]) == lower(b[j - 1]);
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string_view closest(std::string_view word, Known known) {
    if (word.size() > 64) return {};
    std::string_view best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (auto k : known)
        if (auto d = distance(word, k); d < best_d) best = k, best_d = d;
    return best;
}

std::string joined(Known known) {
    std::string s;
    for (auto k : known) s += (s.empty() ? "" : ", ") + std::string(k);
    return s;
}

// Where the loader is: how keys are named in diagnostics and where positions go.
struct Scope {
    std::string shown;   // "appliance." or `domain "sina.com" users.`
    std::string stored;  // "appliance." or "users." (domain maps are keyed within the domain)
    PosMap* at;

    std::string key(std::string_view k) const { return shown + key_part(k); }
    void record(std::string_view k, SourcePos p) const { (*at)[stored + key_part(k)] = p; }
    Scope sub(std::string_view k) const { return {key(k) + ".", stored + key_part(k) + ".", at}; }
    // A list element, "resolvers[2]" (1-based, as a student counts): its key in
    // diagnostics, and where its position is kept.
    struct Item {
        std::string key;
        SourcePos* pos;
    };
    Item item(std::string_view k, std::size_t i) const {
        const auto suffix = "[" + std::to_string(i + 1) + "]";
        return {key(k) + suffix, &(*at)[stored + key_part(k) + suffix]};
    }
};

std::filesystem::path absolute_dir(const std::filesystem::path& file) {
    std::error_code ec;
    auto dir = file.parent_path();
    if (dir.empty()) dir = std::filesystem::current_path(ec);
    if (dir.is_relative()) dir = std::filesystem::absolute(dir, ec);
    return dir;
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::filesystem::path& p) {
    auto out = (p.is_absolute() ? p : base / p).lexically_normal();
    if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();  // drop a trailing '/'
    return out;
}

class Loader {
public:
    Loader(Diagnostics& diag, Sources& src, std::filesystem::path base)
        : diag_(diag), src_(src), base_(std::move(base)) {}

    void document(const toml::table& root, Config& cfg) {
        const Scope top{"", "", &src_.at};
        for (auto&& [k, v] : root) {
            const auto name = k.str();
            if (name == "domain") {
                domains(v, cfg);
                continue;
            }
            if (std::find(std::begin(kTop), std::end(kTop), name) == std::end(kTop)) {
                unknown_top(k, v);
                continue;
            }
            auto t = table(v, top, name, "a table [" + std::string(name) + "]");
            if (!t) continue;
            src_.at[std::string(name)] = pos_of(t->source());
            const Scope s = top.sub(name);
            if (name == "appliance") appliance(*t, s, cfg.appliance);
            else if (name == "services") services(*t, s, cfg.services);
            else if (name == "ports") ports(*t, s, cfg.ports);
            else if (name == "tls") tls_ = t;  // read once data_dir is known
            else if (name == "web") web(*t, s, cfg.web);
            else if (name == "dns") dns(*t, s, cfg.dns);
            else if (name == "smtp") smtp(*t, s, cfg.smtp);
            else if (name == "limits") limits(*t, s, cfg.limits);
        }
        tls(cfg);
        defaults(root, cfg);
    }

private:
    Diagnostics& diag_;
    Sources& src_;
    std::filesystem::path base_;  // the TOML's folder, absolute
    const toml::table* tls_ = nullptr;
    // Keys and tables a typo was taken for ("did you mean hostname?"): not
    // reported as missing as well, which would only repeat the typo.
    std::set<std::string, std::less<>> meant_;

    // A value of the wrong type, or (type_ok) of the right type but not one of the accepted values.
    void wrong(const toml::node& v, const std::string& key, std::string_view expected, bool type_ok = false) {
        diag_.error(pos_of(v.source()), key, "expected " + std::string(expected) + ", got " + shown(v, type_ok));
    }
    void wrong(const toml::node& v, const Scope& s, std::string_view k, std::string_view expected,
               bool type_ok = false) {
        wrong(v, s.key(k), expected, type_ok);
    }

    void unknown(const toml::key& k, const Scope& s, Known known, std::string_view table) {
        std::string msg = "unknown key";
        if (auto c = closest(k.str(), known); !c.empty()) {
            msg += " (did you mean " + std::string(c) + "?)";
            meant_.insert(s.key(c));
        } else
            msg += "; " + std::string(table) + " takes " + joined(known);
        diag_.error(pos_of(k.source()), s.key(k.str()), msg);
    }

    void unknown_top(const toml::key& k, const toml::node& v) {
        const auto name = k.str();
        std::string msg;
        if (v.is_table() || v.is_array_of_tables()) {
            msg = "unknown table [" + std::string(name) + "]";
            if (auto c = closest(name, kTop); !c.empty()) {
                msg += " (did you mean [" + std::string(c) + "]?)";
                meant_.insert(std::string(c));
            } else {
                msg += "; the tables are " + joined(kTop);
            }
        } else {
            // A key above every table header: say which table it belongs in.
            msg = "unknown key at the top of the file";
            const std::pair<std::string_view, Known> tables[] = {
                {"appliance", kAppliance}, {"tls", kTls}, {"web", kWeb}, {"dns", kDns}, {"smtp", kSmtp}, {"limits", kLimits}};
            for (auto [t, keys] : tables)
                if (std::find(keys.begin(), keys.end(), name) != keys.end()) {
                    msg += "; it belongs below the [" + std::string(t) + "] line";
                    meant_.insert(std::string(t) + "." + std::string(name));
                    break;
                }
        }
        diag_.error(pos_of(k.source()), std::string(key_part(name)), msg);
    }

    // Typed readers: each records where the value was and reports a wrong type.
    const toml::table* table(const toml::node& v, const Scope& s, std::string_view k, std::string_view expected) {
        if (auto t = v.as_table()) return t;
        wrong(v, s, k, expected);
        return nullptr;
    }

    // Positions are recorded for accepted values only, so the checks that follow
    // see a key as present exactly when it has a usable value.
    std::optional<std::string> string(const toml::node& v, const Scope& s, std::string_view k,
                                      std::string_view expected) {
        auto str = v.as_string();
        if (!str) {
            wrong(v, s, k, expected);
            return std::nullopt;
        }
        s.record(k, pos_of(v.source()));
        return str->get();
    }

    void boolean(const toml::node& v, const Scope& s, std::string_view k, bool& out) {
        auto b = v.as_boolean();
        if (!b) return wrong(v, s, k, kBool);
        s.record(k, pos_of(v.source()));
        out = b->get();
    }

    std::optional<std::int64_t> integer(const toml::node& v, const Scope& s, std::string_view k, std::int64_t min,
                                        std::int64_t max, std::string_view expected) {
        auto i = v.as_integer();
        if (!i || i->get() < min || i->get() > max) {
            wrong(v, s, k, expected, i != nullptr);
            return std::nullopt;
        }
        s.record(k, pos_of(v.source()));
        return i->get();
    }

    // A list of strings, each converted by `parse`; elements that do not convert, or
    // repeat an earlier one, are reported.
    template <class T, class Parse>
    std::vector<T> list(const toml::node& v, const Scope& s, std::string_view k, std::string_view what,
                        std::string_view example, Parse parse) {
        std::vector<T> out;
        auto arr = v.as_array();
        if (!arr) {
            wrong(v, s, k, "a list like [" + std::string(example) + "]");
            return out;
        }
        s.record(k, pos_of(v.source()));
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const toml::node& e = *arr->get(i);
            const auto [key, pos] = s.item(k, i);
            const auto p = *pos = pos_of(e.source());
            auto str = e.as_string();
            std::optional<T> t;
            std::string problem;
            if (str) t = parse(str->get(), problem);
            if (t && std::find(out.begin(), out.end(), *t) != out.end())
                diag_.error(p, key, quote(str->get()) + " is already in the list");
            else if (t) out.push_back(std::move(*t));
            else if (!problem.empty()) diag_.error(p, key, problem);
            else wrong(e, key, what, str != nullptr);
        }
        return out;
    }

    std::vector<IpAddr> addresses(const toml::node& v, const Scope& s, std::string_view k) {
        return list<IpAddr>(v, s, k, kAddress, "\"10.0.1.10\"",
                            [](std::string_view t, std::string&) { return IpAddr::parse(t); });
    }

    std::vector<Cidr> prefixes(const toml::node& v, const Scope& s, std::string_view k) {
        return list<Cidr>(v, s, k, kPrefix, "\"10.0.0.0/8\"", [](std::string_view t, std::string& problem) {
            auto c = Cidr::parse(t);
            if (!c) return c;
            Cidr net = *c;
            for (int bit = c->prefix; bit < (c->addr.v6 ? 128 : 32); ++bit)
                net.addr.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
            if (!(net == *c)) {
                problem = quote(t) + " has host bits set after the /" + std::to_string(c->prefix) +
                          "; did you mean " + quote(net.str()) + "?";
                return std::optional<Cidr>{};
            }
            return c;
        });
    }

    std::optional<std::uint64_t> size(const toml::node& v, const Scope& s, std::string_view k) {
        std::optional<std::uint64_t> n;
        if (auto str = v.as_string()) n = parse_size(str->get());
        else if (auto i = v.as_integer(); i && i->get() >= 0) n = static_cast<std::uint64_t>(i->get());
        if (!n || *n == 0) {
            wrong(v, s, k, "a size like \"25M\" (K, M or G; a bare number is bytes)", v.is_string() || v.is_integer());
            return std::nullopt;
        }
        s.record(k, pos_of(v.source()));
        return n;
    }

    std::optional<std::chrono::seconds> duration(const toml::node& v, const Scope& s, std::string_view k) {
        std::optional<std::chrono::seconds> d;
        if (auto str = v.as_string()) d = parse_duration(str->get());
        else if (auto i = v.as_integer(); i && i->get() >= 0) d = std::chrono::seconds{i->get()};
        if (!d || d->count() == 0 || d->count() > kMaxDuration) {
            wrong(v, s, k, std::string(kDuration) + ", from 1s to 365d", v.is_string() || v.is_integer());
            return std::nullopt;
        }
        s.record(k, pos_of(v.source()));
        return d;
    }

    template <class E, std::size_t N>
    void enumeration(const toml::node& v, const Scope& s, std::string_view k, const std::array<E, N>& values,
                     E& out) {
        std::string expected = "one of";
        for (auto e : values) expected += std::string(e == values[0] ? " " : ", ") + quote(to_string(e));
        auto str = v.as_string();
        for (auto e : values)
            if (str && to_string(e) == str->get()) {
                s.record(k, pos_of(v.source()));
                out = e;
                return;
            }
        wrong(v, s, k, expected, str != nullptr);
    }

    void appliance(const toml::table& t, const Scope& s, Appliance& a) {
        for (auto&& [k, v] : t) {
            const auto name = k.str();
            if (name == "hostname") {
                if (auto h = string(v, s, name, "a host name like \"mail.sina.com\"")) a.hostname = normalize_name(*h);
            } else if (name == "addresses") {
                a.addresses = addresses(v, s, name);
            } else if (name == "listen") {
                a.listen = addresses(v, s, name);
                if (v.is_array() && v.as_array()->empty())
                    diag_.error(pos_of(v.source()), s.key(name), "is empty: the services would listen nowhere");
            } else if (name == "data_dir") {
                if (auto d = string(v, s, name, "a folder like \"/var/lib/mxlab\"")) {
                    // Relative to the TOML's folder, so a config and its data can move together.
                    if (d->empty()) diag_.error(pos_of(v.source()), s.key(name), "is empty");
                    else a.data_dir = resolve(base_, *d);
                }
            } else if (name == "log_level") {
                enumeration(v, s, name,
                            std::array{LogLevel::error, LogLevel::warn, LogLevel::info, LogLevel::debug},
                            a.log_level);
            } else {
                unknown(k, s, kAppliance, "[appliance]");
            }
        }
    }

    void services(const toml::table& t, const Scope& s, Services& sv) {
        const std::pair<std::string_view, bool*> fields[] = {{"dns", &sv.dns},   {"smtp", &sv.smtp},
                                                             {"submission", &sv.submission},
                                                             {"pop3", &sv.pop3}, {"imap", &sv.imap},
                                                             {"web", &sv.web}};
        for (auto&& [k, v] : t) {
            const auto name = k.str();  // clang 14 cannot capture a structured binding
            auto f = std::find_if(std::begin(fields), std::end(fields), [&](auto& f) { return f.first == name; });
            if (f == std::end(fields)) unknown(k, s, kServices, "[services]");
            else boolean(v, s, k.str(), *f->second);
        }
    }

    void ports(const toml::table& t, const Scope& s, Ports& p) {
        const std::pair<std::string_view, std::uint16_t*> fields[] = {
            {"dns", &p.dns},     {"smtp", &p.smtp}, {"submission", &p.submission}, {"smtps", &p.smtps},
            {"pop3", &p.pop3},   {"pop3s", &p.pop3s}, {"imap", &p.imap},           {"imaps", &p.imaps},
            {"http", &p.http},   {"https", &p.https}};
        for (auto&& [k, v] : t) {
            const auto name = k.str();  // clang 14 cannot capture a structured binding
            auto f = std::find_if(std::begin(fields), std::end(fields), [&](auto& f) { return f.first == name; });
            if (f == std::end(fields)) {
                unknown(k, s, kPorts, "[ports]");
            } else if (auto n = integer(v, s, k.str(), 0, 65535, "a port number 0..65535 (0 disables it)")) {
                *f->second = static_cast<std::uint16_t>(*n);
            }
        }
    }

    void tls(Config& cfg) {
        const Scope s{"tls.", "tls.", &src_.at};
        std::filesystem::path cert = "tls/cert.pem", key = "tls/key.pem";
        if (tls_) {
            for (auto&& [k, v] : *tls_) {
                const auto name = k.str();
                if (name == "cert" || name == "key") {
                    auto p = string(v, s, name, "a file name like \"tls/" + std::string(name) + ".pem\"");
                    if (p && p->empty()) diag_.error(pos_of(v.source()), s.key(name), "is empty");
                    if (p) (name == "cert" ? cert : key) = *p;
                    cfg.tls.given = true;
                } else if (name == "require_for_auth") {
                    boolean(v, s, name, cfg.tls.require_for_auth);
                } else {
                    unknown(k, s, kTls, "[tls]");
                }
            }
        }
        cfg.tls.cert = resolve(cfg.appliance.data_dir, cert);
        cfg.tls.key = resolve(cfg.appliance.data_dir, key);
    }

    void web(const toml::table& t, const Scope& s, Web& w) {
        for (auto&& [k, v] : t) {
            if (k.str() != "admins") {
                unknown(k, s, kWeb, "[web]");
                continue;
            }
            w.admins = list<std::string>(v, s, k.str(), "an address like \"bob@sina.com\"", "\"bob@sina.com\"",
                                         [](std::string_view a, std::string&) { return std::optional(lower(a)); });
        }
    }

    void dns(const toml::table& t, const Scope& s, Dns& d) {
        for (auto&& [k, v] : t) {
            const auto name = k.str();
            if (name == "resolvers") {
                d.resolvers = list<Endpoint>(
                    v, s, name, "a DNS server like \"10.0.2.10\", \"127.0.0.1:10053\" or \"[::1]:53\"",
                    "\"10.0.2.10\"", [](std::string_view e, std::string&) { return Endpoint::parse(e); });
            } else if (name == "default_ttl") {
                if (auto n = integer(v, s, name, 0, 2147483647, "a number of seconds 0..2147483647 (RFC 2181)"))
                    d.default_ttl = static_cast<std::uint32_t>(*n);
            } else if (name == "allow_transfer") {
                d.allow_transfer = prefixes(v, s, name);
            } else if (name == "recursion") {
                d.recursion = prefixes(v, s, name);
            } else {
                unknown(k, s, kDns, "[dns]");
            }
        }
    }

    void smtp(const toml::table& t, const Scope& s, Smtp& m) {
        for (auto&& [k, v] : t) {
            const auto name = k.str();
            if (name == "relay") {
                enumeration(v, s, name, std::array{Relay::none, Relay::authenticated, Relay::networks, Relay::open},
                            m.relay);
            } else if (name == "relay_networks") {
                m.relay_networks = prefixes(v, s, name);
            } else if (name == "max_message_size") {
                if (auto n = size(v, s, name)) m.max_message_size = *n;
            } else if (name == "retry_interval") {
                if (auto d = duration(v, s, name)) m.retry_interval = *d;
            } else if (name == "queue_lifetime") {
                if (auto d = duration(v, s, name)) m.queue_lifetime = *d;
            } else {
                unknown(k, s, kSmtp, "[smtp]");
            }
        }
    }

    void limits(const toml::table& t, const Scope& s, Limits& l) {
        const std::pair<std::string_view, std::size_t*> counts[] = {{"smtp_connections", &l.smtp_connections},
                                                                    {"pop3_connections", &l.pop3_connections},
                                                                    {"imap_connections", &l.imap_connections},
                                                                    {"connections_per_client", &l.connections_per_client}};
        const std::pair<std::string_view, int*> failures[] = {{"login_failures_per_user", &l.login_failures_per_user},
                                                              {"login_failures_per_address", &l.login_failures_per_address}};
        for (auto&& [k, v] : t) {
            const auto name = k.str();
            auto c = std::find_if(std::begin(counts), std::end(counts), [&](const auto& f) { return f.first == name; });
            auto f = std::find_if(std::begin(failures), std::end(failures), [&](const auto& f) { return f.first == name; });
            if (c != std::end(counts)) {
                if (auto n = integer(v, s, name, 1, 1000000, "a number of connections 1..1000000")) *c->second = static_cast<std::size_t>(*n);
            } else if (f != std::end(failures)) {
                if (auto n = integer(v, s, name, 1, 1000000, "a number of failed logins 1..1000000")) *f->second = static_cast<int>(*n);
            } else if (name == "login_lockout") {
                if (auto d = duration(v, s, name)) l.login_lockout = *d;
            } else {
                unknown(k, s, kLimits, "[limits]");
            }
        }
    }

    void domains(const toml::node& v, Config& cfg) {
        auto arr = v.as_array();
        if (!arr) {
            diag_.error(pos_of(v.source()), "domain",
                        "expected [[domain]] tables (with two brackets: there can be many), got " + type_name(v));
            return;
        }
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const toml::node& e = *arr->get(i);
            auto t = e.as_table();
            if (!t) {
                diag_.error(pos_of(e.source()), "domain[" + std::to_string(i + 1) + "]",
                            "expected a [[domain]] table, got " + type_name(e));
                continue;
            }
            auto& ds = src_.domains.emplace_back();
            ds.table = pos_of(t->source());
            auto name = t->get("name");
            if (name && name->is_string()) ds.key = "domain " + quote(name->as_string()->get());
            else ds.key = "domain #" + std::to_string(i + 1);
            domain(*t, {ds.key + " ", "", &ds.at}, cfg.domains.emplace_back());
            if (!name && !meant_.contains(ds.full("name")))
                diag_.error(ds.table, ds.full("name"), "required: the domain's name, like \"sina.com\"");
        }
    }

    void domain(const toml::table& t, const Scope& s, Domain& d) {
        d.pos = pos_of(t.source());
        for (auto&& [k, v] : t) {
            const auto name = k.str();
            if (name == "name") {
                if (auto n = string(v, s, name, "a domain name like \"sina.com\"")) d.name = normalize_name(*n);
            } else if (name == "mail") {
                boolean(v, s, name, d.mail);
            } else if (name == "mx") {
                if (auto m = string(v, s, name, "a host name like \"mail.sina.com\"")) d.mx = normalize_name(*m);
            } else if (name == "records") {
                records(v, s, d);
            } else if (name == "catch_all") {
                if (auto c = string(v, s, name, "a local part like \"Bob\", or \"\" for none")) d.catch_all = *c;
            } else if (name == "users") {
                if (auto u = table(v, s, name, "a table of name = \"password\", like [domain.users]")) users(*u, s.sub(name), d);
            } else if (name == "aliases") {
                if (auto a = table(v, s, name, "a table of name = \"address\", like [domain.aliases]")) aliases(*a, s.sub(name), d);
            } else {
                unknown(k, s, kDomain, "[[domain]]");
            }
        }
    }

    void records(const toml::node& v, const Scope& s, Domain& d) {
        auto arr = v.as_array();
        if (!arr) {
            wrong(v, s, "records", "a list of zone-file lines like [\"www A 10.0.1.20\"]");
            return;
        }
        s.record("records", pos_of(v.source()));
        d.records.reserve(arr->size());
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const toml::node& e = *arr->get(i);
            if (auto str = e.as_string()) d.records.push_back({str->get(), pos_of(e.source())});
            else wrong(e, s.item("records", i).key, "a zone-file line like \"www A 10.0.1.20\"");
        }
    }

    void users(const toml::table& t, const Scope& s, Domain& d) {
        for (auto&& [k, v] : t) {
            if (!v.is_string()) {
                // Only the type: the value may be a password, and diagnostics reach the log.
                diag_.error(pos_of(v.source()), s.key(k.str()),
                            "expected a password in quotes, like \"bob123\", got " + type_name(v));
                continue;
            }
            s.record(k.str(), pos_of(v.source()));
            d.users.push_back({std::string(k.str()), v.as_string()->get(), pos_of(k.source())});
        }
        // toml++ keeps keys sorted; the file's order is the one a student expects back.
        std::stable_sort(d.users.begin(), d.users.end(), [](const User& a, const User& b) {
            return std::pair{a.pos.line, a.pos.column} < std::pair{b.pos.line, b.pos.column};
        });
    }

    void aliases(const toml::table& t, const Scope& s, Domain& d) {
        for (auto&& [k, v] : t) {
            Alias a{std::string(k.str()), {}, v.is_array(), pos_of(k.source())};
            if (v.is_array()) {
                a.targets = list<std::string>(v, s, k.str(), "an address like \"Bob\" or \"wfisk@bigsky.com\"",
                                              "\"Bob\", \"wfisk@bigsky.com\"",
                                              [](std::string_view x, std::string&) { return std::optional(std::string(x)); });
                if (v.as_array()->empty())
                    diag_.error(pos_of(v.source()), s.key(k.str()), "is an empty list: a list needs at least one address");
            } else if (auto target = string(v, s, k.str(), "an address like \"Bob\", or a list like [\"Bob\", \"Jack\"]")) {
                a.targets.push_back(*target);
            }
            d.aliases.push_back(std::move(a));
        }
        std::stable_sort(d.aliases.begin(), d.aliases.end(), [](const Alias& a, const Alias& b) {
            return std::pair{a.pos.line, a.pos.column} < std::pair{b.pos.line, b.pos.column};
        });
    }

    // What is not in the file, and what depends on other keys.
    void defaults(const toml::table& root, Config& cfg) {
        auto& a = cfg.appliance;
        auto* app = root.get_as<toml::table>("appliance");
        if ((!app || !app->contains("hostname")) && !meant_.contains("appliance") &&
            !meant_.contains("appliance.hostname"))
            diag_.error(src_.get("appliance"), "appliance.hostname",
                        root.contains("appliance") ? "required: this appliance's host name, like \"mail.sina.com\""
                                                   : "required: add an [appliance] table with hostname = \"mail.sina.com\"");
        if (!src_.at.contains("appliance.addresses")) {
            a.addresses = interface_addresses();
            a.addresses_from_interfaces = true;
        }
        if (!src_.at.contains("appliance.listen")) a.listen = {*IpAddr::parse("0.0.0.0"), *IpAddr::parse("::")};
        for (std::size_t i = 0; i < cfg.domains.size(); ++i)
            if (!src_.domains[i].at.contains("mx")) cfg.domains[i].mx = a.hostname;
    }
};

}  // namespace

LoadResult load_string(std::string_view text, const std::filesystem::path& name) {
    LoadResult out;
    auto parsed = toml::parse(text, name.string());
    if (!parsed) {
        // Only this error: what the file would have said after it is unknown,
        // and every check of the values would only repeat that it is missing.
        const auto& err = parsed.error();
        Diagnostic d{Diagnostic::Severity::error, pos_of(err.source()), "", std::string(err.description())};
        std::string closing;
        if (d.message.find("string") != std::string::npos)
            if (auto start = unclosed_string(text, d.pos, closing)) {
                d.pos = *start;
                d.message = "missing closing quote: the string that starts here has no closing " + closing +
                            (closing.size() == 1 ? " on its line" : " before the end of the file");
            }
        out.diagnostics.push_back(std::move(d));
        return out;
    }
    Config cfg;
    cfg.file = name;
    Diagnostics diag;
    Sources src;
    Loader(diag, src, absolute_dir(name)).document(parsed.table(), cfg);
    validate(cfg, src, diag, out.foreign_hosts);
    out.diagnostics = diag.take();
    const bool ok = std::none_of(out.diagnostics.begin(), out.diagnostics.end(),
                                 [](auto& d) { return d.severity == Diagnostic::Severity::error; });
    if (ok) out.config = std::move(cfg);
    else out.foreign_hosts.clear();
    return out;
}

LoadResult load_file(const std::filesystem::path& file) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec))
        return {std::nullopt, {{Diagnostic::Severity::error, {}, "", "is a folder, not a TOML file"}}};
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad())
        return {std::nullopt, {{Diagnostic::Severity::error, {}, "", "cannot read: " + std::string(std::strerror(errno))}}};
    return load_string(text.str(), file);
}

}  // namespace mxlab::config
