// diag: erlc's order and format for diagnostics.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "compiler/diag.h"

static std::string printed(diag::Reporter& reporter) {
    char* buffer = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    reporter.print(out);
    std::fclose(out);
    std::string text(buffer, size);
    free(buffer);
    return text;
}

TEST_CASE("diagnostics quote the line and point a caret, keeping tabs", "[diag]") {
    diag::Reporter reporter;
    reporter.add_source("x.bl", "-module(x).\n\tX = Y + 1,\n");
    reporter.error("x.bl", {2, 6}, diag::Phase::Lint, "variable 'Y' is unbound");
    CHECK(printed(reporter) ==
          "x.bl:2:6: variable 'Y' is unbound\n"
          "%    2| \tX = Y + 1,\n"
          "%     | \t    ^\n"
          "\n");
}

TEST_CASE("errors before warnings, syntax before lint, then by position", "[diag]") {
    diag::Reporter reporter;
    reporter.add_source("x.bl", "a\nb\nc\n");
    reporter.warning("x.bl", {1, 1}, diag::Phase::Lint, "w");
    reporter.error("x.bl", {1, 1}, diag::Phase::Lint, "late lint");
    reporter.error("x.bl", {3, 1}, diag::Phase::Syntax, "syntax");
    reporter.error("x.bl", {2, 1}, diag::Phase::Lint, "lint");
    CHECK(reporter.has_errors());
    std::string text = printed(reporter);
    auto at = [&](const char* s) { return text.find(s); };
    CHECK(at("syntax") < at("late lint"));
    CHECK(at("late lint") < at(": lint"));
    CHECK(at(": lint") < at("Warning: w"));
}
