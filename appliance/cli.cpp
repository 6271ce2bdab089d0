// The mxlab command line: parses arguments and runs one subcommand (DESIGN.md section 2).
#include "appliance/cli.hpp"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "appliance/check.hpp"
#include "appliance/control.hpp"
#include "appliance/lab_ca.hpp"
#include "appliance/service.hpp"
#include "appliance/serve.hpp"
#include "appliance/zone_cmd.hpp"
#include "core/log.hpp"
#include "mail/auth/password.hpp"
#include "mail/queue/listing.hpp"
#include "mxlab_version.hpp"

namespace mxlab::appliance {

namespace {

constexpr const char* kDefaultConfig = "/etc/mxlab/mxlab.toml";

constexpr const char* kUsage =
    "usage: mxlab COMMAND [-c FILE] [ARGS]\n"
    "\n"
    "  serve  [-c FILE]            run in the foreground (systemd Type=notify)\n"
    "  check  [-c FILE]            validate the config; print a summary; exit 1 on errors\n"
    "  zone   [-c FILE] [DOMAIN...] print the zones it would serve, zone-file syntax\n"
    "  passwd                      read a password on stdin, print a hash for the TOML\n"
    "  queue  [-c FILE] list | retry [ID] | delete ID\n"
    "  unblock [-c FILE] ADDRESS   forget the failed logins of a client address\n"
    "  tls ca [-c FILE]            print the lab CA certificate (PEM) clients should trust;\n"
    "                              made in data_dir if missing, so it can be handed out before\n"
    "                              the first start (none when [tls] names its own certificate)\n"
    "  version                     print the version\n"
    "\n"
    "FILE defaults to /etc/mxlab/mxlab.toml.\n";

int usage_error(const std::string& message) {
    std::cerr << "mxlab: " << message << "\n\n" << kUsage;
    return 1;
}

struct Args {
    std::string command;
    std::filesystem::path config = kDefaultConfig;
    std::vector<std::string> rest;
};

std::optional<Args> parse_args(int argc, char** argv, std::string& error) {
    Args args;
    std::vector<std::string> words(argv + 1, argv + argc);
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "-c" || w == "--config") {
            if (i + 1 >= words.size()) {
                error = w + " needs a file name";
                return std::nullopt;
            }
            args.config = words[++i];
        } else if (w.rfind("--config=", 0) == 0) {
            args.config = w.substr(9);
        } else if (w == "-h" || w == "--help") {
            args.command = "help";
        } else if (args.command.empty()) {
            args.command = w;
        } else {
            args.rest.push_back(w);
        }
    }
    return args;
}

// Reads one line with echo off when stdin is a terminal.
std::optional<std::string> read_password_line(const char* prompt) {
    bool tty = ::isatty(STDIN_FILENO);
    termios old{};
    if (tty) {
        std::cerr << prompt << std::flush;
        ::tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    bool got = static_cast<bool>(std::getline(std::cin, line));
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::cerr << '\n';
    }
    if (!got) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

int cmd_passwd() {
    auto password = read_password_line("Password: ");
    if (!password) {
        std::cerr << "mxlab: passwd: no password on standard input\n";
        return 1;
    }
    if (password->empty()) {
        std::cerr << "mxlab: passwd: the password is empty\n";
        return 1;
    }
    if (::isatty(STDIN_FILENO)) {
        auto again = read_password_line("Retype password: ");
        if (!again || *again != *password) {
            std::cerr << "mxlab: passwd: the passwords do not match\n";
            return 1;
        }
    }
    try {
        std::cout << auth::hash_password(*password) << '\n';
    } catch (const std::invalid_argument& e) {
        std::cerr << "mxlab: passwd: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "mxlab: passwd: " << e.what() << '\n';
        return 2;
    }
    return 0;
}
// Sends `words` to the running daemon of this config through its control socket and prints its answer.
int ask_daemon(const std::filesystem::path& file, const std::vector<std::string>& words) {
    auto result = config::load_file(file);
    if (!result.ok()) {
        for (const auto& d : result.diagnostics) std::cerr << config::format(file, d) << '\n';
        return 1;
    }
    auto reply = control_request(*result.config, words);
    (reply.ok ? std::cout : std::cerr) << (reply.ok ? "" : "mxlab: " + words.front() + ": ") << reply.text << std::flush;
    // 2: no daemon to ask (a runtime failure); 1: the daemon refused the request.
    return reply.ok ? 0 : reply.reached ? 1 : 2;
}

// `mxlab queue ...`.
int cmd_queue(const std::filesystem::path& file, const std::vector<std::string>& rest) {
    std::string error;
    if (!queue::parse_queue_command(rest, error)) return usage_error("queue: " + error);
    std::vector<std::string> words{"queue"};
    words.insert(words.end(), rest.begin(), rest.end());
    if (rest.empty()) words.push_back("list");
    return ask_daemon(file, words);
}

// `mxlab unblock ADDRESS`.
int cmd_unblock(const std::filesystem::path& file, const std::vector<std::string>& rest) {
    if (rest.size() != 1) return usage_error("unblock takes one client address, like 10.0.1.7");
    if (!config::IpAddr::parse(rest[0])) return usage_error("unblock: \"" + rest[0] + "\" is not an IPv4 or IPv6 address");
    return ask_daemon(file, {"unblock", rest[0]});
}

// `mxlab tls ca`: the CA a teacher hands out, the same one `serve` issues from.
int cmd_tls(const std::filesystem::path& file, const std::vector<std::string>& rest) {
    if (rest.size() != 1 || rest[0] != "ca") return usage_error("tls takes one subcommand: ca");
    auto result = config::load_file(file);
    if (!result.ok()) {
        for (const auto& d : result.diagnostics) std::cerr << config::format(file, d) << '\n';
        return 1;
    }
    const config::Config& cfg = *result.config;
    if (auto why = lab_ca_unused(cfg)) {
        std::cerr << "mxlab: tls ca: no lab CA: " << *why << '\n';
        return 1;
    }
    // As serve does: what is made under data_dir is its owner's alone.
    ::umask(077);
    try {
        Logger log(stderr);
        std::cout << ensure_lab_ca(cfg, log).cert << std::flush;
    } catch (const StartError& e) {
        std::cerr << "mxlab: tls ca: " << e.what() << '\n';
        return 2;
    }
    return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
    std::string error;
    auto args = parse_args(argc, argv, error);
    if (!args) return usage_error(error);
    const std::string& cmd = args->command;
    if (cmd.empty()) return usage_error("missing command");
    if (cmd == "help") {
        std::cout << kUsage;
        return 0;
    }
    if (cmd == "version" || cmd == "--version") {
        std::cout << "mxlab " << MXLAB_VERSION << '\n';
        return 0;
    }
    if (cmd == "passwd") {
        if (!args->rest.empty()) return usage_error("passwd takes no arguments");
        return cmd_passwd();
    }
    if (cmd == "check") {
        if (!args->rest.empty()) return usage_error("check takes no arguments");
        return check(args->config, std::cout, std::cerr);
    }
    if (cmd == "serve") {
        if (!args->rest.empty()) return usage_error("serve takes no arguments");
        Logger log(stderr);
        return serve(args->config, log);
    }
    if (cmd == "zone") return print_zones(args->config, args->rest, std::cout, std::cerr);
    if (cmd == "queue") return cmd_queue(args->config, args->rest);
    if (cmd == "unblock") return cmd_unblock(args->config, args->rest);
    if (cmd == "tls") return cmd_tls(args->config, args->rest);
    if (cmd == "status") {
        std::cerr << "mxlab: " << cmd << ": not available in this version yet\n";
        return 2;
    }
    return usage_error("unknown command '" + cmd + "'");
}

}  // namespace mxlab::appliance
