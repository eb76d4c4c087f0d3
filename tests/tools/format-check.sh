#!/usr/bin/env bash
# Every C++ source and header follows .clang-format (the .re and .y
# grammars are excluded: clang-format cannot read them).
# Usage: tests/tools/format-check.sh   (exits 77, "skipped", without clang-format)
set -u
cd "$(dirname "$0")/../.."
if ! command -v clang-format >/dev/null; then
    echo "clang-format not installed: skipped"
    exit 77
fi
status=0
while IFS= read -r file; do
    if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
        echo "not formatted: $file (run clang-format -i $file)"
        status=1
    fi
done < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find compiler vm tests tools -name '*.cpp' -o -name '*.h')
exit $status
