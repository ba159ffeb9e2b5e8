#!/usr/bin/env bash
# Issue 13, item 5: syslog receivers side by side in one run.
#   tend syslogd | tend multilog t s16777215 ./d
#   rsyslogd (Debian's) with Debian's default rules (files under the bench's
#     directory; imuxsock's rate limit off, else it drops the burst), and
#     with one rule that syncs (`*.* FILE` with omfile's sync="on")
#   socklog unix | svlogd -tt ./d (Debian's socklog and runit; svlogd's
#     config `s16777215` and `n100`, so that nothing is trimmed)
# 1. Throughput: N messages of about 100 bytes sent as fast as a blocking
#    sender can (a C program: sendto on a Unix datagram socket, as
#    syslog(3) does), timed until the last line is in the log; CPU per
#    message is the receiver's and its logger's utime + stime (/proc) over N.
# 2. System calls per message: the same with N_STRACE messages under
#    `strace -c -f` (write, writev, pwrite64 and fsync, fdatasync counted).
# 3. Loss across a restart: each receiver as a service under tend's svscan
#    (tend syslogd with a `socket` file, the others making their own socket as
#    they do), 4000 messages at one per millisecond; one second in, the
#    receiver is killed (`svc -k`, SIGKILL) or restarted (`svc -t`, SIGTERM)
#    and supervise starts it again; a message that cannot be sent is dropped
#    as syslog(3) drops it. Lost = 4000 - distinct messages logged; repeated
#    = lines - distinct messages.
# Knobs: N (default 200000), N_STRACE (default 20000), BENCH_DIR (/var/tmp),
# KEEP=1 (the work directory and strace's counts are left there).
# rsyslog and socklog are installed by scripts/install-peers (disabled).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-peers rsyslog socklog > /dev/null
. bench/build-tend.sh
exec python3 - <<'PY'
import os, shutil, signal, subprocess, tempfile, time
from benchlib import kill_groups, sweep

TEND = os.environ["TEND"]
N = int(os.environ.get("N", "200000"))
N_STRACE = int(os.environ.get("N_STRACE", "20000"))
work = tempfile.mkdtemp(prefix="tend-bench-syslogd-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
TICK = os.sysconf("SC_CLK_TCK")

SENDER = r'''
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
int main(int argc, char **argv) {
    long n = atol(argv[2]), gap_us = atol(argv[3]), dropped = 0;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    char msg[128];
    for (long i = 0; i < n; i++) {
        int len = snprintf(msg, sizeof msg, "<13>Dec  2 10:00:00 bench[4242]: message %07ld abcdefghijklmnopqrstuvwxyzabcdefghijklmno", i);
        if (sendto(fd, msg, len, 0, (struct sockaddr *)&a, sizeof a) < 0) dropped++;
        if (gap_us) {
            t.tv_nsec += gap_us * 1000;
            while (t.tv_nsec >= 1000000000) { t.tv_nsec -= 1000000000; t.tv_sec++; }
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
        }
    }
    printf("%ld %ld\n", n - dropped, dropped);
    return 0;
}
'''
with open(f"{work}/send.c", "w") as f:
    f.write(SENDER)
subprocess.run(["gcc", "-O2", "-o", f"{work}/send", f"{work}/send.c"], check=True)
bindir = f"{work}/bin"
os.mkdir(bindir)
for name in ["svscan", "supervise", "multilog", "svc"]:
    os.symlink(TEND, f"{bindir}/{name}")
env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")

RSYSLOG_DEFAULT = '''global(workDirectory="{d}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{sock}" RateLimit.Interval="0")
auth,authpriv.*                 {d}/auth.log
*.*;auth,authpriv.none          -{d}/syslog
kern.*                          -{d}/kern.log
mail.*                          -{d}/mail.log
mail.err                        {d}/mail.err
'''
RSYSLOG_SYNC = '''global(workDirectory="{d}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{sock}" RateLimit.Interval="0")
*.* action(type="omfile" file="{d}/syslog" sync="on")
'''

def rsyslog_conf(d, sock, text):
    path = f"{d}/rsyslog-{'sync' if text is RSYSLOG_SYNC else 'default'}.conf"
    with open(path, "w") as f:
        f.write(text.format(d=d, sock=sock))
    return path

# Each receiver: (name, how to start it in directory d on socket sock as a
# list of (argv, stdin from fifo?, stdout to fifo?), the file(s) its lines end in).
def cases(d, sock):
    fifo = f"{d}/fifo"
    return {
        "tend syslogd \\| tend multilog t s16777215": (
            [([TEND, "syslogd", "-s", sock], None, fifo), ([TEND, "multilog", "t", "s16777215", "./d"], fifo, None)],
            f"{d}/d/current"),
        "rsyslogd, Debian's default rules": (
            [(["rsyslogd", "-n", "-i", f"{d}/pid", "-f", rsyslog_conf(d, sock, RSYSLOG_DEFAULT)], None, None)],
            f"{d}/syslog"),
        "rsyslogd, one rule with sync=\"on\"": (
            [(["rsyslogd", "-n", "-i", f"{d}/pid", "-f", rsyslog_conf(d, sock, RSYSLOG_SYNC)], None, None)],
            f"{d}/syslog"),
        "socklog unix \\| svlogd -tt": (
            [(["socklog", "unix", sock], None, fifo), (["svlogd", "-tt", "./d"], fifo, None)],
            f"{d}/d/current"),
    }

def lines(path, only=b""):
    """Lines in `path` (holding `only`); for a log directory's `current`, in
    the whole directory (archives too: svlogd rotates at 1 MB, multilog at 16 MB)."""
    paths = [path]
    if path.endswith("/current"):
        top = os.path.dirname(path)
        paths = [os.path.join(top, n) for n in os.listdir(top) if n == "current" or n.startswith("@")]
    n = 0
    for p in paths:
        try:
            with open(p, "rb") as f:
                n += sum(1 for l in f if only in l) if only else f.read().count(b"\n")
        except OSError:
            pass
    return n

def wait_until(cond, limit=600):
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() > end:
            raise SystemExit("bench: gave up waiting")
        time.sleep(0.005)

def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])

def start(d, sock, key, strace_out=None):
    """Starts case `key` in a fresh `d`; returns (pids, groups, output file)."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(f"{d}/d")
    if os.path.lexists(sock):  # the last receiver's: the new one's is waited for
        os.unlink(sock)
    with open(f"{d}/d/config", "w") as f:  # svlogd: 16 MB files, 100 kept (default: 1 MB, 10)
        f.write("s16777215\nn100\n")
    os.mkfifo(f"{d}/fifo")
    procs, out = cases(d, sock)[key]
    pids = []
    opened = []
    for argv, stdin, stdout in reversed(procs):  # the reader of the FIFO first
        if strace_out:
            argv = ["strace", "-f", "-c", "-U", "calls,name", "-e", "trace=write,writev,pwrite64,pwritev,fsync,fdatasync",
                    "-o", f"{strace_out}.{len(pids)}"] + argv
        i = os.open(stdin, os.O_RDONLY | os.O_NONBLOCK) if stdin else subprocess.DEVNULL
        o = os.open(stdout, os.O_WRONLY) if stdout else subprocess.DEVNULL
        p = subprocess.Popen(argv, cwd=d, stdin=i, stdout=o, stderr=open(f"{d}/stderr.{len(pids)}", "w"),
                             start_new_session=True, env=env)
        if stdin:
            os.set_blocking(i, True)
        for fd in (i, o):
            if isinstance(fd, int) and fd > 2:
                os.close(fd)
        pids.append(p.pid)
    wait_until(lambda: os.path.exists(sock), 30)
    return pids, out

def stop(pids, d):
    for p in pids:
        try:
            os.killpg(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in pids:
        try:
            os.waitpid(p, 0)
        except ChildProcessError:
            pass
    sweep(d, [])

KEYS = ["tend syslogd \\| tend multilog t s16777215", "rsyslogd, Debian's default rules",
        "rsyslogd, one rule with sync=\"on\"", "socklog unix \\| svlogd -tt"]
results = {}
d = f"{work}/run"
sock = f"{work}/log.sock"
for key in KEYS:
    pids, out = start(d, sock, key)
    t0 = time.monotonic()
    sent = subprocess.run([f"{work}/send", sock, str(N), "0"], capture_output=True, text=True, check=True).stdout.split()
    wait_until(lambda: lines(out) >= N)
    t1 = time.monotonic()
    ticks = sum(cpu_ticks(p) for p in pids)
    stop(pids, d)
    # System calls, with fewer messages under strace.
    pids, out = start(d, sock, key, strace_out=f"{work}/strace")
    subprocess.run([f"{work}/send", sock, str(N_STRACE), "0"], capture_output=True, check=True)
    wait_until(lambda: lines(out) >= N_STRACE)
    time.sleep(0.5)
    stop(pids, d)
    writes = syncs = 0
    for i in range(len(pids)):
        for line in open(f"{work}/strace.{i}"):
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                if parts[1] in ("write", "writev", "pwrite64", "pwritev"):
                    writes += int(parts[0])
                elif parts[1] in ("fsync", "fdatasync"):
                    syncs += int(parts[0])
    if os.environ.get("KEEP"):
        for i in range(len(pids)):
            shutil.copy(f"{work}/strace.{i}", f"{work}/strace.{KEYS.index(key)}.{i}")
    results[key] = [N / (t1 - t0), ticks / TICK / N * 1e6, writes / N_STRACE, syncs / N_STRACE, int(sent[1])]

# Loss across a restart, each receiver a service under tend's svscan.
def service_tree(key, scan, sock):
    os.makedirs(f"{scan}/r/log")
    def script(path, body):
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, 0o755)
    if key.startswith("tend"):
        with open(f"{scan}/r/socket", "w") as f:
            f.write(f"unix-dgram {sock}\n")
        script(f"{scan}/r/run", f"exec {TEND} syslogd")
        script(f"{scan}/r/log/run", f"exec {TEND} multilog t s16777215 ./main")
        return f"{scan}/r/log/main/current"
    if key.startswith("socklog"):
        script(f"{scan}/r/run", f"exec socklog unix {sock}")
        script(f"{scan}/r/log/run", "exec svlogd -tt ./main")
        os.mkdir(f"{scan}/r/log/main")
        with open(f"{scan}/r/log/main/config", "w") as f:
            f.write("s16777215\nn100\n")
        return f"{scan}/r/log/main/current"
    os.rmdir(f"{scan}/r/log")
    text = RSYSLOG_SYNC if "sync" in key else RSYSLOG_DEFAULT
    script(f"{scan}/r/run", f"exec rsyslogd -n -i {scan}/r/pid -f {rsyslog_conf(scan, sock, text)}")
    return f"{scan}/syslog"

loss = {}
for key in KEYS:
    for letter in "kt":
        scan = f"{work}/scan"
        shutil.rmtree(scan, ignore_errors=True)
        if os.path.exists(sock):
            os.unlink(sock)
        out = service_tree(key, scan, sock)
        svscan = subprocess.Popen([f"{bindir}/svscan", scan], cwd=work, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: os.path.exists(sock), 30)
        time.sleep(0.5)
        sender = subprocess.Popen([f"{work}/send", sock, "4000", "1000"], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        subprocess.run([f"{bindir}/svc", f"-{letter}", f"{scan}/r"], check=True)
        sent, dropped = map(int, sender.communicate()[0].split())
        time.sleep(2)
        logged = lines(out, b"bench[4242]: message ")
        numbers = set()
        for p in [out] if not out.endswith("/current") else [os.path.join(os.path.dirname(out), n) for n in os.listdir(os.path.dirname(out)) if n == "current" or n.startswith("@")]:
            with open(p, "rb") as f:
                numbers.update(l.split(b"bench[4242]: message ", 1)[1][:7] for l in f if b"bench[4242]: message " in l)
        loss[(key, letter)] = (4000 - len(numbers), dropped, logged - len(numbers))
        svscan.send_signal(signal.SIGTERM)
        try:
            svscan.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        sweep(scan, [svscan.pid])

print(f"N = {N} messages of ~100 bytes (N_STRACE = {N_STRACE} under strace)\n")
print("| receiver | messages/s | CPU µs per message | write calls per message | fsync + fdatasync per message | lost while running |")
print("|---|---:|---:|---:|---:|---:|")
for key, (rate, cpu, w, s, dropped) in results.items():
    print(f"| {key} | {rate:,.0f} | {cpu:.2f} | {w:.3f} | {s:.3f} | {dropped} |")
print("\n| receiver | lost of 4000 across `svc -k` (SIGKILL) | across `svc -t` (SIGTERM) |")
print("|---|---:|---:|")
for key in results:
    k, t = loss[(key, "k")], loss[(key, "t")]
    print(f"| {key} | {k[0]} ({k[1]} refused at send, {k[2]} repeated) | {t[0]} ({t[1]} refused at send, {t[2]} repeated) |")
if not os.environ.get("KEEP"):
    shutil.rmtree(work, ignore_errors=True)
PY
