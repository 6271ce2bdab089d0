// libFuzzer target: an IMAP client's bytes through mail/imap/reader (framing) and command (parsing), and the mailbox names through mailbox_name.
//
// Input: one byte for the piece size (bytes are fed 1 to 64 at a time, so
// every split of a line or literal is tried), one byte of switches (small
// limits; refuse streamed APPENDs at once, or after their first piece), then
// what the client sends. The reader
// is driven as the session drives it: AUTHENTICATE and IDLE are followed by
// a plain line. Checks that nothing crashes and that the promises hold: the
// reader never holds more than its limits allow, streams hand out exactly
// the announced bytes, a command is parsed or refused with one line of text,
// and parsed values stay within the parser's limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "mail/imap/command.hpp"
#include "mail/imap/mailbox_name.hpp"
#include "mail/imap/reader.hpp"

namespace {

using namespace mxlab::imap;

void check(bool ok) {
    if (!ok) std::abort();
}

bool one_line(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

void check_tag(std::string_view tag) {
    check(one_line(tag) && tag.find(' ') == std::string_view::npos && tag.find('+') == std::string_view::npos);
}

void check_set(const SequenceSet& set, const ParserLimits& limits) {
    check(set.ranges.size() <= limits.max_set_ranges);
    check(!set.saved || set.ranges.empty());
}

std::size_t count_keys(const SearchKey& key, std::size_t depth, const ParserLimits& limits) {
    check(depth <= limits.max_search_depth + 1);
    std::size_t n = 1;
    for (const auto& c : key.children) n += count_keys(c, depth + 1, limits);
    if (key.kind == SearchKey::Kind::or_) check(key.children.size() == 2);
    if (key.kind == SearchKey::Kind::not_) check(key.children.size() == 1);
    return n;
}

void check_mailbox(std::string_view name) {
    // Whatever decodes, encodes back to a form that decodes to the same name.
    if (const auto decoded = mailbox_from_client(name, false)) {
        const std::string wire = mailbox_to_client(*decoded, false);
        for (const unsigned char c : wire) check(c >= 0x20 && c <= 0x7e);
        check(mailbox_from_client(wire, false) == decoded);
        check(mailbox_from_client(*decoded, true) == decoded);  // decoded names are valid UTF-8
    }
    if (const auto utf8 = mailbox_from_client(name, true)) {
        check(*utf8 == name);
        check(mailbox_from_client(mailbox_to_client(name, false), false) == utf8);
    }
}

// Returns whether the session would now expect a plain line (AUTHENTICATE, IDLE).
bool check_command(std::string_view text, const ParserLimits& limits) {
    const auto parsed = parse_command(text, limits);
    if (const auto* e = std::get_if<ParseError>(&parsed)) {
        check(!e->text.empty() && one_line(e->text));
        check_tag(e->tag);
        return false;
    }
    const auto& c = std::get<Command>(parsed);
    check(!c.tag.empty());
    check_tag(c.tag);
    check(text.substr(0, c.tag.size()) == c.tag);
    check_set(c.set, limits);
    check(c.fetch.size() <= limits.max_fetch_items);
    for (const auto& f : c.fetch) {
        check(f.section.fields.size() <= limits.max_header_fields);
        check(!f.partial || f.partial->length > 0);
    }
    check(c.flags.keywords.size() <= limits.max_flags);
    for (std::size_t i = 1; i < c.flags.keywords.size(); ++i) check(c.flags.keywords[i - 1] < c.flags.keywords[i]);
    check(c.strings.size() <= 2 * limits.max_strings + 1);
    check(c.vanished == false || (c.uid && c.changed_since));
    if (c.name == Name::search) {
        check(c.search.kind == SearchKey::Kind::and_ && !c.search.children.empty());
        check(count_keys(c.search, 0, limits) <= limits.max_search_keys + 1);
    }
    if (c.qresync) {
        check(c.qresync->uidvalidity > 0 && c.qresync->modseq > 0);
        if (c.qresync->known_uids) check_set(*c.qresync->known_uids, limits);
    }
    if (c.append_date) check(c.append_zone_minutes > -24 * 60 && c.append_zone_minutes < 24 * 60);
    check(c.message.size() <= text.size());
    check_mailbox(c.mailbox);
    check_mailbox(c.mailbox2);
    return c.name == Name::authenticate || c.name == Name::idle;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t piece = 1 + data[0] % 64;
    const bool small = (data[1] & 1) != 0;
    const bool refuse = (data[1] & 2) != 0;
    const bool refuse_mid_way = (data[1] & 4) != 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

    ReaderLimits limits;
    ParserLimits parser_limits;
    if (small) {
        limits.max_line = 64;
        limits.max_literal = 32;
        limits.max_append = 200;
        limits.max_literals = 4;
        parser_limits.max_set_ranges = 4;
        parser_limits.max_search_depth = 4;
        parser_limits.max_search_keys = 8;
        parser_limits.max_fetch_items = 4;
        parser_limits.max_header_fields = 4;
        parser_limits.max_strings = 4;
        parser_limits.max_flags = 4;
    }
    // The raw first line as a mailbox name too: more shapes than parsed commands give.
    check_mailbox(input.substr(0, std::min<std::size_t>(input.find('\n'), 256)));

    CommandReader reader(limits);
    std::uint64_t stream_left = 0;
    bool streaming = false;
    for (std::size_t pos = 0; pos < input.size(); pos += piece) {
        const std::string_view bytes = input.substr(pos, piece);
        reader.feed(bytes);
        for (int guard = 0;; ++guard) {
            check(guard < 1'000'000);
            // One command (its lines and small literals, and what "{n}" and
            // CRLF add) and what the last feed() brought.
            check(reader.buffered() <= limits.max_line + limits.max_literal + 2 * limits.max_literals + 64 + piece);
            const auto event = reader.next();
            if (event == CommandReader::Event::need_more) break;
            switch (event) {
            case CommandReader::Event::command:
                check(!streaming);
                check(reader.command().size() <= limits.max_line + limits.max_literal + 2 * limits.max_literals + 2);
                if (check_command(reader.command(), parser_limits)) reader.expect_plain_line();
                break;
            case CommandReader::Event::stream_begin:
                // Past max_literal with the command's other literals; at most max_append.
                check(!streaming && reader.stream_size() <= limits.max_append);
                check_command(std::string(reader.command()) + " {0}\r\n", parser_limits);
                if (refuse) {
                    reader.refuse_stream();
                } else {
                    streaming = true;
                    stream_left = reader.stream_size();
                }
                break;
            case CommandReader::Event::stream_bytes:
                check(streaming && !reader.stream_chunk().empty() && reader.stream_chunk().size() <= stream_left);
                stream_left -= reader.stream_chunk().size();
                if (refuse_mid_way && stream_left > 0) {
                    reader.refuse_stream();
                    streaming = false;
                }
                break;
            case CommandReader::Event::stream_end:
                check(streaming && stream_left == 0);
                streaming = false;
                break;
            case CommandReader::Event::too_long:
            case CommandReader::Event::too_big:
                check_tag(reader.tag());
                check(!streaming || event == CommandReader::Event::too_long);
                streaming = false;
                break;
            case CommandReader::Event::continuation:
            case CommandReader::Event::need_more:
                break;
            }
        }
    }
    return 0;
}
