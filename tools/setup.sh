#!/usr/bin/env bash
# Installs what beamlite needs from Debian 12 packages (only what is missing),
# builds the Release configuration and runs an example program.
#
#   tools/setup.sh              install, build Release, run examples/hello.bl
#   tools/setup.sh --deps-only  install what is missing and stop
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    g++ cmake ninja-build pkg-config     # toolchain
    libfmt-dev libmimalloc-dev catch2    # fmt, mimalloc, Catch2 v2
    re2c bison                           # lexer and parser generators
    libgmp-dev libedit-dev               # bignums, line editing
    zlib1g-dev                           # compressed term_to_binary
    libabsl-dev                          # absl::btree_set for ETS's ordered_set
    libpcre2-dev                         # the re module (PCRE2)
    erlang-base                          # the oracle: expected outputs come from Erlang/OTP
    erlang-src                           # OTP's library sources: compiled into beamlite at build time
    erlang-eunit                         # the oracle runs eunit tests (eunit.erl is in erlang-src)
    erlang-dev                           # eunit.hrl: embedded at build time
    clang libclang-rt-14-dev             # libFuzzer targets in tools/
    clang-format                         # the format test
    python3                              # the shell's terminal test (tests/shell/pty_test.py)
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[ "${1:-}" = "--deps-only" ] && exit 0

cmake --preset release >/dev/null
cmake --build --preset release
echo "setup: built build/release/beamlite; running examples/hello.bl"
build/release/beamlite run examples/hello.bl
