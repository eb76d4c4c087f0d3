// fuzz_binary_to_term: libFuzzer target for etf::decode, the decoder behind
// binary_to_term/1,2, which must take any bytes: a term or a clean failure,
// never a crash, leak or sanitizer report. Each decoded term is checked
// with the heap verifier, re-encoded (plain and compressed), and decoded
// again to the same term.
//
//   cmake --preset fuzz && cmake --build --preset fuzz
//   tools/fuzz.sh 600 fuzz_binary_to_term     (README.md, "Fuzzing")
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "vm/etf.h"
#include "vm/gc.h"
#include "vm/process.h"

namespace {

// Names the broken property before aborting: CI keeps the log, not the input.
[[noreturn]] void fail(const char* property) {
    std::fprintf(stderr, "fuzz_binary_to_term: %s\n", property);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    process::Process* p = process::create();
    for (bool safe : {false, true}) {
        etf::DecodeOptions options;
        options.safe = safe;
        size_t used = 0;
        term::Term t = etf::decode(*p, data, size, options, &used);
        if (t == term::kNone) continue;
        if (used > size) fail("used more bytes than given");
        term::Term roots[1] = {t};
        gc::Roots r;
        r.add(roots, 1);
        if (!gc::verify(p->heap, r).empty()) fail("the heap verifier rejects the term");
        std::string again;
        if (!etf::encode(roots[0], etf::EncodeOptions{}, again)) continue;
        size_t used2 = 0;
        term::Term t2 = etf::decode(*p, reinterpret_cast<const uint8_t*>(again.data()),
                                    again.size(), etf::DecodeOptions{}, &used2);
        // t may have moved: compare the re-encodings instead of the terms.
        std::string third;
        if (t2 == term::kNone) fail("its encoding does not decode");
        if (!etf::encode(t2, etf::EncodeOptions{}, third) || third != again)
            fail("decoding its encoding gives another term");
        // Compressed, it must decode to the same term too.
        etf::EncodeOptions compressed;
        compressed.compressed = 6;
        std::string packed, fourth;
        if (!etf::encode(t2, compressed, packed)) fail("it does not encode compressed");
        size_t used3 = 0;
        term::Term t3 = etf::decode(*p, reinterpret_cast<const uint8_t*>(packed.data()),
                                    packed.size(), etf::DecodeOptions{}, &used3);
        if (t3 == term::kNone || used3 != packed.size() ||
            !etf::encode(t3, etf::EncodeOptions{}, fourth) || fourth != again)
            fail("its compressed encoding gives another term");
    }
    process::destroy(p);
    return 0;
}
