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
#   scripts/pyesedb_read.py FILE events    (libesedb-python: every value,
#                                           long values read)
# (the peers run PEER_REPEAT times, default 1: they are slow); the same for
# the wide table of examples/wide_table.rs (WIDE_ROWS rows of 10,000 tagged
# columns, 300 set per row; with the time per cell against its narrow
# table's) and for a whole-database export of every real database under
# ../shared/samples/real (esescope export FILE --format json). Missing
# peers are installed with apt-get and pip.
# Then salvage: a database of SALVAGE_ROWS rows written by examples/big_table.rs
# (a tiled file's trees are only the sample's, so it cannot measure salvage),
# a copy with three pages damaged (one bit flipped, 64 bytes of a leaf
# scrambled, one page zeroed), and
#   esescope verify DAMAGED       (one core) beside
#   esescope salvage DAMAGED --out NEW   every tree read and rebuilt, NEW
#                                 written and checked as verify --trees does
# Last, log sets written by examples/log_set.rs: LOG_GENERATIONS full
# generations of 1 MiB logs, and 1,000 and 4,000 generations of 64 KiB
# logs, each read by `esescope logs DIR --db DB` and `esescope recover DB
# --plan`, with peak RSS (the second pair shows whether memory grows with
# the number of generations). Then log sets written by examples/replay_set.rs
# (REPLAY_GENERATIONS generations of 1 MiB, and 1,000 and 4,000 of 64 KiB)
# whose every page record needs redo, each replayed by `esescope recover DB
# --logs DIR --plan` and `--out NEW`: generations per minute, records per
# second and peak RSS.
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
#   SALVAGE_ROWS=8000000   rows of the salvage database (8 million: about
#                    1 GiB); 0 skips the salvage measurement
#   PEER_REPEAT=1    runs per peer measurement
#   WIDE_ROWS=1000   rows of the wide table (0 skips it)
#   PEER_TIMEOUT=600 seconds after which a peer on the wide table is stopped
#                    (esedbexport 20181229 takes over a second a row there)
#   REAL=1           the whole-database export of the real databases (0 skips it)
#   LOG_GENERATIONS=1000   generations of the 1 MiB log set (0 skips the log sets)
#   REPLAY_GENERATIONS=1000   generations of the 1 MiB replay set (0 skips the replay sets)
#   SIZES=""         skips the tiled files
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

sample=${SAMPLE:-$repo/../shared/samples/real/srum-win10-clean-with-logs/SRUDB.dat}
sizes=${SIZES-1G 8G}
repeat=${REPEAT:-3}
keep=${KEEP:-0}
export_rows=${EXPORT_ROWS:-250000 1000000}
peer_repeat=${PEER_REPEAT:-1}
wide_rows=${WIDE_ROWS:-1000}
peer_timeout=${PEER_TIMEOUT:-600}
real=${REAL:-1}
log_generations=${LOG_GENERATIONS:-1000}
replay_generations=${REPLAY_GENERATIONS:-1000}
real_dir=$repo/../shared/samples/real
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

if [ "$export_rows" != 0 ] || [ "$wide_rows" != 0 ] || [ "$real" != 0 ]; then
    if ! command -v esedbexport >/dev/null 2>&1; then
        echo "== installing esedbexport (Debian package libesedb-utils)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libesedb-utils >/dev/null ||
            die "could not install the Debian package libesedb-utils (esedbexport)"
    fi
    if ! python3 -c "import dissect.esedb" >/dev/null 2>&1; then
        echo "== installing dissect.esedb (pip)"
        python3 -m pip install --quiet dissect.esedb || die "could not pip install dissect.esedb"
    fi
    if ! python3 -c "import pyesedb" >/dev/null 2>&1; then
        echo "== installing pyesedb (pip: libesedb-python)"
        python3 -m pip install --quiet libesedb-python || die "could not pip install libesedb-python"
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
# aborts. runs=N before the call overrides REPEAT. best_cpu: the least CPU
# time (user + system) of the runs, which a loaded machine inflates less
# than the wall time.
# With may_fail=1 a failing command sets failed=1 instead of aborting.
measure() {
    best_s=
    best_cpu=
    failed=0
    local rss_kib=0 i t0 t1 s r c runs=${runs:-$repeat}
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N)
        /usr/bin/time -v -o "$tmp.time" "$@" >"$tmp.out" 2>"$tmp.err" || {
            if [ "${may_fail:-0}" = 1 ]; then
                failed=1
            else
                cat "$tmp.err" >&2
                die "failed: $*"
            fi
        }
        t1=$(date +%s%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
        r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp.time")
        c=$(awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.3f", t }' "$tmp.time")
        if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
        if [ -z "$best_cpu" ] || awk -v a="$c" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then best_cpu=$c; fi
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

# ---- salvage of a damaged 1 GiB database beside verify ------------------------
rows_salvage=()
for rows in ${SALVAGE_ROWS:-8000000}; do
    [ "$rows" != 0 ] || continue
    file=$data_dir/salvage-$rows.edb
    echo "== generating $file ($rows rows, examples/big_table.rs)"
    generated+=("$file")
    "$bin/examples/big_table" "$file" "$rows"
    bytes=$(stat -c %s "$file")
    page_size=8192
    pages=$((bytes / page_size - 2))
    for spec in "$((pages / 3)):1" "$((pages / 2)):64" "$((pages - 10)):zero"; do
        pg=${spec%%:*} what=${spec#*:}
        if [ "$what" = zero ]; then
            dd if=/dev/zero of="$file" bs="$page_size" seek="$((pg + 1))" count=1 conv=notrunc status=none
        else
            # flip one byte (a single bit would be corrected) or scramble $what bytes mid-page
            head -c "$what" /dev/urandom | dd of="$file" bs=1 seek="$(((pg + 1) * page_size + page_size / 2))" conv=notrunc status=none
        fi
    done
    cat "$file" >/dev/null
    echo "== verify and salvage of the damaged copy (best of $repeat)"
    may_fail=1 measure env RAYON_NUM_THREADS=1 "$esescope" verify "$file"
    v_s=$best_s v_rss=$rss_mib
    salvage_out=$data_dir/salvaged-$rows.edb
    may_fail=1 measure bash -c 'rm -f "$2" "$2".salvage.txt "$2".salvage.json; exec "$0" salvage "$1" --out "$2"' \
        "$esescope" "$file" "$salvage_out"
    s_s=$best_s s_cpu=$best_cpu s_rss=$rss_mib
    [ -f "$salvage_out" ] || die "salvage wrote no file: $(cat "$tmp.err")"
    # the same on one core: both threads pinned to the first CPU (taskset)
    one_core="n/a (no taskset)"
    if command -v taskset >/dev/null; then
        may_fail=1 measure taskset -c 0 bash -c 'rm -f "$2" "$2".salvage.txt "$2".salvage.json; exec "$0" salvage "$1" --out "$2"' \
            "$esescope" "$file" "$salvage_out"
        one_core="$(awk -v b="$bytes" -v s="$best_s" 'BEGIN { printf "%.0f", b / s / 1e6 }') MB/s, $best_s s"
    fi
    mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
    rows_salvage+=("| $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB, $rows rows | $(gbps "$bytes" "$v_s") GB/s ($v_rss MiB) | $(mbps "$s_s") MB/s, $s_s s | $(mbps "$s_cpu") MB/s, $s_cpu s ($s_rss MiB) | $one_core |")
    printf '%s\n' "${rows_salvage[-1]}"
    rm -f "$salvage_out" "$salvage_out".salvage.txt "$salvage_out".salvage.json
    [ "$keep" = 1 ] || rm -f "$file"
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
    echo "== pyesedb (best of $peer_repeat)"
    runs=$peer_repeat measure python3 "$repo/scripts/pyesedb_read.py" "$file" events
    py_s=$best_s py_rss=$rss_mib
    read -r py_rows py_failed <"$tmp.out"
    echo "pyesedb: $py_s s, $py_rows rows, $py_failed values failed"
    for n in "$lib_rows" "$dis_rows" "$py_rows"; do
        [ "$n" = "$ese_rows" ] || die "the readers disagree on the row count: esescope $ese_rows, esedbexport $lib_rows, dissect.esedb $dis_rows, pyesedb $py_rows"
    done
    fastest=$(awk -v a="$lib_s" -v b="$dis_s" -v c="$py_s" 'BEGIN { m = a < b ? a : b; print (m < c ? m : c) }')
    speedup=$(awk -v f="$fastest" -v e="$ese_s" 'BEGIN { printf "%.1f", f / e }')
    rate() { awk -v n="$rows" -v s="$1" 'BEGIN { printf "%.0f", n / s / 1000 }'; }
    rows_export+=("| $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB, $rows rows | $ese_s s, $(rate "$ese_s") k rows/s ($ese_rss MiB) | $lib_s s, $(rate "$lib_s") k rows/s ($lib_rss MiB) | $dis_s s, $(rate "$dis_s") k rows/s ($dis_rss MiB) | $py_s s, $(rate "$py_s") k rows/s ($py_rss MiB) | ${speedup}× | $gen_s |")
    printf '%s\n' "${rows_export[-1]}"
    if [ "$keep" != 1 ]; then
        rm -f "$file"
    fi
done

# ---- the wide table: 10,000 tagged columns, 300 set per row ---------------------
rows_wide=()
if [ "$wide_rows" != 0 ]; then
    file=$data_dir/wide-table.edb
    echo "== generating $file ($wide_rows rows of 10,000 tagged columns, examples/wide_table.rs)"
    generated+=("$file")
    "$bin/examples/wide_table" "$file" "$wide_rows"
    bytes=$(stat -c %s "$file")
    cat "$file" >/dev/null
    echo "== esescope export, wide and narrow (best of $repeat)"
    measure "$esescope" export "$file" wide --format csv
    ese_s=$best_s ese_rss=$rss_mib ese_cpu=$best_cpu
    ese_rows=$(($(wc -l <"$tmp.out") - 1))
    measure "$esescope" export "$file" narrow --format csv
    nar_s=$best_s nar_cpu=$best_cpu
    nar_rows=$(($(wc -l <"$tmp.out") - 1))
    # cells = rows × columns (the key and 10,000 tagged; the key and 12 tagged)
    wide_ns=$(awk -v s="$ese_s" -v n="$ese_rows" 'BEGIN { printf "%.1f", s * 1e9 / (n * 10001) }')
    nar_ns=$(awk -v s="$nar_s" -v n="$nar_rows" 'BEGIN { printf "%.1f", s * 1e9 / (n * 13) }')
    echo "esescope: wide $ese_s s ($wide_ns ns/cell), narrow $nar_s s ($nar_ns ns/cell)"
    echo "== esedbexport, dissect.esedb, pyesedb (best of $peer_repeat)"
    may_fail=1 runs=$peer_repeat measure bash -c 'rm -rf "$1.export" && exec timeout "$3" esedbexport -T wide -t "$1" "$2"' _ "$tmp.export" "$file" "$peer_timeout"
    lib_s=$best_s lib_rss=$rss_mib lib_ok=$((1 - failed))
    lib_rows=$(($(cat "$tmp.export.export"/wide* 2>/dev/null | wc -l) - 1))
    rm -rf "$tmp.export.export"
    may_fail=1 runs=$peer_repeat measure timeout "$peer_timeout" python3 "$repo/scripts/dissect_read_table.py" "$file" wide
    dis_s=$best_s dis_rss=$rss_mib dis_ok=$((1 - failed))
    dis_rows=$(cat "$tmp.out")
    may_fail=1 runs=$peer_repeat measure timeout "$peer_timeout" python3 "$repo/scripts/pyesedb_read.py" "$file" wide
    py_s=$best_s py_rss=$rss_mib py_ok=$((1 - failed))
    read -r py_rows py_failed <"$tmp.out" || true
    echo "esedbexport $lib_s s ($lib_rows rows), dissect $dis_s s ($dis_rows rows), pyesedb $py_s s ($py_rows rows, $py_failed values failed)"
    # the fastest peer that read every row (and, for pyesedb, every value)
    fastest=
    [ "$lib_ok" = 1 ] && [ "$lib_rows" = "$ese_rows" ] && fastest=$lib_s
    for pair in "$dis_ok:$dis_rows:0:$dis_s" "$py_ok:$py_rows:${py_failed:-1}:$py_s"; do
        IFS=: read -r ok n bad t <<<"$pair"
        if [ "$ok" = 1 ] && [ "$n" = "$ese_rows" ] && [ "$bad" = 0 ]; then
            if [ -z "$fastest" ] || awk -v a="$t" -v b="$fastest" 'BEGIN { exit !(a < b) }'; then fastest=$t; fi
        fi
    done
    speedup=$( [ -n "$fastest" ] && awk -v f="$fastest" -v e="$ese_s" 'BEGIN { printf "%.1f×", f / e }' || echo "no peer read it all")
    mark() {
        if [ "$1" = 1 ] && [ "$2" = "$ese_rows" ] && [ "${3:-0}" = 0 ]; then
            echo ""
        elif [ "$1" = 0 ] && awk -v s="$4" -v t="$peer_timeout" 'BEGIN { exit !(s >= t) }'; then
            echo ", STOPPED after $peer_timeout s"
        else
            echo ", INCOMPLETE: ${2:-0} rows${3:+, $3 values failed}"
        fi
    }
    # the same per stored value (the key and 300 set; the key and 12)
    wide_vns=$(awk -v s="$ese_s" -v n="$ese_rows" 'BEGIN { printf "%.0f", s * 1e9 / (n * 301) }')
    nar_vns=$(awk -v s="$nar_s" -v n="$nar_rows" 'BEGIN { printf "%.0f", s * 1e9 / (n * 13) }')
    rows_wide+=("| $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB, $ese_rows rows × 10,000 tagged columns | $ese_s s (CPU $ese_cpu s), $wide_ns ns/cell, $wide_vns ns/value ($ese_rss MiB) | $nar_s s (CPU $nar_cpu s), $nar_ns ns/cell = ns/value | $lib_s s ($lib_rss MiB$(mark "$lib_ok" "$lib_rows" "" "$lib_s")) | $dis_s s ($dis_rss MiB$(mark "$dis_ok" "$dis_rows" "" "$dis_s")) | $py_s s ($py_rss MiB$(mark "$py_ok" "$py_rows" "$py_failed" "$py_s")) | $speedup |")
    printf '%s\n' "${rows_wide[-1]}"
    if [ "$keep" != 1 ]; then
        rm -f "$file"
    fi
fi

# ---- whole-database export of the real databases -----------------------------
rows_real=()
if [ "$real" != 0 ] && [ -d "$real_dir" ]; then
    for file in "$real_dir"/*/*; do
        # a database: the 0x89abcdef magic at 4 and file type 1 at 667
        [ "$(od -An -tx1 -j4 -N4 "$file" 2>/dev/null | tr -d ' ')" = efcdab89 ] || continue
        [ "$(od -An -tx1 -j667 -N4 "$file" 2>/dev/null | tr -d ' ')" = 01000000 ] || continue
        name=${file#"$real_dir/"}
        echo "== whole-database export of $name"
        cat "$file" >/dev/null
        may_fail=1 measure "$esescope" export "$file" --format json
        ese_s=$best_s ese_rss=$rss_mib ese_cpu=$best_cpu
        may_fail=1 runs=$peer_repeat measure bash -c 'rm -rf "$1.export" && exec esedbexport -t "$1" "$2"' _ "$tmp.export" "$file"
        lib_s=$best_s lib_rss=$rss_mib lib_ok=$((1 - failed)) lib_cpu=$best_cpu
        rm -rf "$tmp.export.export"
        may_fail=1 runs=$peer_repeat measure python3 "$repo/scripts/dissect_read_table.py" "$file"
        dis_s=$best_s dis_rss=$rss_mib dis_ok=$((1 - failed)) dis_cpu=$best_cpu
        may_fail=1 runs=$peer_repeat measure python3 "$repo/scripts/pyesedb_read.py" "$file"
        py_s=$best_s py_rss=$rss_mib py_ok=$((1 - failed)) py_failed= py_cpu=$best_cpu
        [ "$py_ok" = 1 ] && read -r _ py_failed <"$tmp.out"
        [ "${py_failed:-1}" = 0 ] || py_ok=0
        fastest= fastest_cpu=
        for pair in "$lib_ok:$lib_s:$lib_cpu" "$dis_ok:$dis_s:$dis_cpu" "$py_ok:$py_s:$py_cpu"; do
            IFS=: read -r ok t c <<<"$pair"
            if [ "$ok" = 1 ] && { [ -z "$fastest" ] || awk -v a="$t" -v b="$fastest" 'BEGIN { exit !(a < b) }'; }; then fastest=$t; fi
            if [ "$ok" = 1 ] && { [ -z "$fastest_cpu" ] || awk -v a="$c" -v b="$fastest_cpu" 'BEGIN { exit !(a < b) }'; }; then fastest_cpu=$c; fi
        done
        # a CPU ratio only when esescope used a few of /usr/bin/time's 10 ms ticks
        speedup=$( [ -n "$fastest" ] && awk -v f="$fastest" -v e="$ese_s" -v fc="$fastest_cpu" -v ec="$ese_cpu" 'BEGIN { printf "%.1f×", f / e; if (ec >= 0.05) printf " (CPU %.1f×)", fc / ec }' || echo "no peer read it all")
        note() { [ "$1" = 1 ] || echo ", FAILED${2:+ ($2 values)}"; }
        rows_real+=("| \`$name\` ($(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1e6 }') MB) | $ese_s s, CPU $ese_cpu s ($ese_rss MiB) | $lib_s s, CPU $lib_cpu s ($lib_rss MiB$(note "$lib_ok")) | $dis_s s, CPU $dis_cpu s ($dis_rss MiB$(note "$dis_ok")) | $py_s s, CPU $py_cpu s ($py_rss MiB$(note "$py_ok" "$py_failed")) | $speedup |")
        printf '%s\n' "${rows_real[-1]}"
    done
fi

# ---- log sets: time and peak RSS of logs and recover --plan ------------------
rows_logs=()
log_case() { # DIR GENERATIONS SEGMENTS
    local dir=$1
    rm -rf "$dir"
    "$bin/examples/log_set" "$dir" "$2" "$3"
    local bytes
    bytes=$(du -sb "$dir" | cut -f1)
    cat "$dir"/* >/dev/null
    runs=1 measure "$esescope" logs "$dir" --db "$dir/database.edb"
    local logs_s=$best_s logs_rss=$rss_mib
    runs=1 measure "$esescope" recover "$dir/database.edb" --plan
    local plan_s=$best_s plan_rss=$rss_mib
    rows_logs+=("| $2 × $(($3 * 4)) KiB ($(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB) | $logs_s s ($logs_rss MiB) | $plan_s s ($plan_rss MiB) |")
    printf '%s\n' "${rows_logs[-1]}"
    last_logs_rss=$logs_rss last_plan_rss=$plan_rss
    [ "$keep" = 1 ] || rm -rf "$dir"
}
if [ "$log_generations" != 0 ]; then
    echo "== log set: $log_generations generations of 1 MiB"
    log_case "$data_dir/logs-1m" "$log_generations" 256
    echo "== log sets: 1,000 and 4,000 generations of 64 KiB"
    log_case "$data_dir/logs-1000" 1000 16
    rss_1000="$last_logs_rss $last_plan_rss"
    log_case "$data_dir/logs-4000" 4000 16
    rss_4000="$last_logs_rss $last_plan_rss"
fi

# ---- replay: recover of a log set whose every page record needs redo ---------
rows_replay=()
rows_history=()
# the row history of the 9-generation Windows 10 SRUM set (real engine logs)
srum_logs="$repo/../shared/samples/real/srum-win10-clean-with-logs"
if [ -f "$srum_logs/SRUDB.dat" ]; then
    measure "$esescope" history "$srum_logs/SRUDB.dat" --format jsonl
    srum_events=$(tail -n 1 "$tmp.out" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
    rows_history+=("| srum-win10-clean-with-logs (9 generations) | $srum_events | $best_s s ($rss_mib MiB) | $(awk -v e="$srum_events" -v s="$best_s" 'BEGIN { printf "%.0f", e / s }') |")
    printf '%s\n' "${rows_history[-1]}"
fi
replay_case() { # DIR GENERATIONS SEGMENTS
    local dir=$1 gens=$2
    rm -rf "$dir" "$dir.new" "$dir.new".recovery.*
    "$bin/examples/replay_set" "$dir" "$gens" "$3" 2>"$tmp.gen"
    cat "$tmp.gen"
    local records page_records bytes
    records=$(sed -n 's/.* \([0-9]*\) records (.*/\1/p' "$tmp.gen")
    page_records=$(sed -n 's/.*(\([0-9]*\) page records.*/\1/p' "$tmp.gen")
    bytes=$(du -sb "$dir" | cut -f1)
    cat "$dir"/* >/dev/null
    runs=1 measure "$esescope" recover "$dir/database.edb" --logs "$dir" --plan
    local plan_s=$best_s plan_rss=$rss_mib
    # best of REPEAT: each run starts without the new file and its reports
    measure bash -c 'rm -rf "$3" "$3".recovery.*; exec "$0" recover "$1" --logs "$2" --out "$3"' \
        "$esescope" "$dir/database.edb" "$dir" "$dir.new"
    local rec_s=$best_s rec_rss=$rss_mib rec_cpu=$best_cpu
    grep -q "($page_records redone, 0 skipped, 0 stop)" "$tmp.out" || die "recover did not redo every page record of $dir"
    local per_min rec_per_s cpu_per_min
    per_min=$(awk -v g="$gens" -v s="$rec_s" 'BEGIN { printf "%.0f", g / s * 60 }')
    cpu_per_min=$(awk -v g="$gens" -v s="$rec_cpu" 'BEGIN { printf "%.0f", g / s * 60 }')
    rec_per_s=$(awk -v r="$records" -v s="$rec_s" 'BEGIN { printf "%.0f", r / s }')
    # the row history of the same set: every row event decoded, streamed
    runs=1 measure "$esescope" history "$dir/database.edb" --logs "$dir" --format jsonl
    local events hist_per_s
    events=$(tail -n 1 "$tmp.out" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
    hist_per_s=$(awk -v e="$events" -v s="$best_s" 'BEGIN { printf "%.0f", e / s }')
    rows_history+=("| replay set $gens × $(($3 * 4)) KiB | $events | $best_s s ($rss_mib MiB) | $hist_per_s |")
    printf '%s\n' "${rows_history[-1]}"
    rows_replay+=("| $gens × $(($3 * 4)) KiB ($(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB) | $records ($page_records page records) | $plan_s s ($plan_rss MiB) | $rec_s s, CPU $rec_cpu s ($rec_rss MiB) | $per_min ($cpu_per_min per CPU minute) | $rec_per_s |")
    printf '%s\n' "${rows_replay[-1]}"
    last_plan_rss=$plan_rss last_rec_rss=$rec_rss
    [ "$keep" = 1 ] || rm -rf "$dir" "$dir.new" "$dir.new".recovery.*
}
if [ "$replay_generations" != 0 ]; then
    echo "== replay: $replay_generations generations of 1 MiB"
    replay_case "$data_dir/replay-1m" "$replay_generations" 256
    echo "== replay: 1,000 and 4,000 generations of 64 KiB"
    replay_case "$data_dir/replay-1000" 1000 16
    replay_rss_1000="$last_plan_rss $last_rec_rss"
    replay_case "$data_dir/replay-4000" 4000 16
    replay_rss_4000="$last_plan_rss $last_rec_rss"
fi

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
    echo "## Salvage of a damaged copy beside verify"
    echo
    echo "A database written by examples/big_table.rs with three pages damaged. esescope salvage (one core:"
    echo "the walk and the writer are single-threaded; the input's SHA-256 runs on a second thread) hashes the"
    echo "input, reads every tree, rebuilds it, writes the new file, hashes it and checks it as verify --trees"
    echo "does; verify only checksums. Wall time, and CPU time (user + system, both threads: what one core"
    echo "would take), and wall time with both threads pinned to one CPU (taskset -c 0). Target: 200 MB/s"
    echo "of input on one core."
    echo
    echo "| file | verify, 1 core | salvage, wall | salvage, CPU time | salvage, one CPU (taskset) |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows_salvage[@]}"
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
        echo "## Reading a whole table: esescope export against esedbexport, dissect.esedb and pyesedb"
        echo
        echo "Table \`events\` of a database written by \`examples/big_table.rs\` (8 KiB pages, 7 columns);"
        echo "esescope best of $repeat, peers best of $peer_repeat; every reader returned the same row count."
        echo "esedbexport $(esedbexport -V 2>/dev/null | awk 'NR == 1 { print $2 }'), dissect.esedb $(python3 -c 'import importlib.metadata as m; print(m.version("dissect.esedb"))'), pyesedb $(python3 -c 'import pyesedb; print(pyesedb.get_version())')."
        echo
        echo "| file | esescope export --format csv | esedbexport -T events | dissect.esedb (every record, as_dict) | pyesedb (every value, long values read) | esescope vs fastest peer | big_table s |"
        echo "|---|---|---|---|---|---|---|"
        printf '%s\n' "${rows_export[@]}"
    fi
    if [ ${#rows_wide[@]} -gt 0 ]; then
        echo
        echo "## Reading a wide table: 10,000 tagged columns, 300 set per row"
        echo
        echo "Tables \`wide\` and \`narrow\` (the same kinds of values, 12 tagged columns all set) of"
        echo "\`examples/wide_table.rs\` (32 KiB pages); ns/cell = wall time / (rows × columns). The vs-peer ratio"
        echo "is against the fastest peer that read every row (and, for pyesedb, every value)."
        echo
        echo "| file | esescope export wide (CSV) | esescope export narrow (CSV) | esedbexport -T wide | dissect.esedb | pyesedb | esescope vs fastest complete peer |"
        echo "|---|---|---|---|---|---|---|"
        printf '%s\n' "${rows_wide[@]}"
    fi
    if [ ${#rows_real[@]} -gt 0 ]; then
        echo
        echo "## Whole-database export of the real databases"
        echo
        echo "\`esescope export FILE --format json\` (best of $repeat) against \`esedbexport -t DIR FILE\`, dissect.esedb"
        echo "(every record of every table, as_dict) and pyesedb (every value of every table, long values read),"
        echo "best of $peer_repeat; wall time and CPU time (user + system; /usr/bin/time counts 10 ms ticks, so the CPU ratio is given only above 0.05 s). FAILED: the reader"
        echo "stopped with an error or could not read some values. CPU time is shown because the machine is shared:"
        echo "under load a short run's wall time is mostly waiting for a core."
        echo
        echo "| file | esescope | esedbexport | dissect.esedb | pyesedb | esescope vs fastest complete peer |"
        echo "|---|---|---|---|---|---|"
        printf '%s\n' "${rows_real[@]}"
    fi
    if [ ${#rows_logs[@]} -gt 0 ]; then
        echo
        echo "## Log sets: esescope logs and recover --plan"
        echo
        echo "Log sets of \`examples/log_set.rs\` (full generations of committed Begin0/Commit0 pairs, a dirty"
        echo "database needing all of them); one run each, (MiB) = peak RSS. Peak RSS at 4,000 generations"
        echo "minus at 1,000: logs $(awk -v a="${rss_4000%% *}" -v b="${rss_1000%% *}" 'BEGIN { print a - b }') MiB, recover --plan $(awk -v a="${rss_4000##* }" -v b="${rss_1000##* }" 'BEGIN { print a - b }') MiB."
        echo
        echo "| log set | esescope logs DIR --db DB | esescope recover DB --plan |"
        echo "|---|---|---|"
        printf '%s\n' "${rows_logs[@]}"
    fi
    if [ ${#rows_replay[@]} -gt 0 ]; then
        echo
        echo "## Replay: esescope recover of a log set whose every page record needs redo"
        echo
        echo "Log sets of \`examples/replay_set.rs\` (one table on 16 KiB pages; committed transactions that insert,"
        echo "replace and delete rows and split leaves; the database is the state before the first record, so every"
        echo "page record is redone, which the run checks). recover --plan one run, recover --out best of $repeat; (MiB) = peak RSS; generations per minute"
        echo "and records per second of wall time of \`recover DB --logs DIR --out NEW\` (writing NEW and verifying"
        echo "it included). Peak RSS at 4,000 generations minus at 1,000: recover --plan"
        echo "$(awk -v a="${replay_rss_4000%% *}" -v b="${replay_rss_1000%% *}" 'BEGIN { print a - b }') MiB, recover $(awk -v a="${replay_rss_4000##* }" -v b="${replay_rss_1000##* }" 'BEGIN { print a - b }') MiB."
        echo
        echo "| log set | records | recover --plan | recover --out NEW | generations per minute | records per second |"
        echo "|---|---|---|---|---|---|"
        printf '%s\n' "${rows_replay[@]}"
    fi
    if [ ${#rows_history[@]} -gt 0 ]; then
        echo
        echo "## History: esescope history of a log set"
        echo
        echo "Every row event decoded into its table's row (\`history DB --format jsonl\`): the real Windows 10"
        echo "SRUM set (best of $repeat) and the replay sets above (one run, the database at the state before the"
        echo "first record, so every event's page is followed). (MiB) = peak RSS."
        echo
        echo "| log set | events | esescope history | events per second |"
        echo "|---|---|---|---|"
        printf '%s\n' "${rows_history[@]}"
    fi
} >"$out"
echo "== results in $out"
cat "$out"
