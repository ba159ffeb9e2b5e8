"""What the Python bench scripts share (bench/build-tend.sh puts it on the path)."""
import os
import signal
import time


def kill_groups(groups):
    """SIGKILLs every process group in `groups` (each a leader's pid) and reaps the leaders."""
    for g in groups:
        try:
            os.killpg(g, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for g in groups:
        try:
            os.waitpid(g, 0)
        except ChildProcessError:
            pass


def processes_in(directory):
    """Pids of every process but this one whose working directory is `directory` or below it."""
    found = []
    for e in os.listdir("/proc"):
        if e.isdigit() and int(e) != os.getpid():
            try:
                cwd = os.readlink(f"/proc/{e}/cwd")
            except OSError:
                continue
            if cwd == directory or cwd.startswith(directory + "/"):
                found.append(int(e))
    return found


def sweep(directory, groups):
    """kill_groups(groups) (the scanners, first, so that nothing restarts), then
    SIGKILLs whatever is left in `directory` (services in sessions of their own,
    as s6-supervise starts them, and orphans) until nothing is."""
    kill_groups(groups)
    for _ in range(50):
        left = processes_in(directory)
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def tend_bin_dir(prefix):
    """A new temporary directory for a bench (its prefix `prefix`) holding
    bin/ with tend's programs linked by `tend install`: (work, bindir)."""
    import subprocess
    import tempfile
    work = tempfile.mkdtemp(prefix=prefix)
    bindir = os.path.join(work, "bin")
    os.mkdir(bindir)
    subprocess.run([os.environ["TEND"], "install", bindir], check=True)
    return work, bindir
