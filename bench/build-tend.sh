# Sourced by the bench scripts (from the repository's root): builds tend as
# `cargo build --release` does and exports its path as TEND, and lets the
# scripts' Python import bench/benchlib.py.
cargo build --release -p tend --quiet
TEND="$(realpath "${CARGO_TARGET_DIR:-target}/release/tend")"
export TEND
export PYTHONPATH="$PWD/bench${PYTHONPATH:+:$PYTHONPATH}"
