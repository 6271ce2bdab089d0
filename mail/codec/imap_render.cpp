// IMAP text from a parsed MessageStructure: BODYSTRUCTURE, BODY and ENVELOPE as Dovecot writes them (RFC 3501 sections 7.4.2 and 9).
#include "mail/codec/imap_render.hpp"

#include "core/ascii.hpp"

namespace mxlab::codec {
namespace {

// An empty text part, where the syntax needs a body and there is none.
constexpr std::string_view kEmpty = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)";
constexpr std::string_view kEmptyExtended =
    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";

void append_params(std::string& out, const std::vector<MimeParam>& params, bool default_charset) {
    if (params.empty() && !default_charset) {
        out += "NIL";
        return;
    }
    // RFC 2046 section 4.1.2: text without a charset is US-ASCII; Dovecot
    // says so in the list.
    out += '(';
    bool first = true, charset = false;
    for (const auto& p : params) {
        if (!first) out += ' ';
        first = false;
        charset = charset || iequals(p.name, "charset");
        append_imap_string(out, p.name);
        out += ' ';
        append_imap_string(out, p.value);
    }
    if (default_charset && !charset) {
        if (!first) out += ' ';
        out += "\"charset\" \"us-ascii\"";
    }
    out += ')';
}

// Dovecot's form of the ENVELOPE subject and address names: whitespace runs (line breaks
// included) become one space, none at either end; then anything that
// needed changing or escaping is sent as a literal, the rest quoted.
void append_string_for_humans(std::string& out, std::string_view s) {
    std::string text;
    text.reserve(s.size());
    bool last_space = true, modify = false;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (c != ' ' || last_space) modify = true;
            if (!last_space) text += ' ';
            last_space = true;
            continue;
        }
        if (c == '"' || c == '\\' || c == 0 || c >= 0x80) modify = true;
        if (c == 0) {
            text += "\xEF\xBF\xBD";
        } else {
            text += ch;
        }
        last_space = false;
    }
    if (last_space && !text.empty()) {
        text.pop_back();
        modify = true;
    }
    if (!modify || text.empty()) {
        out += '"';
        out += text;
        out += '"';
        return;
    }
    out += '{';
    out += std::to_string(text.size());
    out += "}\r\n";
    out += text;
}

void append_addresses(std::string& out, const std::vector<Address>& list) {
    if (list.empty()) {
        out += "NIL";
        return;
    }
    out += '(';
    for (const auto& a : list) {
        out += '(';
        if (a.name) {
            append_string_for_humans(out, *a.name);  // as Dovecot writes names
        } else {
            out += "NIL";
        }
        out += ' ';
        append_imap_nstring(out, a.adl);
        out += ' ';
        append_imap_nstring(out, a.mailbox);
        out += ' ';
        append_imap_nstring(out, a.host);
        out += ')';
    }
    out += ')';
}

void append_envelope(std::string& out, const Envelope& e) {
    out += '(';
    append_imap_nstring(out, e.date);
    out += ' ';
    if (e.subject) {
        append_string_for_humans(out, *e.subject);
    } else {
        out += "NIL";
    }
    // RFC 3501 section 7.4.2: the server defaults sender and reply-to to from.
    const auto& sender = e.sender.empty() ? e.from : e.sender;
    const auto& reply_to = e.reply_to.empty() ? e.from : e.reply_to;
    for (const auto* list : {&e.from, &sender, &reply_to, &e.to, &e.cc, &e.bcc}) {
        out += ' ';
        append_addresses(out, *list);
    }
    out += ' ';
    append_imap_nstring(out, e.in_reply_to);
    out += ' ';
    append_imap_nstring(out, e.message_id);
    out += ')';
}

// body-ext-1part and body-ext-mpart after the MD5 or the parameters.
void append_common_extension(std::string& out, const MimePart& p) {
    out += ' ';
    if (!p.disposition) {
        out += "NIL";
    } else {
        out += '(';
        append_imap_string(out, *p.disposition);
        out += ' ';
        append_params(out, p.disposition_params, false);
        out += ')';
    }
    out += ' ';
    if (p.languages.empty()) {
        out += "NIL";
    } else {
        out += '(';
        for (std::size_t i = 0; i < p.languages.size(); ++i) {
            if (i > 0) out += ' ';
            append_imap_string(out, p.languages[i]);
        }
        out += ')';
    }
    out += ' ';
    append_imap_nstring(out, p.location);
}

void append_body(std::string& out, const MessageStructure& s, std::uint32_t index, bool extended) {
    const MimePart& p = s.parts[index];
    out += '(';
    if (p.kind == PartKind::multipart) {
        if (p.first_child == 0) {
            // No body parts, which RFC 2046 does not allow: one empty text
            // part keeps the syntax valid (Dovecot's answer too).
            out += extended ? kEmptyExtended : kEmpty;
        }
        for (std::uint32_t c = p.first_child; c != 0; c = s.parts[c].next_sibling) append_body(out, s, c, extended);
        out += ' ';
        append_imap_string(out, p.subtype);
        if (extended) {
            out += ' ';
            append_params(out, p.params, false);
            append_common_extension(out, p);
        }
        out += ')';
        return;
    }
    const bool text = p.kind == PartKind::leaf && iequals(p.type, "text");
    if (p.kind == PartKind::message) {
        // Dovecot writes the one type that brings an envelope in lower case.
        out += "\"message\" ";
        std::string subtype = p.subtype;
        for (char& c : subtype) c = lower(c);
        append_imap_string(out, subtype);
    } else {
        append_imap_string(out, p.type);
        out += ' ';
        append_imap_string(out, p.subtype);
    }
    out += ' ';
    append_params(out, p.params, text);
    out += ' ';
    append_imap_nstring(out, p.id);
    out += ' ';
    append_imap_nstring(out, p.description);
    out += ' ';
    if (p.encoding) {
        append_imap_string(out, *p.encoding);
    } else {
        out += "\"7bit\"";
    }
    out += ' ';
    out += std::to_string(p.size());
    if (text) {
        out += ' ';
        out += std::to_string(p.lines);
    } else if (p.kind == PartKind::message) {
        const MimePart& inner = s.parts[p.first_child];
        out += ' ';
        append_envelope(out, *inner.envelope);
        out += ' ';
        append_body(out, s, p.first_child, extended);
        out += ' ';
        out += std::to_string(p.lines);
    } else if (is_embedded_message(p)) {
        // Past the parser's limits: the syntax wants an envelope and a body,
        // so an empty one of each.
        out += " (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ";
        out += extended ? kEmptyExtended : kEmpty;
        out += ' ';
        out += std::to_string(p.lines);
    }
    if (extended) {
        out += ' ';
        append_imap_nstring(out, p.md5);
        append_common_extension(out, p);
    }
    out += ')';
}

}  // namespace

void append_imap_string(std::string& out, std::string_view s) {
    std::size_t escapes = 0;
    bool literal = false;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            // Dovecot's choice: past four escapes a literal reads better.
            if (++escapes > 4) literal = true;
        } else if (c == '\r' || c == '\n' || c == 0 || c >= 0x80) {
            literal = true;
        }
    }
    if (!literal) {
        out += '"';
        for (const char c : s) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
        return;
    }
    // RFC 3501 section 4.3: a literal holds any CHAR8, which excludes NUL.
    std::string body;
    body.reserve(s.size());
    for (const char c : s) {
        if (c == '\0') {
            body += "\xEF\xBF\xBD";
        } else {
            body += c;
        }
    }
    out += '{';
    out += std::to_string(body.size());
    out += "}\r\n";
    out += body;
}

void append_imap_nstring(std::string& out, const std::optional<std::string>& s) {
    if (!s) {
        out += "NIL";
        return;
    }
    if (s->find_first_of("\r\n") == std::string::npos) {
        append_imap_string(out, *s);
        return;
    }
    std::string flat;
    for (const char c : *s) {
        if (c != '\r' && c != '\n') flat += c;
    }
    append_imap_string(out, flat);
}

std::string render_envelope(const MessageStructure& s, std::uint32_t index) {
    std::string out;
    if (index < s.parts.size() && s.parts[index].envelope) {
        append_envelope(out, *s.parts[index].envelope);
    } else {
        append_envelope(out, Envelope{});
    }
    return out;
}

std::string render_bodystructure(const MessageStructure& s, bool extended, std::uint32_t index) {
    std::string out;
    if (index < s.parts.size()) append_body(out, s, index, extended);
    return out;
}

}  // namespace mxlab::codec
