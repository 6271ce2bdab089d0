// Golden protocol dialogs shared by the SMTP and POP3 session tests: reading the files, replaying the client's lines, and the transcript diff.
//
// Format: "# ..." comments, "@key value" settings (each test reads its own),
// then the dialog: "C: line" is sent with CRLF, "C~ text" is sent as written
// after unescaping \r \n \t \\ (no CRLF added), consecutive C lines go out in
// one write (pipelining); every other line ("S: reply", "-- event") is
// expected in the transcript the driver records.
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace mxlab::test {

// The *.txt files of a dialogs folder under the source tree, sorted.
inline std::vector<std::filesystem::path> dialog_files(std::string_view folder) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(MXLAB_SOURCE_DIR) / folder))
        if (e.path().extension() == ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

inline std::vector<std::string> read_lines(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// A test name from a file name: "relay_none.txt" -> "relay_none".
inline std::string dialog_name(const std::filesystem::path& file) {
    std::string n = file.stem().string();
    std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return n;
}

inline std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        char c = s[++i];
        out += c == 'r' ? '\r' : c == 'n' ? '\n' : c == 't' ? '\t' : c;
    }
    return out;
}

// Appends the server's output to a transcript as "S: line" lines.
inline void record_output(const std::string& out, std::vector<std::string>& transcript) {
    std::size_t pos = 0;
    while (pos < out.size()) {
        std::size_t eol = out.find("\r\n", pos);
        if (eol == std::string::npos) {
            transcript.push_back("S! unterminated: " + out.substr(pos));
            return;
        }
        transcript.push_back("S: " + out.substr(pos, eol - pos));
        pos = eol + 2;
    }
}

// Plays the client's side of `lines` through `send(bytes)` (the driver
// records what the server answers in `transcript`); returns the lines the
// transcript should hold.
template <class Send>
std::vector<std::string> play(const std::vector<std::string>& lines, std::vector<std::string>& transcript, Send send) {
    std::vector<std::string> expected;
    std::string chunk;
    auto flush = [&] {
        if (chunk.empty()) return;
        send(chunk);
        chunk.clear();
    };
    for (const auto& l : lines) {
        if (l.empty() || l[0] == '#' || l[0] == '@') continue;
        if (l.rfind("C: ", 0) == 0) {
            transcript.push_back(l);
            chunk += l.substr(3) + "\r\n";
        } else if (l.rfind("C~ ", 0) == 0) {
            transcript.push_back(l);
            chunk += unescape(l.substr(3));
        } else {
            flush();
        }
        expected.push_back(l);
    }
    flush();
    return expected;
}

// Line by line, "!" where they differ.
inline std::string transcript_diff(const std::vector<std::string>& expected, const std::vector<std::string>& actual) {
    std::string diff;
    for (std::size_t i = 0; i < std::max(expected.size(), actual.size()); ++i) {
        std::string e = i < expected.size() ? expected[i] : "<nothing>";
        std::string a = i < actual.size() ? actual[i] : "<nothing>";
        diff += (e == a ? "  " : "! ") + e + (e == a ? "" : "\n    got: " + a) + "\n";
    }
    return diff;
}

}  // namespace mxlab::test
