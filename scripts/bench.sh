#!/usr/bin/env bash
# Large-file benchmark: `esescope verify` throughput against the raw read
# limit of the same file in the same run, the time `info`, `page` and the
# inspector's first screen take on a large file, the inspector's key
# latency while its page-map scan runs, and `esescope export` of a large
# table against esedbexport and dissect.esedb, with peak RSS of each.
#
# For each size (default 1 GiB and 8 GiB) it builds a database by tiling a
# real sample's pages (examples/tile_db.rs: header pages copied, every page
# re-sealed for its new number, so every page verifies), then measures, from
# the page cache:
#   cat FILE >/dev/null           the kernel's copy-out limit
#   xor_pass FILE                 mmap + XOR of every word (examples/xor_pass.rs)
#   esescope verify FILE          checksums every page, on one core
#                                 (RAYON_NUM_THREADS=1) and on all of them
#   esescope info FILE            time to first output
#   esescope page FILE LAST       one page at the far end of the file
#   first_screen FILE             open + App::new + one frame into TestBackend
#                                 (examples/first_screen.rs)
#   responsiveness FILE           App::update + one frame per key while the
#                                 page-map scan runs on another thread; max and
#                                 p99 (examples/responsiveness.rs, once per size)
# Then it writes a database with one large table (examples/big_table.rs,
# esescope's own writer: EXPORT_ROWS rows) and times
# reading that whole table with each of
#   esescope export FILE events --format csv >/dev/null
#   esedbexport -T events -t DIR FILE      (Debian: libesedb-utils)
#   scripts/dissect_read_table.py FILE events   (PyPI: dissect.esedb)
# (the peers run PEER_REPEAT times, default 1: they are slow). Missing peers
# are installed with apt-get and pip.
# Each is run REPEAT times; the best wall time and the largest peak RSS
# (GNU time's "Maximum resident set size") are kept. The Markdown table goes
# to bench-results.md (gitignored).
#
# Environment:
#   SAMPLE=path      database to tile (default: the Win10 SRUDB.dat, 4 KiB pages)
#   SIZES="1G 8G"    sizes to generate (K, M, G suffixes)
#   REPEAT=3         runs per measurement
#   BENCH_DIR=dir    where to write the files (default target/bench-data)
#   OUT=file         results file (default bench-results.md)
#   KEEP=1           keep the generated databases
#   EXPORT_ROWS="250000 1000000"   rows of the export table, one database per
#                    number (133 bytes of file a row: 1000000 rows = 131 MB);
#                    0 skips the export comparison. Not 1 GiB by default:
#                    esedbexport 20181229 takes time quadratic in the rows of
#                    a table (the two sizes show it), 8 million rows would
#                    take it hours.
#   PEER_REPEAT=1    runs per peer measurement
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

sample=${SAMPLE:-$repo/../shared/samples/real/srum-win10-clean-with-logs/SRUDB.dat}
sizes=${SIZES:-1G 8G}
repeat=${REPEAT:-3}
keep=${KEEP:-0}
export_rows=${EXPORT_ROWS:-250000 1000000}
peer_repeat=${PEER_REPEAT:-1}
data_dir=${BENCH_DIR:-$repo/target/bench-data}
out=${OUT:-$repo/bench-results.md}

die() {
    echo "bench.sh: $*" >&2
    exit 1
}

bytes_of() { # 8G -> bytes
    local n=${1%[KkMmGg]}
    case $1 in
    *[Kk]) echo $((n << 10)) ;;
    *[Mm]) echo $((n << 20)) ;;
    *[Gg]) echo $((n << 30)) ;;
    *) echo "$1" ;;
    esac
}
gib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1073741824 }'; }

# ---- prerequisites ----------------------------------------------------------
[ -f "$sample" ] || die "sample database $sample is missing (set SAMPLE=...)"
if [ ! -x /usr/bin/time ]; then
    echo "== installing GNU time (Debian package 'time')"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null ||
        die "could not install the Debian package 'time' (needed for peak RSS)"
fi

if [ "$export_rows" != 0 ]; then
    if ! command -v esedbexport >/dev/null 2>&1; then
        echo "== installing esedbexport (Debian package libesedb-utils)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libesedb-utils >/dev/null ||
            die "could not install the Debian package libesedb-utils (esedbexport)"
    fi
    if ! python3 -c "import dissect.esedb" >/dev/null 2>&1; then
        echo "== installing dissect.esedb (pip)"
        python3 -m pip install --quiet dissect.esedb || die "could not pip install dissect.esedb"
    fi
fi

mkdir -p "$data_dir"
largest=0
total=0
for size in $sizes; do
    b=$(bytes_of "$size")
    [ "$b" -gt "$largest" ] && largest=$b
    total=$((total + b))
done
# Files are made and removed one at a time unless KEEP=1; 1 GiB of headroom.
need=$((largest + (1 << 30)))
[ "$keep" = 1 ] && need=$((total + (1 << 30)))
avail=$(($(df -Pk "$data_dir" | awk 'NR == 2 { print $4 }') * 1024))
if [ "$avail" -lt "$need" ]; then
    die "not enough free disk space in $data_dir: need $(gib "$need") GiB, $(gib "$avail") GiB free.
Free some space, point BENCH_DIR at a larger disk, or use smaller SIZES (e.g. SIZES=1G)."
fi
mem_avail=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) * 1024))

echo "== building (cargo build --release --bins --examples)"
cargo build --release --bins --examples
bin=$repo/target/release
esescope=$bin/esescope

# What else runs: the load average and the busiest other processes, at the
# start and at the end, go into the report (the machine may be shared).
others() { # CPU over one second (top's second sample), processes above 5%
    top -b -n 2 -d 1 -w 200 2>/dev/null | awk '/^top -/ { block++ } block == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 > 5 { printf "%s%s %s%%", sep, $12, $9; sep = ", " }'
}
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
others_start=$(others)

generated=()
tmp=
cleanup() {
    if [ "$keep" != 1 ] && [ ${#generated[@]} -gt 0 ]; then
        rm -f "${generated[@]}"
    fi
    if [ -n "${tmp:-}" ]; then rm -rf "$tmp" "$tmp.time" "$tmp.err" "$tmp.out" "$tmp.export"*; fi
}
trap cleanup EXIT
tmp=$(mktemp)

# ---- measuring ----------------------------------------------------------------
# measure CMD... : sets best_s (best wall seconds of REPEAT runs) and rss_mib
# (largest peak RSS). Output of the last run is in $tmp.out; a failing command
# aborts. runs=N before the call overrides REPEAT.
measure() {
    best_s=
    local rss_kib=0 i t0 t1 s r runs=${runs:-$repeat}
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N)
        /usr/bin/time -v -o "$tmp.time" "$@" >"$tmp.out" 2>"$tmp.err" || {
            cat "$tmp.err" >&2
            die "failed: $*"
        }
        t1=$(date +%s%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
        r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp.time")
        if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
        [ "$r" -gt "$rss_kib" ] && rss_kib=$r
    done
    rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.0f", k / 1024 }')
}
gbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.2f", b / s / 1e9 }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }

rows_throughput=()
rows_latency=()
rows_keys=()
for size in $sizes; do
    file=$data_dir/tiled-$size.edb
    echo "== generating $file ($size, tiled from $sample)"
    generated+=("$file")
    t0=$(date +%s%N)
    "$bin/examples/tile_db" "$sample" "$file" "$size"
    gen_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    bytes=$(stat -c %s "$file")
    if [ "$bytes" -gt "$mem_avail" ]; then
        echo "warning: $(gib "$bytes") GiB file, $(gib "$mem_avail") GiB memory available:" \
            "it will not stay in the page cache, and the numbers include disk reads" >&2
    fi

    echo "== checking that every page of $file verifies"
    summary=$("$esescope" verify "$file") || die "esescope verify reports damage in $file: $summary"
    pages=$(sed -nE 's/^Summary: ([0-9]+) pages: ([0-9]+) ok$/\1 \2/p' <<<"$summary")
    read -r pages ok <<<"$pages"
    [ -n "$pages" ] && [ "$pages" = "$ok" ] || die "not every page of $file is ok: $summary"
    page_size=$(((bytes / (pages + 2))))

    echo "== measuring (best of $repeat)"
    cat "$file" >/dev/null # warm the page cache
    measure cat "$file"
    cat_s=$best_s cat_rss=$rss_mib
    measure "$bin/examples/xor_pass" "$file"
    xor_s=$best_s xor_rss=$rss_mib
    measure env RAYON_NUM_THREADS=1 "$esescope" verify "$file"
    ver1_s=$best_s ver1_rss=$rss_mib
    measure "$esescope" verify "$file"
    ver_s=$best_s ver_rss=$rss_mib
    measure "$esescope" info "$file"
    info_s=$best_s info_rss=$rss_mib
    measure "$esescope" page "$file" "$pages" --no-hex
    page_s=$best_s page_rss=$rss_mib
    measure "$bin/examples/first_screen" "$file"
    screen_s=$best_s screen_rss=$rss_mib
    echo "== inspector key latency during the page-map scan"
    measure "$bin/examples/responsiveness" "$file"
    keys=$(cat "$tmp.out")
    echo "$keys"
    word() { sed -nE "s/.*(^| )$1=([^ ]+).*/\2/p" <<<"$keys"; }
    nkeys=$(word keys) med=$(word median_ms) p99=$(word p99_ms) max=$(word max_ms) scan_s=$(word scan_s)
    rows_keys+=("| $size | $nkeys | $med | $p99 | $max | $scan_s | $rss_mib |")
    ratio=$(awk -v v="$ver1_s" -v x="$xor_s" 'BEGIN { printf "%.0f%%", x / v * 100 }')
    scaling=$(awk -v a="$ver1_s" -v b="$ver_s" 'BEGIN { printf "%.2f", a / b }')
    rows_throughput+=("| $size | $page_size | $pages | $(gbps "$bytes" "$cat_s") ($cat_rss MiB) | $(gbps "$bytes" "$xor_s") ($xor_rss MiB) | $(gbps "$bytes" "$ver1_s") ($ver1_rss MiB) | $ratio | $(gbps "$bytes" "$ver_s") ($ver_rss MiB) | ${scaling}× | $gen_s |")
    rows_latency+=("| $size | $(ms "$info_s") ($info_rss MiB) | $(ms "$page_s") ($page_rss MiB) | $(ms "$screen_s") ($screen_rss MiB) |")
    printf '%s\n' "${rows_throughput[-1]}" "${rows_latency[-1]}" "${rows_keys[-1]}"


    if [ "$keep" != 1 ]; then
        rm -f "$file"
    fi
done

# ---- export of one large table against esedbexport and dissect.esedb ---------
rows_export=()
for rows in $export_rows; do
    [ "$rows" != 0 ] || continue
    file=$data_dir/big-table-$rows.edb
    echo "== generating $file ($rows rows, examples/big_table.rs)"
    generated+=("$file")
    t0=$(date +%s%N)
    "$bin/examples/big_table" "$file" "$rows"
    gen_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    bytes=$(stat -c %s "$file")
    cat "$file" >/dev/null
    echo "== esescope export (best of $repeat)"
    measure "$esescope" export "$file" events --format csv
    ese_s=$best_s ese_rss=$rss_mib
    ese_rows=$(($(wc -l <"$tmp.out") - 1))
    echo "esescope export: $ese_s s, $ese_rows rows"
    echo "== esedbexport (best of $peer_repeat)"
    # esedbexport refuses an existing target: each run starts without one.
    runs=$peer_repeat measure bash -c 'rm -rf "$1.export" && exec esedbexport -T events -t "$1" "$2"' _ "$tmp.export" "$file"
    lib_s=$best_s lib_rss=$rss_mib
    lib_rows=$(($(cat "$tmp.export.export"/events* | wc -l) - 1))
    rm -rf "$tmp.export.export"
    echo "esedbexport: $lib_s s, $lib_rows rows"
    echo "== dissect.esedb (best of $peer_repeat)"
    runs=$peer_repeat measure python3 "$repo/scripts/dissect_read_table.py" "$file" events
    dis_s=$best_s dis_rss=$rss_mib
    dis_rows=$(cat "$tmp.out")
    echo "dissect.esedb: $dis_s s, $dis_rows rows"
    for n in "$lib_rows" "$dis_rows"; do
        [ "$n" = "$ese_rows" ] || die "the readers disagree on the row count: esescope $ese_rows, esedbexport $lib_rows, dissect.esedb $dis_rows"
    done
    fastest=$(awk -v a="$lib_s" -v b="$dis_s" 'BEGIN { print (a < b ? a : b) }')
    speedup=$(awk -v f="$fastest" -v e="$ese_s" 'BEGIN { printf "%.1f", f / e }')
    rate() { awk -v n="$rows" -v s="$1" 'BEGIN { printf "%.0f", n / s / 1000 }'; }
    rows_export+=("| $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB, $rows rows | $ese_s s, $(rate "$ese_s") k rows/s ($ese_rss MiB) | $lib_s s, $(rate "$lib_s") k rows/s ($lib_rss MiB) | $dis_s s, $(rate "$dis_s") k rows/s ($dis_rss MiB) | ${speedup}× | $gen_s |")
    printf '%s\n' "${rows_export[-1]}"
    if [ "$keep" != 1 ]; then
        rm -f "$file"
    fi
done

# ---- report -------------------------------------------------------------------
{
    echo "# esescope large-file benchmark"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
        "$(gib "$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024))") GiB memory"
    echo "- load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- other busy processes (>5% CPU) at the start: ${others_start:-none}; at the end: $(others || true)"
    echo "- files: tiled from \`${sample#"$repo/"}\` by \`examples/tile_db.rs\`; every page verifies"
    echo "- best of $repeat runs, file in the page cache; GB/s = 10^9 bytes per second of wall time;" \
        "(MiB) = peak RSS. RSS counts the mapped file pages a process touched, so a full pass over a" \
        "mapped file shows about the file's size"
    echo
    echo "## Throughput: esescope verify against the raw read limit"
    echo
    echo "| size | page size | pages | cat >/dev/null GB/s | XOR pass (mmap, 1 core) GB/s | verify, 1 core GB/s | 1-core verify / XOR | verify, $(nproc) cores GB/s | speed-up | tile_db s |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows_throughput[@]}"
    echo
    echo "## Latency on the same files"
    echo
    echo "| size | esescope info ms | esescope page LAST --no-hex ms | inspector first screen ms |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows_latency[@]}"
    echo
    echo "## Inspector key latency while the page-map scan runs"
    echo
    echo "App::update + one 120×40 frame per key (examples/responsiveness.rs), a key every 5 ms"
    echo "until the scan of the whole file ends; (MiB) = peak RSS."
    echo
    echo "| size | keys | median ms | p99 ms | max ms | scan s | MiB |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows_keys[@]}"
    if [ ${#rows_export[@]} -gt 0 ]; then
        echo
        echo "## Reading a whole table: esescope export against esedbexport and dissect.esedb"
        echo
        echo "Table \`events\` of a database written by \`examples/big_table.rs\` (8 KiB pages, 7 columns);"
        echo "esescope best of $repeat, peers best of $peer_repeat; every reader returned the same row count."
        echo "esedbexport $(esedbexport -V 2>/dev/null | awk 'NR == 1 { print $2 }'), dissect.esedb $(python3 -c 'import importlib.metadata as m; print(m.version("dissect.esedb"))')."
        echo
        echo "| file | esescope export --format csv | esedbexport -T events | dissect.esedb (every record, as_dict) | esescope vs fastest peer | big_table s |"
        echo "|---|---|---|---|---|---|"
        printf '%s\n' "${rows_export[@]}"
    fi
} >"$out"
echo "== results in $out"
cat "$out"
