// packet: cutting byte streams into OTP's packets and reading HTTP lines
// (see packet.h). The HTTP reading follows what OTP 25's decode_packet
// does, checked against it case by case (tests/conformance/net_tcp_http):
// lenient where OTP is (extra text after the version, tabs between
// words, HTTP/0.9 request lines), strict where OTP is (a method of token
// characters, a status code of digits).
#include "vm/packet.h"

#include <array>

#include "vm/atom.h"
#include "vm/port.h"

namespace packet {

using namespace term;

namespace {

Term intern(std::string_view text) {
    return make_atom(atom::intern(text, atom::Owner::kLibrary));
}

// The header fields OTP knows, in the order that gives their numbers
// (http_header's second element is the position here, from 1).
constexpr std::array<std::string_view, 52> kFields = {"Cache-Control",
                                                      "Connection",
                                                      "Date",
                                                      "Pragma",
                                                      "Transfer-Encoding",
                                                      "Upgrade",
                                                      "Via",
                                                      "Accept",
                                                      "Accept-Charset",
                                                      "Accept-Encoding",
                                                      "Accept-Language",
                                                      "Authorization",
                                                      "From",
                                                      "Host",
                                                      "If-Modified-Since",
                                                      "If-Match",
                                                      "If-None-Match",
                                                      "If-Range",
                                                      "If-Unmodified-Since",
                                                      "Max-Forwards",
                                                      "Proxy-Authorization",
                                                      "Range",
                                                      "Referer",
                                                      "User-Agent",
                                                      "Age",
                                                      "Location",
                                                      "Proxy-Authenticate",
                                                      "Public",
                                                      "Retry-After",
                                                      "Server",
                                                      "Vary",
                                                      "Warning",
                                                      "Www-Authenticate",
                                                      "Allow",
                                                      "Content-Base",
                                                      "Content-Encoding",
                                                      "Content-Language",
                                                      "Content-Length",
                                                      "Content-Location",
                                                      "Content-Md5",
                                                      "Content-Range",
                                                      "Content-Type",
                                                      "Etag",
                                                      "Expires",
                                                      "Last-Modified",
                                                      "Accept-Ranges",
                                                      "Set-Cookie",
                                                      "Set-Cookie2",
                                                      "X-Forwarded-For",
                                                      "Cookie",
                                                      "Keep-Alive",
                                                      "Proxy-Connection"};

// The request methods OTP returns as atoms (others stay strings).
constexpr std::array<std::string_view, 7> kMethods = {"OPTIONS", "GET",    "HEAD", "POST",
                                                      "PUT",     "DELETE", "TRACE"};

struct Atoms {
    Term http_request, http_response, http_header, http_eoh, http_error, abs_path, absolute_uri,
        scheme, star, http, https, undefined, line, http_bin, httph, httph_bin;
};

const Atoms& atoms() {
    static const Atoms a{intern("http_request"), intern("http_response"), intern("http_header"),
                         intern("http_eoh"),     intern("http_error"),    intern("abs_path"),
                         intern("absoluteURI"),  intern("scheme"),        intern("*"),
                         intern("http"),         intern("https"),         intern("undefined"),
                         intern("line"),         intern("http_bin"),      intern("httph"),
                         intern("httph_bin")};
    return a;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// RFC 9110's token characters: what a method may be made of.
bool is_token_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

char upper(char c) {
    return c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (lower(s[i]) != prefix[i]) return false;
    return true;
}

void skip_blanks(std::string_view& s) {
    while (!s.empty() && is_blank(s.front()))
        s.remove_prefix(1);
}

// The word up to the next blank (or the end), taken off `s`.
std::string_view take_word(std::string_view& s) {
    size_t end = 0;
    while (end < s.size() && !is_blank(s[end]))
        ++end;
    std::string_view word = s.substr(0, end);
    s.remove_prefix(end);
    return word;
}

// Decimal digits taken off `s` into `value`; false when there are none or
// too many to be a count anyone sends.
bool take_number(std::string_view& s, int64_t& value) {
    size_t n = 0;
    value = 0;
    while (n < s.size() && is_digit(s[n])) {
        if (n == 18) return false;
        value = value * 10 + (s[n] - '0');
        ++n;
    }
    s.remove_prefix(n);
    return n > 0;
}

// "HTTP/Major.Minor" taken off `s`.
bool take_version(std::string_view& s, Http& h) {
    if (s.substr(0, 5) != "HTTP/") return false;
    s.remove_prefix(5);
    if (!take_number(s, h.major) || s.empty() || s.front() != '.') return false;
    s.remove_prefix(1);
    return take_number(s, h.minor);
}

// The line without its end: the newline and one carriage return before it.
std::string_view content(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

Http error(std::string_view line) {
    Http h;
    h.kind = Http::Kind::kError;
    h.line = line;
    return h;
}

// http://host[:port][/path] and https://...; the scheme already checked.
void absolute_uri(std::string_view rest, Http& h) {
    h.uri = Http::Uri::kAbsolute;
    size_t end = rest.find_first_of(":/");
    h.host = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    if (!rest.empty() && rest.front() == ':') {
        rest.remove_prefix(1);
        size_t slash = rest.find('/');
        std::string_view digits = rest.substr(0, slash);
        int64_t port = 0;
        if (take_number(digits, port) && digits.empty()) h.port = port;
        rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash);
    }
    h.path = rest.empty() ? std::string_view("/") : rest;
}

void classify_uri(std::string_view uri, Http& h) {
    h.path = uri;
    if (uri == "*") {
        h.uri = Http::Uri::kStar;
    } else if (uri.front() == '/') {
        h.uri = Http::Uri::kAbsPath;
    } else if (starts_with_nocase(uri, "http://")) {
        absolute_uri(uri.substr(7), h);
    } else if (starts_with_nocase(uri, "https://")) {
        h.https = true;
        absolute_uri(uri.substr(8), h);
    } else if (size_t colon = uri.find(':'); colon != std::string_view::npos) {
        h.uri = Http::Uri::kScheme;
        h.host = uri.substr(0, colon);
        h.path = uri.substr(colon + 1);
    }
}

Http response(std::string_view line) {
    Http h;
    h.kind = Http::Kind::kResponse;
    std::string_view s = content(line);
    if (!take_version(s, h) || s.empty() || !is_blank(s.front())) return error(line);
    skip_blanks(s);
    if (!s.empty() && !is_blank(s.front())) {
        if (!take_number(s, h.status) || (!s.empty() && !is_blank(s.front()))) return error(line);
    }
    skip_blanks(s);
    h.phrase = s;
    return h;
}

Http request(std::string_view line) {
    Http h;
    h.kind = Http::Kind::kRequest;
    std::string_view s = content(line);
    h.method = take_word(s);
    if (h.method.empty() || s.empty()) return error(line);
    for (char c : h.method)
        if (!is_token_char(c)) return error(line);
    for (std::string_view known : kMethods)
        if (h.method == known) h.method_atom = intern(known);
    skip_blanks(s);
    std::string_view uri = take_word(s);
    if (uri.empty()) return error(line);
    classify_uri(uri, h);
    skip_blanks(s);
    if (s.empty()) {
        h.major = 0;  // a request line without a version is HTTP/0.9's
        h.minor = 9;
        return h;
    }
    if (!take_version(s, h)) return error(line);
    return h;
}

// OTP's case for a field name: a capital at the start and after a
// hyphen (a hyphen that is itself in that place does not count), the
// rest small.
std::string field_case(std::string_view name) {
    std::string out(name);
    bool capital = true;
    for (char& c : out) {
        if (capital) {
            c = upper(c);
            capital = false;
        } else {
            c = lower(c);
            capital = c == '-';
        }
    }
    return out;
}

Http header(std::string_view line) {
    std::string_view s = content(line);
    if (s.empty()) {
        Http h;
        h.kind = Http::Kind::kEndOfHeaders;
        return h;
    }
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return error(line);
    Http h;
    h.kind = Http::Kind::kHeader;
    h.original = s.substr(0, colon);
    for (char c : h.original)
        if (is_blank(c)) return error(line);
    h.field = field_case(h.original);
    for (size_t i = 0; i < kFields.size(); ++i) {
        if (h.field == kFields[i]) {
            h.header_index = int(i + 1);
            h.field_atom = intern(kFields[i]);
        }
    }
    s.remove_prefix(colon + 1);
    skip_blanks(s);
    h.value = s;
    return h;
}

// The end of the HTTP packet at the start of `in` (one past its last
// newline), or npos when it is not all there.
size_t http_end(std::string_view in, bool header_line) {
    size_t end = in.find('\n');
    if (end == std::string_view::npos) return end;
    ++end;
    if (!header_line || content(in.substr(0, end)).empty()) return end;
    // A header goes on while its next line starts with a blank.
    for (;;) {
        if (end == in.size()) return std::string_view::npos;
        if (!is_blank(in[end])) return end;
        size_t next = in.find('\n', end);
        if (next == std::string_view::npos) return next;
        end = next + 1;
    }
}

Split more(size_t total) {
    Split s;
    s.status = Split::Status::kMore;
    s.more = total;
    return s;
}

Split invalid() {
    Split s;
    s.status = Split::Status::kInvalid;
    return s;
}

Split whole(size_t header, size_t body, const Limits& limits) {
    if (limits.packet_size && body > limits.packet_size) return invalid();
    Split s;
    s.status = Split::Status::kPacket;
    s.header = header;
    s.body = body;
    return s;
}

Split split_prefixed(std::string_view in, size_t n, const Limits& limits) {
    if (in.size() < n) return more(0);
    size_t body = 0;
    for (size_t i = 0; i < n; ++i)
        body = body << 8 | uint8_t(in[i]);
    if (limits.packet_size && body > limits.packet_size) return invalid();
    if (in.size() - n < body) return more(n + body);
    return whole(n, body, limits);
}

Split split_line(std::string_view in, const Limits& limits) {
    std::string_view window = in;
    if (limits.line_length && window.size() > limits.line_length)
        window = window.substr(0, limits.line_length);
    size_t end = window.find(limits.delimiter);
    if (end != std::string_view::npos) return whole(0, end + 1, limits);
    if (limits.line_length && in.size() >= limits.line_length)
        return whole(0, limits.line_length, limits);
    if (limits.packet_size && in.size() > limits.packet_size) return invalid();
    return more(0);
}

Split split_http(std::string_view in, const Limits& limits, bool header_line) {
    size_t end = http_end(in, header_line);
    size_t known = end == std::string_view::npos ? in.size() : end;
    if (limits.packet_size && known > limits.packet_size) return invalid();
    if (limits.line_length && known > limits.line_length) return invalid();
    if (end == std::string_view::npos) return more(0);
    return whole(0, end, limits);
}

size_t string_words(std::string_view s, bool binary) {
    return port::bytes_words(s, binary);
}

Term put_string(Term*& mem, Term*& off_heap, std::string_view s, bool binary) {
    return port::put_bytes(mem, off_heap, s, binary);
}

Term put_tuple(Term*& mem, std::initializer_list<Term> items) {
    Term t = make_tuple(mem, uint32_t(items.size()));
    Term* slot = tuple_elements(t);
    for (Term item : items)
        *slot++ = item;
    mem += tuple_words(uint32_t(items.size()));
    return t;
}

size_t uri_words(const Http& h, bool binary) {
    switch (h.uri) {
        case Http::Uri::kStar:
            return 0;
        case Http::Uri::kAbsPath:
            return tuple_words(2) + string_words(h.path, binary);
        case Http::Uri::kAbsolute:
            return tuple_words(5) + string_words(h.host, binary) + string_words(h.path, binary);
        case Http::Uri::kScheme:
            return tuple_words(3) + string_words(h.host, binary) + string_words(h.path, binary);
        case Http::Uri::kOther:
            return string_words(h.path, binary);
    }
    return 0;
}

Term put_uri(Term*& mem, Term*& off_heap, const Http& h, bool binary) {
    const Atoms& a = atoms();
    switch (h.uri) {
        case Http::Uri::kStar:
            return a.star;
        case Http::Uri::kAbsPath: {
            Term path = put_string(mem, off_heap, h.path, binary);
            return put_tuple(mem, {a.abs_path, path});
        }
        case Http::Uri::kAbsolute: {
            Term host = put_string(mem, off_heap, h.host, binary);
            Term path = put_string(mem, off_heap, h.path, binary);
            Term port = h.port < 0 ? a.undefined : make_small(h.port);
            return put_tuple(mem, {a.absolute_uri, h.https ? a.https : a.http, host, port, path});
        }
        case Http::Uri::kScheme: {
            Term scheme = put_string(mem, off_heap, h.host, binary);
            Term rest = put_string(mem, off_heap, h.path, binary);
            return put_tuple(mem, {a.scheme, scheme, rest});
        }
        case Http::Uri::kOther:
            return put_string(mem, off_heap, h.path, binary);
    }
    return kNil;
}

}  // namespace

bool from_term(Term value, Type& type) {
    if (is_small(value)) {
        switch (small_value(value)) {
            case 0:
                type = Type::kRaw;
                return true;
            case 1:
                type = Type::k1;
                return true;
            case 2:
                type = Type::k2;
                return true;
            case 4:
                type = Type::k4;
                return true;
            default:
                return false;
        }
    }
    const Atoms& a = atoms();
    if (value == intern("raw")) {
        type = Type::kRaw;
    } else if (value == a.line) {
        type = Type::kLine;
    } else if (value == a.http) {
        type = Type::kHttp;
    } else if (value == a.httph) {
        type = Type::kHttph;
    } else if (value == a.http_bin) {
        type = Type::kHttpBin;
    } else if (value == a.httph_bin) {
        type = Type::kHttphBin;
    } else {
        return false;
    }
    return true;
}

Term to_term(Type type) {
    const Atoms& a = atoms();
    switch (type) {
        case Type::kRaw:
            return make_small(0);
        case Type::k1:
            return make_small(1);
        case Type::k2:
            return make_small(2);
        case Type::k4:
            return make_small(4);
        case Type::kLine:
            return a.line;
        case Type::kHttp:
            return a.http;
        case Type::kHttph:
            return a.httph;
        case Type::kHttpBin:
            return a.http_bin;
        case Type::kHttphBin:
            return a.httph_bin;
    }
    return make_small(0);
}

bool is_http(Type type) {
    return type >= Type::kHttp;
}

bool is_header_type(Type type) {
    return type == Type::kHttph || type == Type::kHttphBin;
}

Type header_type(Type type) {
    return type == Type::kHttp ? Type::kHttph : type == Type::kHttpBin ? Type::kHttphBin : type;
}

Split split(Type type, std::string_view in, const Limits& limits, bool header_line) {
    switch (type) {
        case Type::kRaw:
            if (in.empty()) return more(0);
            return whole(0, in.size(), limits);
        case Type::k1:
            return split_prefixed(in, 1, limits);
        case Type::k2:
            return split_prefixed(in, 2, limits);
        case Type::k4:
            return split_prefixed(in, 4, limits);
        case Type::kLine:
            return split_line(in, limits);
        default:
            return split_http(in, limits, header_line || is_header_type(type));
    }
}

Http parse(std::string_view line, bool header_line) {
    if (header_line) return header(line);
    if (line.substr(0, 5) == "HTTP/") return response(line);
    return request(line);
}

size_t words(const Http& h, bool binary) {
    switch (h.kind) {
        case Http::Kind::kRequest:
            return tuple_words(4) + tuple_words(2) +
                   (h.method_atom == kNone ? string_words(h.method, binary) : 0) +
                   uri_words(h, binary);
        case Http::Kind::kResponse:
            return tuple_words(4) + tuple_words(2) + string_words(h.phrase, binary);
        case Http::Kind::kHeader:
            return tuple_words(5) + (h.field_atom == kNone ? string_words(h.field, binary) : 0) +
                   string_words(h.original, binary) + string_words(h.value, binary);
        case Http::Kind::kEndOfHeaders:
            return 0;
        case Http::Kind::kError:
            return tuple_words(2) + string_words(h.line, binary);
    }
    return 0;
}

Term put(Term*& mem, Term*& off_heap, const Http& h, bool binary) {
    const Atoms& a = atoms();
    switch (h.kind) {
        case Http::Kind::kRequest: {
            Term method = h.method_atom != kNone ? h.method_atom
                                                 : put_string(mem, off_heap, h.method, binary);
            Term uri = put_uri(mem, off_heap, h, binary);
            Term version = put_tuple(mem, {make_small(h.major), make_small(h.minor)});
            return put_tuple(mem, {a.http_request, method, uri, version});
        }
        case Http::Kind::kResponse: {
            Term phrase = put_string(mem, off_heap, h.phrase, binary);
            Term version = put_tuple(mem, {make_small(h.major), make_small(h.minor)});
            return put_tuple(mem, {a.http_response, version, make_small(h.status), phrase});
        }
        case Http::Kind::kHeader: {
            Term field =
                h.field_atom != kNone ? h.field_atom : put_string(mem, off_heap, h.field, binary);
            Term original = put_string(mem, off_heap, h.original, binary);
            Term value = put_string(mem, off_heap, h.value, binary);
            return put_tuple(mem,
                             {a.http_header, make_small(h.header_index), field, original, value});
        }
        case Http::Kind::kEndOfHeaders:
            return a.http_eoh;
        case Http::Kind::kError: {
            Term line = put_string(mem, off_heap, h.line, binary);
            return put_tuple(mem, {a.http_error, line});
        }
    }
    return kNil;
}

}  // namespace packet
