// code: the library image holds every module of the BIF table, so that
// every module has module_info/0,1 (the compiler adds them) and the BIF
// harness (tests/harness) reaches every BIF; library modules load from it.
#include <catch2/catch.hpp>

#include <string>

#include "driver/library_image.h"
#include "vm/bif.h"
#include "vm/code.h"

TEST_CASE("code: every module of the BIF table is a library module", "[code]") {
    code::set_library(library_image::bytes());
    for (size_t i = 0; i < bif::table_size(); ++i) {
        std::string module(bif::table()[i].module);
        INFO(module);
        CHECK(code::is_library_module(module));
    }
}

TEST_CASE("code: the library image lists its modules in order", "[code]") {
    code::set_library(library_image::bytes());
    auto names = code::library_modules();
    REQUIRE(names.size() > 10);
    CHECK(std::is_sorted(names.begin(), names.end()));
    CHECK(code::is_library_module("lists"));
    CHECK(!code::is_library_module("no_such_module"));
}
