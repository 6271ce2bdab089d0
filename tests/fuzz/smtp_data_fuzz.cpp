// libFuzzer target: the DATA reader against a slow, obvious reference, and against itself with the input split.
//
// Input: byte 0 picks the size limit, byte 1 the split point, the rest is what
// the client sends after DATA. Checks:
//  - one piece, two pieces split at the chosen point, and (for short inputs)
//    byte by byte give the same output, flags, size and consumed count;
//  - the end is the first <CRLF>.<CRLF> (the data's start counting as a CRLF)
//    and nothing after it is consumed;
//  - smuggling is flagged exactly when a "." line before the end has a bare
//    LF or bare CR on either side;
//  - without smuggling, the output is the lines unstuffed with CRLF ends,
//    truncated to the limit, and too_big/line_too_long/size/eight_bit agree.
#include "mail/smtp/data_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mxlab::smtp::DataReader;

void check(bool ok) {
    if (!ok) std::abort();
}

struct Outcome {
    std::string out;
    bool done = false;
    std::size_t consumed = 0;
    bool too_big = false;
    bool line_too_long = false;
    bool smuggling = false;
    bool eight_bit = false;
    std::uint64_t size = 0;

    bool operator==(const Outcome&) const = default;
};

Outcome run(std::string_view input, const std::vector<std::size_t>& cuts, std::uint64_t max) {
    DataReader reader(max);
    Outcome o;
    std::size_t start = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (const std::size_t end : ends) {
        const std::string_view piece = input.substr(start, end - start);
        const auto step = reader.feed(piece, o.out);
        check(step.consumed <= piece.size());
        o.consumed += step.consumed;
        if (step.done) {
            o.done = true;
            break;
        }
        check(step.consumed == piece.size());
        start = end;
    }
    o.too_big = reader.too_big();
    o.line_too_long = reader.line_too_long();
    o.smuggling = reader.smuggling();
    o.eight_bit = reader.eight_bit();
    o.size = reader.size();
    check(reader.ok() == (!o.too_big && !o.line_too_long && !o.smuggling));
    return o;
}

struct Reference {
    bool done = false;
    std::size_t consumed = 0;
    std::size_t dot = 0;  // where the terminating "." is (or the input's size)
    bool smuggling = false;
};

Reference reference_frame(std::string_view in) {
    Reference r;
    const std::string framed = "\r\n" + std::string(in);
    const std::size_t e = framed.find("\r\n.\r\n");
    if (e == std::string::npos) {
        r.consumed = in.size();
        r.dot = in.size();
    } else {
        r.done = true;
        r.dot = e;  // in `in` coordinates: framed's e + 2 minus the 2 added bytes
        r.consumed = e + 3;
    }
    for (std::size_t i = 0; i < r.dot; ++i) {
        if (in[i] != '.') continue;
        enum { none, crlf, bare } left = none, right = none;
        if (i == 0) left = crlf;
        else if (in[i - 1] == '\n') left = (i >= 2 && in[i - 2] == '\r') ? crlf : bare;
        else if (in[i - 1] == '\r') left = bare;
        if (left == none || i + 1 >= in.size()) continue;
        if (in[i + 1] == '\n') {
            right = bare;
        } else if (in[i + 1] == '\r') {
            if (left == bare) right = bare;  // "\n.\r" or "\r.\r": smuggling whatever follows
            else if (i + 2 < in.size()) right = in[i + 2] == '\n' ? crlf : bare;
        }
        if (right == none) continue;
        if (left == bare || right == bare) r.smuggling = true;
    }
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint64_t max = (data[0] & 0x80) ? (1u << 20) : std::uint64_t{data[0]} * 16;
    const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
    const std::size_t cut = input.size() * data[1] / 255;

    const Outcome whole = run(input, {}, max);
    check(run(input, {cut}, max) == whole);
    if (input.size() <= 300) {
        std::vector<std::size_t> bytes;
        for (std::size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
        check(run(input, bytes, max) == whole);
    }

    check(whole.out.size() <= max);
    const Reference ref = reference_frame(input);
    check(whole.done == ref.done);
    check(whole.consumed == ref.consumed);
    check(whole.smuggling == ref.smuggling);
    bool eight_bit = false;
    for (std::size_t i = 0; i < whole.consumed; ++i) eight_bit |= static_cast<unsigned char>(input[i]) >= 0x80;
    check(whole.eight_bit == eight_bit);
    if (!ref.done || ref.smuggling) return 0;

    // Lines end at LF; a CR right before it is part of the CRLF; a leading dot goes.
    std::string out;
    bool line_too_long = false;
    const std::string_view body = input.substr(0, ref.dot);
    std::size_t start = 0;
    while (start < body.size()) {
        const std::size_t nl = body.find('\n', start);
        check(nl != std::string_view::npos);  // the body ends with the terminator's CRLF
        std::string_view line = body.substr(start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty() && line.front() == '.') line.remove_prefix(1);
        out += line;
        out += "\r\n";
        if (line.size() + 2 > mxlab::smtp::max_text_line) line_too_long = true;
        start = nl + 1;
    }
    check(whole.size == out.size());
    check(whole.too_big == (out.size() > max));
    check(whole.line_too_long == line_too_long);
    if (!whole.line_too_long) check(whole.out == out.substr(0, max));
    return 0;
}
