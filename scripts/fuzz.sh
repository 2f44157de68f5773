#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time.
#
#   FUZZ_SECONDS=60     seconds per target (libFuzzer -max_total_time)
#   FUZZ_TARGETS="..."  which targets (default: all of `cargo fuzz list`)
#   FUZZ_SANITIZER=address|none   (default address)
#
# Works on the stable toolchain: cargo-fuzz passes nightly-only rustc flags
# (-Zsanitizer=address and friends), and RUSTC_BOOTSTRAP=1 lets stable rustc
# accept them for this build only. Installs cargo-fuzz with `cargo install`
# when it is missing. Seeds the corpora from ../shared/samples/real first
# (fuzz/seed.sh).
#
# A crash stops that target; its reproducer is copied to
# tests/fuzz-regressions/<target>/ (replayed by tests/it/robustness.rs) and
# the script exits 1 after running the remaining targets.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-address}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

export RUSTC_BOOTSTRAP=1
targets=${FUZZ_TARGETS:-$(cargo fuzz list)}

echo "== seeding corpora"
bash fuzz/seed.sh

echo "== building fuzz targets (sanitizer: $sanitizer)"
cargo fuzz build --sanitizer "$sanitizer"

failed=()
for target in $targets; do
    echo "== fuzzing $target for ${seconds}s"
    mkdir -p "fuzz/artifacts/$target"
    log="fuzz/artifacts/$target/run.log"
    if cargo fuzz run --sanitizer "$sanitizer" "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$log" || tail -n 3 "$log"
    else
        failed+=("$target")
        echo "!! $target found a failure; last lines of $log:"
        tail -n 40 "$log"
        mkdir -p "tests/fuzz-regressions/$target"
        for artifact in "fuzz/artifacts/$target"/{crash,oom,timeout,leak}-*; do
            [ -e "$artifact" ] || continue
            cp -v "$artifact" "tests/fuzz-regressions/$target/"
        done
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: failures in: ${failed[*]} (reproducers in tests/fuzz-regressions/)" >&2
    exit 1
fi
echo "fuzz.sh: every target ran ${seconds}s without a failure"
