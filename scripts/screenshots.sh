#!/usr/bin/env bash
# Makes the README's screenshots (assets/*.png) from the real binary: runs
# esescope in tmux on the bundled samples, types keys, captures the screen
# with its colours and draws it with scripts/ansi_to_png.py.
# Needs tmux, python3 with Pillow, and DejaVu Sans Mono (fonts-dejavu-core).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux; }
python3 -c "import PIL" 2>/dev/null || python3 -m pip install --quiet pillow
cargo build --release --quiet
bin="$PWD/target/release/esescope"
work=$(mktemp -d)
trap 'tmux kill-session -t esescope-shots 2>/dev/null || true; rm -rf "$work"' EXIT

shot() { # shot NAME FILE KEYS...
    local name=$1 file=$2; shift 2
    tmux kill-session -t esescope-shots 2>/dev/null || true
    tmux new-session -d -s esescope-shots -x 100 -y 30 "TERM=xterm-256color $bin $file"
    sleep 1
    for key in "$@"; do
        tmux send-keys -t esescope-shots "$key"
        sleep 0.4
    done
    sleep 0.6
    tmux capture-pane -t esescope-shots -e -p > "$work/$name.txt"
    python3 scripts/ansi_to_png.py "$work/$name.txt" "assets/$name.png" 100 30
    echo "assets/$name.png"
}

shot overview sample-dbs/headers-disagree.edb
shot pagemap sample-dbs/bitflip.edb 2 m
shot page sample-dbs/clean-8k.edb g 32 Enter Tab Down Down Down
shot checksum sample-dbs/bitflip.edb g 30 Enter 4
shot tables sample-dbs/clean-8k.edb 7 Down Down
shot records sample-dbs/clean-8k.edb 7 Down Down r Tab Down Down Down Down Down Down Down
shot jobs sample-dbs/bitflip.edb v 5
if [ -f sample-dbs/dirty-with-logs/database.edb ]; then
    shot logs sample-dbs/dirty-with-logs/database.edb 6 Enter
fi
