// IMAP command framing (RFC 9051 section 4.3 literals, RFC 7888 LITERAL+/LITERAL-, RFC 3516 literal8): whole commands out, every size bounded.
#include <gtest/gtest.h>

#include <malloc.h>

#include <string>
#include <vector>

#include "mail/imap/reader.hpp"

namespace mxlab::imap {
namespace {

using Event = CommandReader::Event;

// What the reader hands out, one string per event: "command:<text>",
// "continuation", "stream_begin:<text>:<size>", "bytes:<chunk>",
// "stream_end:<text>", "too_long:<tag>", "too_big:<tag>".
std::vector<std::string> drain(CommandReader& r) {
    std::vector<std::string> out;
    for (int guard = 0; guard < 100'000; ++guard) {
        switch (r.next()) {
        case Event::need_more: return out;
        case Event::command: out.push_back("command:" + std::string(r.command())); break;
        case Event::continuation: out.emplace_back("continuation"); break;
        case Event::stream_begin:
            out.push_back("stream_begin:" + std::string(r.command()) + ":" + std::to_string(r.stream_size()) +
                          (r.stream_nonsync() ? "+" : ""));
            break;
        case Event::stream_bytes: out.push_back("bytes:" + std::string(r.stream_chunk())); break;
        case Event::stream_end: out.push_back("stream_end:" + std::string(r.command())); break;
        case Event::too_long: out.push_back("too_long:" + r.tag()); break;
        case Event::too_big: out.push_back("too_big:" + r.tag()); break;
        }
    }
    ADD_FAILURE() << "the reader never asked for more";
    return out;
}

std::vector<std::string> feed(CommandReader& r, std::string_view bytes) {
    r.feed(bytes);
    return drain(r);
}

// Feeds one byte at a time and gathers every event.
std::vector<std::string> trickle(CommandReader& r, std::string_view bytes) {
    std::vector<std::string> out;
    for (const char c : bytes) {
        auto events = feed(r, std::string_view(&c, 1));
        out.insert(out.end(), events.begin(), events.end());
    }
    return out;
}

using V = std::vector<std::string>;

TEST(Reader, LinesAreCommandsWithoutTheirCrlf) {
    CommandReader r;
    EXPECT_EQ(feed(r, "a1 NOOP\r\n"), V{"command:a1 NOOP"});
    EXPECT_EQ(r.buffered(), 0u);
}

TEST(Reader, PipelinedCommandsComeOutInOrder) {
    // RFC 9051 section 5.5: a client may send several commands without waiting.
    CommandReader r;
    EXPECT_EQ(feed(r, "a1 NOOP\r\na2 CAPABILITY\r\na3 LOGOUT\r\n"),
              (V{"command:a1 NOOP", "command:a2 CAPABILITY", "command:a3 LOGOUT"}));
}

TEST(Reader, PartialLinesWaitForTheirEnd) {
    CommandReader r;
    EXPECT_EQ(feed(r, "a1 NO"), V{});
    EXPECT_EQ(feed(r, "OP\r"), V{});
    EXPECT_EQ(feed(r, "\na2 "), V{"command:a1 NOOP"});
    EXPECT_EQ(feed(r, "NOOP\n"), V{"command:a2 NOOP"});  // a bare LF ends a line too
}

TEST(Reader, SynchronizingLiteralAsksForContinuation) {
    // RFC 9051 section 4.3 (the LOGIN example of section 6.2.3, with a literal password).
    CommandReader r;
    EXPECT_EQ(feed(r, "A001 LOGIN SMITH {7}\r\n"), V{"continuation"});
    EXPECT_EQ(feed(r, "SESA"), V{});
    EXPECT_EQ(feed(r, "ME!\r\n"), V{"command:A001 LOGIN SMITH {7}\r\nSESAME!"});
}

TEST(Reader, LiteralPlusAndMinusDoNotWait) {
    // RFC 7888 section 3 and 4.
    CommandReader r;
    EXPECT_EQ(feed(r, "a1 LOGIN {5+}\r\nsmith {7-}\r\nsesame!\r\n"),
              V{"command:a1 LOGIN {5+}\r\nsmith {7-}\r\nsesame!"});
}

TEST(Reader, LiteralBytesMayHoldCrlfAndBraces) {
    CommandReader r;
    EXPECT_EQ(feed(r, "a1 APPEND INBOX {12+}\r\nx{2}\r\n\r\nab\r\n\r\n"),
              V{"command:a1 APPEND INBOX {12+}\r\nx{2}\r\n\r\nab\r\n"});
}

TEST(Reader, Literal8ForAppend) {
    // RFC 3516 section 4.4: APPEND takes ~{n}, whose bytes may hold NUL.
    CommandReader r;
    const std::string nul_message("a\0b", 3);
    EXPECT_EQ(feed(r, "a1 APPEND INBOX ~{3}\r\n"), V{"continuation"});
    EXPECT_EQ(feed(r, nul_message + "\r\n"), V{"command:a1 APPEND INBOX ~{3}\r\n" + nul_message});
}

TEST(Reader, EmptyLiteral) {
    CommandReader r;
    EXPECT_EQ(feed(r, "a1 LOGIN {0}\r\n"), V{"continuation"});
    EXPECT_EQ(feed(r, " x\r\n"), V{"command:a1 LOGIN {0}\r\n x"});
}

TEST(Reader, BytesOneAtATime) {
    CommandReader r;
    EXPECT_EQ(trickle(r, "a1 LOGIN {3}\r\nbob {6+}\r\nsecret\r\na2 NOOP\r\n"),
              (V{"continuation", "command:a1 LOGIN {3}\r\nbob {6+}\r\nsecret", "command:a2 NOOP"}));
}

TEST(Reader, BracesInsideTheLineAreNotLiterals) {
    CommandReader r;
    EXPECT_EQ(feed(r, "a1 SELECT {3}x\r\n"), V{"command:a1 SELECT {3}x"});
    EXPECT_EQ(feed(r, "a2 SELECT {}\r\n"), V{"command:a2 SELECT {}"});
    EXPECT_EQ(feed(r, "a3 SELECT {x+}\r\n"), V{"command:a3 SELECT {x+}"});
}

TEST(Reader, LineTooLongIsSkippedWithItsTag) {
    ReaderLimits limits;
    limits.max_line = 20;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 LOGIN " + std::string(40, 'x') + "\r\na2 NOOP\r\n"), (V{"too_long:a1", "command:a2 NOOP"}));
    // Exactly max_line is fine; one more is not.
    EXPECT_EQ(feed(r, "a3 " + std::string(17, 'y') + "\r\n"), V{"command:a3 " + std::string(17, 'y')});
    EXPECT_EQ(feed(r, "a4 " + std::string(18, 'y') + "\r\n"), V{"too_long:a4"});
    // No tag to echo: "* BAD".
    EXPECT_EQ(feed(r, std::string(30, 'z') + "\r\n"), V{"too_long:"});
}

TEST(Reader, TooLongLineEndingInNonSyncLiteralSkipsTheLiteral) {
    ReaderLimits limits;
    limits.max_line = 20;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 LOGIN " + std::string(40, 'x') + " {9+}\r\na2 NOOP\r\n\r\na3 NOOP\r\n"),
              (V{"too_long:a1", "command:a3 NOOP"}));
}

TEST(Reader, HostileLineKeepsTheBufferBounded) {
    // A 10 MB line without LF, 4 KB at a time: never more than a line's worth held.
    CommandReader r;
    const std::string piece(4096, 'x');
    std::vector<std::string> events;
    auto first = feed(r, "a1 LOGIN ");
    for (int i = 0; i < 10 * 256; ++i) {
        auto e = feed(r, piece);
        events.insert(events.end(), e.begin(), e.end());
        ASSERT_LE(r.buffered(), ReaderLimits{}.max_line + piece.size());
    }
    EXPECT_EQ(events, V{"too_long:a1"});
    EXPECT_EQ(feed(r, "\r\na2 NOOP\r\n"), V{"command:a2 NOOP"});
    EXPECT_LE(r.buffered(), 64u);
}

TEST(Reader, LinesOfOneCommandAreBoundedTogether) {
    // Many short lines joined by empty literals: together past max_line.
    ReaderLimits limits;
    limits.max_line = 100;
    CommandReader r(limits);
    std::string id = "a1 ID (";
    for (int i = 0; i < 20; ++i) id += "x {0+}\r\n";
    EXPECT_EQ(feed(r, id + ")\r\na2 NOOP\r\n"), (V{"too_long:a1", "command:a2 NOOP"}));
    EXPECT_LE(r.buffered(), 0u);
}

TEST(Reader, HostileEmptyLiteralsKeepTheBufferBounded) {
    // A client announcing "{0+}" forever, 4 KB at a time (max_literals out of the way).
    ReaderLimits limits;
    limits.max_literals = 1'000'000;
    CommandReader r(limits);
    std::string piece;
    while (piece.size() < 4096) piece += "x {0+}\r\n";
    std::vector<std::string> events = feed(r, "a1 ID (");
    for (int i = 0; i < 2560; ++i) {
        auto e = feed(r, piece);
        events.insert(events.end(), e.begin(), e.end());
        ASSERT_LE(r.buffered(), limits.max_line + limits.max_literal + piece.size());
    }
    EXPECT_EQ(events, V{"too_long:a1"});
}

TEST(Reader, DoneCommandsLeaveNoBigBuffersBehind) {
    // DESIGN.md: an idle connection costs a few KB; one 60 KB literal is not
    // kept for the rest of the connection (glibc's count of bytes in use).
    const std::string big = "a1 LOGIN bob {60000+}\r\n" + std::string(60000, 'x') + "\r\n";
    CommandReader r;
    const auto before = static_cast<long long>(mallinfo2().uordblks);
    r.feed(big);
    ASSERT_EQ(r.next(), Event::command);
    ASSERT_EQ(r.next(), Event::need_more);
    EXPECT_LT(static_cast<long long>(mallinfo2().uordblks) - before, 8192);
}

TEST(Reader, HostileLiteralPlusIsSkippedNotHeld) {
    // A 10 MB {n+} literal outside APPEND: too_big, then its bytes are skipped as they come.
    CommandReader r;
    auto events = feed(r, "a1 LOGIN bob {10485760+}\r\n");
    const std::string piece(4096, 'x');
    for (int i = 0; i < 10 * 256; ++i) {
        auto e = feed(r, piece);
        events.insert(events.end(), e.begin(), e.end());
        ASSERT_LE(r.buffered(), 4096u);
    }
    EXPECT_EQ(events, V{"too_big:a1"});
    EXPECT_EQ(feed(r, "\r\na2 NOOP\r\n"), V{"command:a2 NOOP"});
}

TEST(Reader, SyncLiteralTooBigEndsTheCommand) {
    // The client waits for "+ " and, answered BAD, sends nothing of the literal.
    ReaderLimits limits;
    limits.max_literal = 10;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 LOGIN bob {11}\r\na2 NOOP\r\n"), (V{"too_big:a1", "command:a2 NOOP"}));
}

TEST(Reader, SmallLiteralsCountTogether) {
    ReaderLimits limits;
    limits.max_literal = 10;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 LOGIN {5+}\r\nabcde {5+}\r\nfghij\r\n"), V{"command:a1 LOGIN {5+}\r\nabcde {5+}\r\nfghij"});
    EXPECT_EQ(feed(r, "a2 LOGIN {5+}\r\nabcde {6+}\r\nfghijk\r\na3 NOOP\r\n"), (V{"too_big:a2", "command:a3 NOOP"}));
}

TEST(Reader, TooManyLiterals) {
    ReaderLimits limits;
    limits.max_literals = 2;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 ID ({1+}\r\na {1+}\r\nb {1+}\r\nc)\r\na2 NOOP\r\n"), (V{"too_big:a1", "command:a2 NOOP"}));
}

TEST(Reader, BigAppendIsStreamed) {
    ReaderLimits limits;
    limits.max_literal = 4;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 APPEND INBOX (\\Seen) {10}\r\n"), V{"stream_begin:a1 APPEND INBOX (\\Seen):10"});
    EXPECT_EQ(feed(r, "01234"), V{"bytes:01234"});
    EXPECT_EQ(feed(r, "56789\r\na2 NOOP\r\n"), (V{"bytes:56789", "stream_end:", "command:a2 NOOP"}));
    EXPECT_EQ(r.buffered(), 0u);
}

TEST(Reader, BigAppendNonSyncAndLiteral8) {
    ReaderLimits limits;
    limits.max_literal = 5;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 append {5}\r\n"), V{"continuation"});
    EXPECT_EQ(feed(r, "Trash ~{6+}\r\nabcdef\r\n"),
              (V{"stream_begin:a1 append {5}\r\nTrash:6+", "bytes:abcdef", "stream_end:"}));
}

TEST(Reader, BigAppendIsHandedOutInBoundedChunks) {
    ReaderLimits limits;
    CommandReader r(limits);
    ASSERT_EQ(feed(r, "a1 APPEND INBOX {200000+}\r\n"), V{"stream_begin:a1 APPEND INBOX:200000+"});
    r.feed(std::string(200000, 'm') + "\r\n");
    std::size_t total = 0;
    for (Event e = r.next(); e == Event::stream_bytes; e = r.next()) {
        EXPECT_LE(r.stream_chunk().size(), 64u * 1024);
        total += r.stream_chunk().size();
    }
    EXPECT_EQ(total, 200000u);
}

TEST(Reader, LineAfterAStreamedLiteralIsBoundedToo) {
    ReaderLimits limits;
    limits.max_literal = 4;
    limits.max_line = 30;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 APPEND INBOX {5+}\r\nabcde" + std::string(40, ' ') + "\r\na2 NOOP\r\n"),
              (V{"stream_begin:a1 APPEND INBOX:5+", "bytes:abcde", "too_long:a1", "command:a2 NOOP"}));
}

TEST(Reader, RefusedStreamSkipsItsBytes) {
    ReaderLimits limits;
    limits.max_literal = 4;
    CommandReader r(limits);
    r.feed("a1 APPEND INBOX {10+}\r\n0123456789 x\r\na2 NOOP\r\n");
    ASSERT_EQ(r.next(), Event::stream_begin);
    r.refuse_stream();
    EXPECT_EQ(drain(r), V{"command:a2 NOOP"});
    // Synchronizing: nothing of the literal comes.
    r.feed("a3 APPEND INBOX {10}\r\na4 NOOP\r\n");
    ASSERT_EQ(r.next(), Event::stream_begin);
    r.refuse_stream();
    EXPECT_EQ(drain(r), V{"command:a4 NOOP"});
}

TEST(Reader, BigMailboxNameInAppendIsNotStreamed) {
    ReaderLimits limits;
    limits.max_literal = 4;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 APPEND {5}\r\na2 NOOP\r\n"), (V{"too_big:a1", "command:a2 NOOP"}));
    EXPECT_EQ(feed(r, "a3 NOOP {5}\r\na4 NOOP\r\n"), (V{"too_big:a3", "command:a4 NOOP"}));
}

TEST(Reader, StreamRefusedMidWaySkipsTheRest) {
    ReaderLimits limits;
    limits.max_literal = 4;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 APPEND INBOX {10}\r\n"), V{"stream_begin:a1 APPEND INBOX:10"});
    EXPECT_EQ(feed(r, "0123"), V{"bytes:0123"});
    r.refuse_stream();
    EXPECT_EQ(feed(r, "456789\r\na2 NOOP\r\n"), V{"command:a2 NOOP"});
}

TEST(Reader, AppendPastMaxAppendIsTooBig) {
    ReaderLimits limits;
    limits.max_literal = 4;
    limits.max_append = 100;
    CommandReader r(limits);
    EXPECT_EQ(feed(r, "a1 APPEND INBOX {101}\r\na2 NOOP\r\n"), (V{"too_big:a1", "command:a2 NOOP"}));
}

TEST(Reader, PlainLineIgnoresLiterals) {
    // RFC 9051 6.2.2: a SASL response is a line of base64; IDLE's DONE a word.
    CommandReader r;
    r.expect_plain_line();
    EXPECT_EQ(feed(r, "dGVzdA== {5}\r\na2 NOOP\r\n"), (V{"command:dGVzdA== {5}", "command:a2 NOOP"}));
    r.expect_plain_line();
    EXPECT_EQ(trickle(r, "DONE\r\n"), V{"command:DONE"});
}

TEST(Reader, PlainLineTooLong) {
    ReaderLimits limits;
    limits.max_line = 8;
    CommandReader r(limits);
    r.expect_plain_line();
    EXPECT_EQ(feed(r, "a1 " + std::string(20, 'x') + " {5+}\r\na2 NOOP\r\n"), (V{"too_long:", "command:a2 NOOP"}));
}

}  // namespace
}  // namespace mxlab::imap
