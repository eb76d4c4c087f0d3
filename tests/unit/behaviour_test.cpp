// behaviour_test: where the behaviour checks find callbacks (OTP's table, a
// behaviour's own .bl module) and the warnings check prints for a module
// using a behaviour defined beside it, as erlc prints them with -pa.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/behaviour.h"
#include "compiler/frontend.h"

namespace {

std::filesystem::path scratch_dir() {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "beamlite_behaviour_test";
    std::filesystem::create_directories(dir);
    return dir;
}

void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// `check` of `path`: the diagnostics as printed.
std::string check(const std::filesystem::path& path) {
    diag::Reporter reporter;
    frontend::check_file(path.string(), {}, reporter);
    std::FILE* out = std::tmpfile();
    reporter.print(out);
    std::rewind(out);
    std::string text;
    for (int c; (c = std::fgetc(out)) != EOF;)
        text += static_cast<char>(c);
    std::fclose(out);
    return text;
}

}  // namespace

TEST_CASE("behaviour: OTP's behaviours come from the table", "[behaviour]") {
    auto gen_server = behaviour::find("gen_server", {});
    REQUIRE(gen_server);
    CHECK(gen_server->all.size() == 9);
    CHECK(gen_server->optional.size() == 6);
    CHECK(gen_server->all.front() == behaviour::Callback{"init", 1});
    auto supervisor = behaviour::find("supervisor", {});
    REQUIRE(supervisor);
    CHECK(supervisor->all == std::vector<behaviour::Callback>{{"init", 1}});
    CHECK(supervisor->optional.empty());
    CHECK_FALSE(behaviour::find("no_such_behaviour", {}));
}

TEST_CASE("behaviour: a .bl behaviour's -callback attributes", "[behaviour]") {
    std::filesystem::path dir = scratch_dir();
    write(dir / "my_beh.bl",
          "-module(my_beh).\n"
          "-callback start(term()) -> ok.\n"
          "-callback stop() -> ok.\n"
          "-callback info(atom(), term()) -> term().\n"
          "-optional_callbacks([info/2]).\n");
    write(dir / "no_callbacks.bl", "-module(no_callbacks).\n-export([x/0]).\nx() -> ok.\n");
    auto found = behaviour::find("my_beh", {dir.string()});
    REQUIRE(found);
    CHECK(found->all == std::vector<behaviour::Callback>{{"start", 1}, {"stop", 0}, {"info", 2}});
    CHECK(found->optional == std::vector<behaviour::Callback>{{"info", 2}});
    // No -callback: no behaviour_info/1, so "undefined" as with erlc.
    CHECK_FALSE(behaviour::find("no_callbacks", {dir.string()}));

    // Checked beside them, as `erlc -pa .` reports it.
    write(dir / "user_beh.bl",
          "-module(user_beh).\n"
          "-behaviour(my_beh).\n"
          "-behaviour(no_callbacks).\n"
          "-export([start/1]).\n"
          "start(_) -> ok.\n");
    std::string file = (dir / "user_beh.bl").string();
    CHECK(check(dir / "user_beh.bl") ==
          file + ":2:2: Warning: undefined callback function stop/0 (behaviour 'my_beh')\n" +
              "%    2| -behaviour(my_beh).\n%     |  ^\n\n" + file +
              ":3:2: Warning: behaviour no_callbacks undefined\n" +
              "%    3| -behaviour(no_callbacks).\n%     |  ^\n\n");
}
