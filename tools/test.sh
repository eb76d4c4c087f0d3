#!/usr/bin/env bash
# Builds and runs the whole test suite: the Release build, the ASan+UBSan
# build, each through ctest (unit tests, command line, the check corpus, the
# mutation test, the conformance corpus on the default schedulers and on
# one), and the ThreadSanitizer build through its concurrency tests (unit
# tests and the corpus's concurrent programs on both scheduler counts; the
# whole corpus under TSan is `ctest --test-dir build/tsan -L tsan_full`);
# runs each fuzz target for a minute (tools/fuzz.sh); then checks every
# committed expected output against Erlang/OTP itself (the check corpus's
# diagnostics and the conformance corpus's outputs), so that no expectation
# can drift to match a bug.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --deps-only

jobs=$(nproc)
status=0
for preset in release asan tsan; do
    echo "=== $preset: build"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -- -j "$jobs"
    echo "=== $preset: test"
    # TSan: the whole corpus (label tsan_full) is left to local runs.
    ctest --test-dir "build/$preset" --output-on-failure -j "$jobs" -LE tsan_full || status=1
done
# The libFuzzer targets (clang; only they are built with the fuzz preset),
# each for a minute on top of its seeds: a crash, leak or hang fails.
echo "=== fuzz: build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -- -j "$jobs"
tools/fuzz.sh "${FUZZ_SECONDS:-60}" || status=1
echo "=== expected outputs against Erlang/OTP"
bash tests/tools/oracle-check.sh || status=1
bash tests/conformance/oracle.sh || status=1
exit $status
