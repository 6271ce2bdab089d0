// The appliance's configuration (DESIGN.md section 3, schema v1) as plain structs.
//
// A Config is built once by load() and never changed afterwards: reload builds
// a new one and swaps the shared_ptr. Nothing here depends on another mxlab
// library but core; dns/ and mail/ read these structs, appliance/ owns them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.hpp"

namespace mxlab::config {

// Where a value came from in the TOML file (1-based; 0 when not from a file).
struct SourcePos {
    int line = 0;
    int column = 0;
};

using mxlab::Cidr;    // core/ip_address.hpp
using mxlab::IpAddr;  // core/ip_address.hpp

// A server to ask: "10.0.2.10", "127.0.0.1:10053" or "[::1]:53" (port 53 by default).
struct Endpoint {
    IpAddr addr;
    std::uint16_t port = 53;

    static std::optional<Endpoint> parse(std::string_view text);
    std::string str() const;
    bool operator==(const Endpoint&) const = default;
};

enum class LogLevel { error, warn, info, debug };
enum class Relay { none, authenticated, networks, open };

std::string_view to_string(LogLevel);
std::string_view to_string(Relay);

struct Appliance {
    std::string hostname;                 // FQDN, lower case, no trailing dot
    std::vector<IpAddr> addresses;        // from the TOML, or the machine's interfaces
    bool addresses_from_interfaces = false;
    std::vector<IpAddr> listen;           // default 0.0.0.0 and ::
    std::filesystem::path data_dir = "/var/lib/mxlab";  // absolute (relative to the TOML's folder)
    LogLevel log_level = LogLevel::info;
};

struct Services {
    bool dns = true;
    bool smtp = true;
    bool submission = true;
    bool pop3 = true;
    bool imap = true;
    bool web = true;
};

// 0 disables that listener.
struct Ports {
    std::uint16_t dns = 53;
    std::uint16_t smtp = 25;
    std::uint16_t submission = 587;
    std::uint16_t smtps = 465;
    std::uint16_t pop3 = 110;
    std::uint16_t pop3s = 995;
    std::uint16_t imap = 143;
    std::uint16_t imaps = 993;
    std::uint16_t http = 80;
    std::uint16_t https = 443;
};

struct Tls {
    std::filesystem::path cert;  // absolute: relative paths resolved under data_dir
    std::filesystem::path key;
    bool require_for_auth = false;
    bool given = false;  // tls.cert or tls.key is in the TOML: those files must exist, never made
};

struct Web {
    std::vector<std::string> admins;  // addresses, lower case
};

// [limits]: past a limit, new clients get a "try later" reply (DESIGN.md section 3).
struct Limits {
    std::size_t smtp_connections = 1000;  // per protocol, all its listeners together
    std::size_t pop3_connections = 2000;
    std::size_t imap_connections = 20000;
    std::size_t connections_per_client = 50;  // per client address (IPv6: per /64), each protocol
    int login_failures_per_user = 10;         // per (address, login): then that login waits, growing
    int login_failures_per_address = 100;     // all logins from one address (a classroom behind NAT)
    std::chrono::seconds login_lockout{5 * 60};
};

struct Dns {
    std::vector<Endpoint> resolvers;
    std::uint32_t default_ttl = 3600;
    std::vector<Cidr> allow_transfer;
    // Client networks whose queries for names outside our zones are answered
    // through `resolvers` (cached, RA=1); empty: nobody (never an open resolver).
    std::vector<Cidr> recursion;
};

struct Smtp {
    Relay relay = Relay::authenticated;
    std::vector<Cidr> relay_networks;
    std::uint64_t max_message_size = 25ull * 1024 * 1024;
    std::chrono::seconds retry_interval{5 * 60};
    std::chrono::seconds queue_lifetime{2 * 24 * 3600};
};

// One `records` line, as written; it parsed as a zone-file record at load.
struct Record {
    std::string text;
    SourcePos pos;
    // Where what load() parsed `text` into lies in Domain::records_wire, so
    // that the zone build does not parse a large zone a second time.
    // wire_len 0: the zone build parses `text` itself (a Record made by hand,
    // or a line ending in blanks, which the loader parsed trimmed).
    std::uint32_t wire_at = 0;
    std::uint32_t wire_len = 0;
};

struct User {
    std::string name;      // local part as written (case kept for display)
    std::string password;  // plain text or "{SCHEME}hash"
    SourcePos pos;
};

// `name = "target"` (alias) or `name = ["a", "b"]` (list). Targets are a
// local part of the same domain or a full address, as written.
struct Alias {
    std::string name;
    std::vector<std::string> targets;
    bool is_list = false;
    SourcePos pos;
};

struct Domain {
    std::string name;  // lower case, no trailing dot
    bool mail = true;
    std::string mx;    // lower case, no trailing dot; defaults to appliance.hostname
    std::vector<Record> records;
    // The parsed `records`, one after another, each in RFC 1035 section 4.1.3
    // wire form, uncompressed: owner as written, TYPE, CLASS, TTL, RDLENGTH,
    // RDATA. One buffer rather than one per record: a zone can have 100,000.
    std::vector<std::uint8_t> records_wire;
    std::string catch_all;  // empty: unknown recipients are rejected
    std::vector<User> users;
    std::vector<Alias> aliases;
    SourcePos pos;
};

struct Config {
    std::filesystem::path file;  // the TOML it came from
    Appliance appliance;
    Services services;
    Ports ports;
    Tls tls;
    Web web;
    Dns dns;
    Smtp smtp;
    Limits limits;
    std::vector<Domain> domains;

    const Domain* find_domain(std::string_view name) const;  // case-insensitive
};

// One problem found while loading. Errors make the config unusable; warnings
// are for configs that work but teach the wrong thing (DESIGN.md section 2).
struct Diagnostic {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    SourcePos pos;
    // Where in the TOML: a dotted path with 1-based indices, e.g. "smtp.relay",
    // "dns.resolvers[2]"; inside a [[domain]] the domain's name as written
    // followed by the path within it: `domain "sina.com" users.Bob`,
    // `domain "sina.com" records[3]` (`domain #2 name` when it has no name).
    // Keys that are not bare TOML keys are quoted: `users."a.b"`. Empty for
    // TOML syntax errors and unreadable files.
    std::string key;
    std::string message;  // what was expected / what is wrong
};

// "FILE:LINE:COL: error: KEY: MESSAGE" ("warning:" for warnings; ":LINE:COL"
// omitted when the line is unknown, "KEY: " when the key is empty).
std::string format(const std::filesystem::path& file, const Diagnostic& d);

// A host name that no zone here answers for, named by appliance.hostname, a
// domain's mx or an MX record: other servers must find it through DNS. Loading
// uses no network, so whether it resolves is for `mxlab check` to ask.
struct ForeignHost {
    std::string name;  // lower case, no trailing dot
    std::string key;   // as in Diagnostic::key
    SourcePos pos;
};

struct LoadResult {
    std::optional<Config> config;  // set when there is no error
    std::vector<Diagnostic> diagnostics;
    std::vector<ForeignHost> foreign_hosts;  // each name once

    bool ok() const { return config.has_value(); }
};

// Parses and validates, collecting every problem rather than stopping at the
// first. `name` is used in positions and to resolve a relative data_dir (its
// folder; the current folder when it has none); tls.cert/key resolve under
// data_dir. load_string does not touch the file system except for the
// interface addresses when `addresses` is omitted.
LoadResult load_file(const std::filesystem::path& file);
LoadResult load_string(std::string_view toml, const std::filesystem::path& name);

// The non-loopback addresses of this machine's interfaces.
std::vector<IpAddr> interface_addresses();

// "100K" -> 102400; K, M, G in powers of 1024; a bare number is bytes.
std::optional<std::uint64_t> parse_size(std::string_view text);
// "30s", "5m", "2h", "2d"; a bare number is seconds.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace mxlab::config
