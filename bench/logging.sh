#!/usr/bin/env bash
# Logging (issue 2, item 7): LINES lines of 100 bytes piped through each
# logger into a fresh log directory, on the work disk and on tmpfs:
#   Debian's multilog (daemontools 0.76) `t ./d` and `t s16777215 ./d`,
#   ours with the same scripts, s6-log `t ./d` and `t s16777215 ./d`,
#   svlogd `-tt ./d` (default size, then a config `s16777215`),
#   and `cat > file` as the floor.
# Cases alternate within each round; every figure is the median of ROUNDS
# rounds; `sync` runs before each run (untimed) so no run pays for the
# previous one's writeback. Peak RSS is the logger's own (/usr/bin/time %M).
# Then tai64nlocal over LINES labelled lines, ours against Debian's.
# Prints Markdown tables. Knobs: ROUNDS (default 3), LINES (1000000),
# DISK_DIR (a directory on the work disk, default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-peers
. bench/build-tend.sh
ROUNDS="${ROUNDS:-3}"
LINES="${LINES:-1000000}"
DISK_DIR="${DISK_DIR:-/var/tmp}"

disk="$(mktemp -d "$DISK_DIR/tend-bench-logging-XXXXXX")"
shm="$(mktemp -d /dev/shm/tend-bench-logging-XXXXXX)"
trap 'rm -rf "$disk" "$shm"' EXIT
mkdir "$disk/bin"
ln -s "$TEND" "$disk/bin/multilog"
ln -s "$TEND" "$disk/bin/tai64nlocal"

# Input: "NNNNNNN " + 91 letters + newline = 100 bytes a line.
filler="$(printf 'abcdefghijklmnopqrstuvwxyz%.0s' 1 2 3 4 | head -c 91)"
awk -v n="$LINES" -v s="$filler" 'BEGIN { for (i = 0; i < n; i++) printf "%07d %s\n", i, s }' > "$disk/input"
# Labelled input for tai64nlocal: one label per millisecond from 2023-11-14.
awk -v n="$LINES" -v s="$filler" 'BEGIN {
    for (i = 0; i < n; i++) printf "@40000000%08x%08x %s\n", 1700000010 + int(i / 1000), (i % 1000) * 1000000 + 500, s
}' > "$disk/labelled"

ML="$disk/bin/multilog"
cases=(
    "daemontools multilog t ./d|default|/usr/bin/multilog t ./d"
    "tend multilog t ./d|default|$ML t ./d"
    "s6-log t ./d|default|s6-log t ./d"
    "svlogd -tt ./d|default|svlogd -tt ./d"
    "daemontools multilog t s16777215 ./d|16M|/usr/bin/multilog t s16777215 ./d"
    "tend multilog t s16777215 ./d|16M|$ML t s16777215 ./d"
    "s6-log t s16777215 ./d|16M|s6-log t s16777215 ./d"
    "svlogd -tt ./d (config s16777215)|16M|svlogd -tt ./d"
    "cat > file (floor)|floor|cat > ./file"
)

# run_case DIR CASE: prints "seconds rss_kib".
run_case() {
    local base="$1" name size cmd
    IFS='|' read -r name size cmd <<< "$2"
    rm -rf "$base/d" "$base/file"
    case "$name" in
    svlogd*) mkdir "$base/d"; [ "$size" = 16M ] && echo s16777215 > "$base/d/config" ;;
    esac
    sync
    local start end
    start=$(date +%s%N)
    (cd "$base" && cat "$disk/input" | /usr/bin/time -f %M -o "$base/rss" sh -c "exec $cmd")
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000 )) $(cat "$base/rss")"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A micros rss
for where in disk tmpfs; do
    base="$disk"; [ "$where" = tmpfs ] && base="$shm"
    for round in $(seq 1 "$ROUNDS"); do
        for c in "${cases[@]}"; do
            read -r us kib < <(run_case "$base" "$c")
            micros["$where|$c"]+="$us "
            rss["$where|$c"]+="$kib "
        done
    done
    rm -rf "$base/d" "$base/file"
done

echo "## Logging"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)),"
echo "$(free -g | awk '/Mem:/ { print $2 }') GiB RAM, kernel $(uname -r); disk: $(stat -f -c %T "$disk") at $DISK_DIR; tmpfs: /dev/shm."
echo "\`bench/logging.sh\`, $LINES lines of 100 bytes piped in (stdin is a pipe), ROUNDS=$ROUNDS, medians; peak RSS is the logger's."
echo
for where in disk tmpfs; do
    declare -A lps=() best=()
    for c in "${cases[@]}"; do
        IFS='|' read -r name size _ <<< "$c"
        us=$(tr ' ' '\n' <<< "${micros["$where|$c"]}" | grep . | median)
        lps["$c"]=$(( LINES * 1000000 / us ))
        if [[ "$name" != tend* && "$size" != floor ]] && (( lps["$c"] > ${best[$size]:-0} )); then
            best[$size]=${lps["$c"]}
        fi
    done
    echo "### $where"
    echo
    echo "| logger | size | median s | lines/s | vs best peer | peak RSS KiB |"
    echo "|---|---|---:|---:|---:|---:|"
    for c in "${cases[@]}"; do
        IFS='|' read -r name size _ <<< "$c"
        us=$(tr ' ' '\n' <<< "${micros["$where|$c"]}" | grep . | median)
        kib=$(tr ' ' '\n' <<< "${rss["$where|$c"]}" | grep . | median)
        ratio="-"
        [ -n "${best[$size]:-}" ] && ratio=$(awk -v a="${lps[$c]}" -v b="${best[$size]}" 'BEGIN { printf "%.2fx", a / b }')
        printf '| %s | %s | %.3f | %d | %s | %d |\n' "$name" "$size" "$(awk -v u="$us" 'BEGIN { print u / 1e6 }')" \
            "${lps[$c]}" "$ratio" "$kib"
    done
    echo
    unset lps best
done

# tai64nlocal: ours against daemontools', alternating.
declare -A tl
for round in $(seq 1 "$ROUNDS"); do
    for who in daemontools tend; do
        prog=/usr/bin/tai64nlocal; [ "$who" = tend ] && prog="$disk/bin/tai64nlocal"
        start=$(date +%s%N)
        TZ=UTC "$prog" < "$disk/labelled" > /dev/null
        end=$(date +%s%N)
        tl[$who]+="$(( (end - start) / 1000 )) "
    done
done
echo "### tai64nlocal, $LINES labelled lines (TZ=UTC, output to /dev/null)"
echo
echo "| program | median s | lines/s | vs daemontools |"
echo "|---|---:|---:|---:|"
dt_us=$(tr ' ' '\n' <<< "${tl[daemontools]}" | grep . | median)
for who in daemontools tend; do
    us=$(tr ' ' '\n' <<< "${tl[$who]}" | grep . | median)
    printf '| %s tai64nlocal | %.3f | %d | %s |\n' "$who" "$(awk -v u="$us" 'BEGIN { print u / 1e6 }')" \
        $(( LINES * 1000000 / us )) "$(awk -v a="$dt_us" -v b="$us" 'BEGIN { printf "%.2fx", a / b }')"
done
