// packet: OTP's packet types, as the {packet, _} socket option and
// erlang:decode_packet/3 know them. It owns how a byte stream is cut into
// packets (a length header of 1, 2 or 4 bytes, a line, an HTTP line with
// its continuation lines) and how an HTTP line reads as OTP's terms
// (http_request, http_response, http_header, http_eoh, http_error).
// Sockets (vm/inet.cpp) and the BIF share it; nothing here knows of
// either. Functions are pure over bytes; put() writes the terms.
//
//   bytes ──split()──► Split {header, body} ──(HTTP types) parse()──► Http
//                                                   words() + put() ──► term
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vm/term.h"

namespace packet {

using term::Term;

enum class Type : uint8_t { kRaw, k1, k2, k4, kLine, kHttp, kHttph, kHttpBin, kHttphBin };

// The type an option value names (raw, 0, 1, 2, 4, line, http, httph,
// http_bin, httph_bin); false for anything else.
bool from_term(Term value, Type& type);
// The option value inet:getopts reports for `type`.
Term to_term(Type type);

bool is_http(Type type);
// httph and httph_bin: every line is a header line.
bool is_header_type(Type type);
// The header type an HTTP type switches to after its first line.
Type header_type(Type type);

struct Limits {
    size_t packet_size = 0;  // 0: none; a longer packet is invalid
    size_t line_length = 0;  // kLine: 0: none; a longer line is cut there
    char delimiter = '\n';   // kLine
};

// The next packet at the start of some bytes: its header (a length
// prefix) and body, or that more bytes are needed (`more`: how many in
// all, 0 when not known) or that the packet is invalid (too large).
struct Split {
    enum class Status : uint8_t { kPacket, kMore, kInvalid };
    Status status = Status::kMore;
    size_t header = 0;
    size_t body = 0;
    size_t more = 0;
    size_t size() const { return header + body; }
};

// `header_line`: an HTTP type's line is a header line (its continuation
// lines, those starting with a space or a tab, belong to it, so a header
// line is only whole when the byte after it is known).
Split split(Type type, std::string_view in, const Limits& limits, bool header_line);

// One HTTP line, parsed. Views point into the line given to parse().
struct Http {
    enum class Kind : uint8_t { kRequest, kResponse, kHeader, kEndOfHeaders, kError };
    enum class Uri : uint8_t { kStar, kAbsPath, kAbsolute, kScheme, kOther };
    Kind kind = Kind::kError;
    std::string_view line;    // kError: the whole line
    std::string_view method;  // kRequest
    Term method_atom = term::kNone;
    Uri uri = Uri::kOther;
    bool https = false;     // kAbsolute
    std::string_view host;  // kAbsolute; kScheme: the scheme
    std::string_view path;  // kAbsPath, kAbsolute, kOther; kScheme: after the colon
    int64_t port = -1;      // kAbsolute: -1 when not given
    int64_t major = 0, minor = 0;
    int64_t status = 0;       // kResponse
    std::string_view phrase;  // kResponse
    int header_index = 0;     // kHeader: OTP's number of a known field, else 0
    Term field_atom = term::kNone;
    std::string field;  // kHeader: the name with OTP's case
    std::string_view original, value;
};

// `header_line` as for split(); `line` is one packet split() cut.
Http parse(std::string_view line, bool header_line);

// Words the packet's term needs, and the term put at `mem` (moved past
// it; off-heap binaries go on `off_heap`). `binary`: strings as binaries
// (http_bin, httph_bin) rather than lists.
size_t words(const Http& http, bool binary);
Term put(Term*& mem, Term*& off_heap, const Http& http, bool binary);

}  // namespace packet
