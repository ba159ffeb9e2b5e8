#!/usr/bin/env bash
# `tend log --since -5m` on SIZE_MB (default 1024) of multilog history
# (100 MB archives and current, one line a second, the last line now),
# beside `cat @* current | tai64nlocal | awk` selecting the same lines.
# Wall time (best of ROUNDS, default 3, page cache warm) and bytes read
# (tend: --stats; the pipeline: the whole history by construction).
# The history lives in the bench's temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build-tend.sh
exec python3 - <<'PY'
import os, shutil, subprocess, tempfile, time

SIZE = int(os.environ.get("SIZE_MB", "1024")) << 20
ROUNDS = int(os.environ.get("ROUNDS", "3"))
ARCHIVE = 100 << 20
work = tempfile.mkdtemp(prefix="tend-bench-log-")
try:
    d = os.path.join(work, "main")
    os.mkdir(d)
    base = (1 << 62) + 10
    line = 80  # bytes: label, space, message, newline
    n = SIZE // line
    first = int(time.time()) - n + 1
    per_archive = ARCHIVE // line
    written, secs = 0, first
    while secs < first + n:
        lines = min(per_archive, first + n - secs)
        # One formatting per line (a 1 GB history is 13 million lines).
        fmt = b"@%016x00000500 event %010d" + b"." * (line - 43) + b"\n"
        out = b"".join([fmt % (base + s, s) for s in range(secs, secs + lines)])
        secs += lines
        written += len(out)
        name = "current" if secs == first + n else "@%016x%08x.s" % (base + secs, 0)
        with open(os.path.join(d, name), "wb") as f:
            f.write(out)
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() - 300))

    def best(cmd):
        times = []
        for _ in range(ROUNDS):
            t = time.monotonic()
            r = subprocess.run(cmd, shell=True, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
            times.append(time.monotonic() - t)
        return min(times), r

    tend_t, r = best(f"{os.environ['TEND']} log --stats --since -5m .")
    tend_lines = r.stdout.count(b"\n")
    tend_bytes = int(r.stderr.split(b"read ")[1].split(b" ")[0])
    awk = f"cat @* current | tai64nlocal | awk '$1\" \"substr($2,1,8) >= \"{since}\"'"
    pipe_t, r = best(awk)
    pipe_lines = r.stdout.count(b"\n")
    print(f"history: {written >> 20} MB in {len(os.listdir(d))} files, {n} lines; --since -5m selects ~300")
    print(f"{'':42} {'time':>9} {'bytes read':>14} {'lines':>6}")
    print(f"{'tend log --since -5m':42} {tend_t*1000:8.1f}ms {tend_bytes:14} {tend_lines:6}")
    print(f"{'cat @* current | tai64nlocal | awk':42} {pipe_t*1000:8.1f}ms {written:14} {pipe_lines:6}")
finally:
    shutil.rmtree(work)
PY
