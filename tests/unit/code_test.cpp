// code: the embedded stdlib has a source for every module of the BIF
// table, so that every module has module_info/0,1 (the compiler adds them)
// and the BIF harness (tests/harness), which finds the modules from
// stdlib/*.bl, reaches every BIF.
#include <catch2/catch.hpp>

#include <string>

#include "vm/bif.h"
#include "vm/code.h"

TEST_CASE("code: every module of the BIF table has an embedded source", "[code]") {
    for (size_t i = 0; i < bif::table_size(); ++i) {
        std::string module(bif::table()[i].module);
        INFO("stdlib/" << module << ".bl");
        CHECK(!code::embedded_source(module).empty());
    }
}
