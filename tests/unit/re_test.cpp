// re: the Latin-1 character tables beamlite gives PCRE2 (OTP's PCRE is
// built with ISO 8859-1 tables). The layout must be pcre2_maketables()'s:
// the C locale's classification, made by re_tables, equals the tables
// PCRE2 itself makes in the C locale (the test process never calls
// setlocale).
#include <catch2/catch.hpp>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstring>

#include "vm/re_tables.h"

TEST_CASE("re tables: the C locale's tables are pcre2_maketables' bytes") {
    const uint8_t* pcre_tables = pcre2_maketables(nullptr);
    REQUIRE(pcre_tables != nullptr);
    re_tables::Tables ours = re_tables::make_tables(re_tables::classify_c);
    for (size_t i = 0; i < re_tables::kTablesLength; ++i) {
        INFO("byte " << i);
        CHECK(ours[i] == pcre_tables[i]);
    }
    pcre2_maketables_free(nullptr, pcre_tables);
}

TEST_CASE("re tables: Latin-1 letters match caselessly and are word characters") {
    pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
    pcre2_set_character_tables(context, re_tables::latin1_tables());
    int error = 0;
    PCRE2_SIZE offset = 0;
    auto matches = [&](const char* pattern, const char* subject) {
        pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern),
                                         PCRE2_ZERO_TERMINATED, 0, &error, &offset, context);
        REQUIRE(code != nullptr);
        pcre2_match_data* data = pcre2_match_data_create_from_pattern(code, nullptr);
        int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject), std::strlen(subject), 0,
                             0, data, nullptr);
        pcre2_match_data_free(data);
        pcre2_code_free(code);
        return rc > 0;
    };
    CHECK(matches("(?i)\xe9", "\xc9"));        // é matches É
    CHECK(matches("^\\w$", "\xe9"));           // é is a word character
    CHECK(matches("^\\w$", "\xaa"));           // ª too
    CHECK_FALSE(matches("^\\w$", "\xd7"));     // × is not
    CHECK_FALSE(matches("^\\s$", "\xa0"));     // no-break space is not a space
    CHECK_FALSE(matches("(?i)\xff", "\xdf"));  // ÿ and ß have no upper case here
    CHECK(matches("^[[:punct:]]$", "\xa0"));
    pcre2_compile_context_free(context);
}
