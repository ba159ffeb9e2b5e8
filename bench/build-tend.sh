# Sourced by the bench scripts (from the repository's root): builds tend as
# `cargo build --release` does and exports its path as TEND, and lets the
# scripts' Python import bench/benchlib.py.
cargo build --release -p tend --quiet
TEND="$(realpath "${CARGO_TARGET_DIR:-target}/release/tend")"
export TEND
export PYTHONPATH="$PWD/bench${PYTHONPATH:+:$PYTHONPATH}"
# Every script that sources this one compares tend with Debian's programs.
for peer in /usr/bin/supervise /usr/bin/runsv /usr/bin/s6-supervise; do
    if [ ! -x "$peer" ]; then
        echo "bench: $peer is missing: run scripts/install-peers (Debian's daemontools, runit, s6)" >&2
        exit 111
    fi
done
