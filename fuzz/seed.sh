#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs cut at run time from the real
# samples in ../shared/samples/real (never committed: the corpus folders are
# gitignored), plus the small hand-made inputs committed under
# tests/fuzz-regressions/<target>/.
#
#   header    the first 4 KiB of every database, log and checkpoint
#   page      4-byte little-endian page number + one page, several pages of
#             every database (the page number is the one the page verifies as)
#   checksum  raw pages and 4 KiB log segments
#   node      the page seeds again (their nodes, records and tag 0)
#   record, catalog   the data of leaf nodes, cut from the picked pages
#             (catalog: pages 4-23, the catalog's extent) by fuzz/seed_nodes.py
#   space     4-byte page number + tag 0 of the picked root pages (seed_nodes.py)
#   txlog     the first 64 KiB of every log (header and 15 segments)
#   checkpoint every checkpoint file
#   compression, recovery  only the committed inputs
#   database  the databases of sample-dbs/ (esescope's own writer), whole
#
# Usage: fuzz/seed.sh [SAMPLES_DIR]   (default ../shared/samples/real)
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd .. && pwd)
samples=${1:-$repo/../shared/samples/real}
pages_per_db=${SEED_PAGES_PER_DB:-12}

targets="header page checksum node record compression txlog checkpoint space catalog recovery database"
for target in $targets; do mkdir -p "corpus/$target"; done

# Committed regression inputs seed their own target.
for target in $targets; do
    if [ -d "$repo/tests/fuzz-regressions/$target" ]; then
        find "$repo/tests/fuzz-regressions/$target" -maxdepth 1 -type f ! -name '*.md' \
            -exec cp -f {} "corpus/$target/" \;
    fi
done

cp -f "$repo"/sample-dbs/*.edb corpus/database/

if [ ! -d "$samples" ]; then
    echo "seed.sh: $samples is missing; only the committed inputs seed the corpus" >&2
    exit 0
fi

u32_at() { # FILE OFFSET -> little-endian u32 as decimal
    od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '
}
le32() { # N -> 4 raw little-endian bytes on stdout
    printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"
}
nonzero() { # FILE -> true when it holds a non-zero byte
    [ -n "$(tr -d '\000' <"$1" | head -c1)" ]
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
count=0
while IFS= read -r -d '' file; do
    size=$(stat -c %s "$file")
    [ "$size" -ge 4096 ] || continue
    name=$(echo "${file#"$samples"/}" | tr '/ ' '__')
    head -c 4096 "$file" >"corpus/header/$name"
    count=$((count + 1))
    magic=$(u32_at "$file" 4)
    type=$(u32_at "$file" 667)
    if [ "$magic" = "$((0x89abcdef))" ] && [ "$type" = 1 ]; then
        ps=$(u32_at "$file" 236)
        [ "$ps" -gt 0 ] || ps=4096
        last=$((size / ps - 2))
        [ "$last" -ge 1 ] || continue
        # Spread the picks over the file: the first pages (root, space trees,
        # catalog) and evenly spaced ones after them.
        step=$(((last + pages_per_db - 1) / pages_per_db))
        for pgno in $(seq 1 4) $(seq 5 "$step" "$last"); do
            [ "$pgno" -le "$last" ] || continue
            dd if="$file" of="$tmp" bs="$ps" skip=$((pgno + 1)) count=1 status=none
            nonzero "$tmp" || continue
            { le32 "$pgno"; cat "$tmp"; } >"corpus/page/$name.p$pgno"
            if [ $((pgno % 3)) = 0 ]; then cp "$tmp" "corpus/checksum/$name.p$pgno"; fi
            count=$((count + 1))
        done
    elif [ "${file%.chk}" != "$file" ] || [ "${file%.jfm}" != "$file" ]; then
        cp "$file" "corpus/checkpoint/$name"
    elif [ "$size" -ge 8192 ]; then
        # Log: its second 4 KiB (a log segment) for the checksum target, its
        # first 64 KiB for the txlog target.
        dd if="$file" of="$tmp" bs=4096 skip=1 count=1 status=none
        nonzero "$tmp" && cp "$tmp" "corpus/checksum/$name.s1"
        head -c 65536 "$file" >"corpus/txlog/$name"
    fi
done < <(find "$samples" -type f ! -name '*.md' -print0 | sort -z)
cp -f corpus/page/* corpus/node/ 2>/dev/null || true
if command -v python3 >/dev/null 2>&1; then
    python3 seed_nodes.py corpus
else
    echo "seed.sh: no python3: record, catalog and space seeds come only from the committed inputs" >&2
fi
echo "seed.sh: $count seeds from $samples in $(pwd)/corpus"
