// abstract: the AST as OTP 25's abstract format, and back. The expected
// text is what epp:parse_file(File, [{location, {1,1}}]) returns, written
// with ~w (Erlang/OTP 25).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/abstract.h"
#include "compiler/frontend.h"

namespace {

std::string write_source(const std::string& name, const std::string& text) {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "beamlite_abstract_test";
    std::filesystem::create_directories(dir);
    std::filesystem::path file = dir / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
}

// The file's forms parsed by the front end.
ast::Module parse(const std::string& path) {
    diag::Reporter reporter;
    ast::Module module = frontend::parse_file(path, {}, reporter);
    REQUIRE(!reporter.has_errors());
    return module;
}

// `text` with the file attribute's name (a list of character codes) replaced.
std::string with_file(std::string text, const std::string& from, const std::string& to) {
    auto codes = [](const std::string& s) {
        std::string out;
        for (char c : s)
            out += (out.empty() ? "" : ",") + std::to_string(int(c));
        return "[" + out + "]";
    };
    size_t at = text.find(codes(from));
    REQUIRE(at != std::string::npos);
    return text.replace(at, codes(from).size(), codes(to));
}

const char kSmall[] =
    "-module(small).\n"
    "-export([f/1]).\n"
    "-record(r, {a = 1, b}).\n"
    "-vsn(\"1.0\").\n"
    "f({X, \"s\"}) when X > 0; is_atom(X) ->\n"
    "    try X of Y -> [Y | #r{b = $c}] catch error:R -> R; C:R:S -> {C, R, S} after ok end;\n"
    "f(<<A:4/little, B/binary>>) -> #{A => B, k := 2.5};\n"
    "f(M) -> receive {M, V} -> fun(Q) -> Q + V end after 10 -> fun lists:map/2 end.\n";

// epp's, for small.erl.
const char kSmallForms[] =
    "[{attribute,{1,1},file,{[115,109,97,108,108,46,101,114,108],1}},{attribute,{1,2},module,"
    "small},{attribute,{2,2},export,[{f,1}]},{attribute,{3,2},record,{r,[{record_field,{3,13},{"
    "atom,{3,13},a},{integer,{3,17},1}},{record_field,{3,20},{atom,{3,20},b}}]}},{attribute,{4,"
    "2},vsn,[49,46,48]},{function,{5,1},f,1,[{clause,{5,1},[{tuple,{5,3},[{var,{5,4},'X'},{"
    "string,{5,7},[115]}]}],[[{op,{5,20},'>',{var,{5,18},'X'},{integer,{5,22},0}}],[{call,{5,"
    "25},{atom,{5,25},is_atom},[{var,{5,33},'X'}]}]],[{'try',{6,5},[{var,{6,9},'X'}],[{clause,{"
    "6,14},[{var,{6,14},'Y'}],[],[{cons,{6,19},{var,{6,20},'Y'},{record,{6,24},r,[{record_"
    "field,{6,27},{atom,{6,27},b},{char,{6,31},99}}]}}]}],[{clause,{6,42},[{tuple,{6,42},[{"
    "atom,{6,42},error},{var,{6,48},'R'},{var,{6,48},'_'}]}],[],[{var,{6,53},'R'}]},{clause,{6,"
    "56},[{tuple,{6,56},[{var,{6,56},'C'},{var,{6,58},'R'},{var,{6,60},'S'}]}],[],[{tuple,{6,"
    "65},[{var,{6,66},'C'},{var,{6,69},'R'},{var,{6,72},'S'}]}]}],[{atom,{6,81},ok}]}]},{"
    "clause,{7,1},[{bin,{7,3},[{bin_element,{7,5},{var,{7,5},'A'},{integer,{7,7},4},[little]},{"
    "bin_element,{7,17},{var,{7,17},'B'},default,[binary]}]}],[],[{map,{7,32},[{map_field_"
    "assoc,{7,36},{var,{7,34},'A'},{var,{7,39},'B'}},{map_field_exact,{7,44},{atom,{7,42},k},{"
    "float,{7,47},2.5}}]}]},{clause,{8,1},[{var,{8,3},'M'}],[],[{'receive',{8,9},[{clause,{8,"
    "17},[{tuple,{8,17},[{var,{8,18},'M'},{var,{8,21},'V'}]}],[],[{'fun',{8,27},{clauses,[{"
    "clause,{8,30},[{var,{8,31},'Q'}],[],[{op,{8,39},'+',{var,{8,37},'Q'},{var,{8,41},'V'}}]}]"
    "}}]}],{integer,{8,53},10},[{'fun',{8,59},{function,{atom,{8,63},lists},{atom,{8,69},map},{"
    "integer,{8,73},2}}}]}]}]},{eof,{9,1}}]";

}  // namespace

TEST_CASE("abstract: forms are epp's, annotations and all", "[abstract]") {
    std::string path = write_source("small.bl", kSmall);
    std::string text = abstract::to_text(parse(path));
    CHECK(with_file(text, path, "small.erl") == kSmallForms);
}

TEST_CASE("abstract: forms read back write the same text", "[abstract]") {
    std::string path = write_source("small.bl", kSmall);
    std::string text = abstract::to_text(parse(path));
    diag::Reporter reporter;
    ast::Module again;
    again.file = path;
    REQUIRE(abstract::from_text(text, again, reporter));
    CHECK(again.name == "small");
    CHECK(abstract::to_text(again) == text);
}

TEST_CASE("abstract: transforms and the request for them", "[abstract]") {
    std::string path = write_source("pt.bl",
                                    "-module(pt).\n-compile([export_all, {parse_transform, a}]).\n"
                                    "-compile({parse_transform, b}).\nf() -> 1.\n");
    ast::Module module = parse(path);
    CHECK(abstract::parse_transforms(module) == std::vector<std::string>{"a", "b"});
    std::string request = abstract::transform_request(module);
    CHECK(request.ends_with(",[export_all,{parse_transform,a},{parse_transform,b}],[a,b]}"));
}

TEST_CASE("abstract: a form that is not one is reported", "[abstract]") {
    diag::Reporter reporter;
    ast::Module module;
    module.file = "m.bl";
    CHECK(!abstract::from_text("[{function,{1,1},f,0,[{clause,{1,1},[],[],[{bogus,1}]}]}]", module,
                               reporter));
    REQUIRE(reporter.messages().size() == 1);
    CHECK(reporter.messages()[0].message.starts_with("bad form returned by a parse transform"));
}
