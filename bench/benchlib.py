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
    as s6-supervise starts them, and orphans) until nothing is, then removes
    the cgroups tend's killed supervise left for services below `directory`."""
    kill_groups(groups)
    for _ in range(50):
        left = processes_in(directory)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    remove_cgroups(directory)


def cgroup_name(path):
    """The cgroup tend's supervise makes for the service directory `path`
    (absolute): `tend-` and the path escaped as systemd-escape does."""
    parts = [p for p in path.encode().split(b"/") if p]
    out = []
    for i, part in enumerate(parts):
        out.append("".join(chr(b) if chr(b).isalnum() and b < 128 or b in b":_" or (b == ord(".") and not (i == 0 and j == 0))
                           else "\\x%02x" % b for j, b in enumerate(part)))
    return "tend-" + "-".join(out)


def own_cgroups():
    """This process's own cgroup in each cgroup2 mount: where the svscan and
    supervise a bench starts make their services' cgroups (svscan's leaf
    tend--supervisors, made there unless it is the root, is beside them)."""
    try:
        with open("/proc/self/cgroup") as f:
            own = [l[3:].strip() for l in f if l.startswith("0::")]
    except OSError:
        return []
    rel = own[0].lstrip("/") if own else ""
    return [os.path.join(root, rel) for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")]


def remove_cgroups(directory):
    """rmdir the cgroups (empty once their processes are killed) that a killed
    supervise of tend left for services below `directory`."""
    prefix = cgroup_name(directory)
    for root in own_cgroups():
        try:
            names = os.listdir(root)
        except OSError:
            continue
        for n in names:
            if not n.startswith(prefix):
                continue
            # A killed process leaves its cgroup a moment after its parent saw it die.
            for _ in range(100):
                try:
                    os.rmdir(os.path.join(root, n))
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


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


def sleeping_services(scan, n):
    """n service directories s0000... in `scan` (made if missing) whose
    run execs a long sleep; their paths, in order."""
    os.makedirs(scan, exist_ok=True)
    dirs = []
    for i in range(n):
        d = os.path.join(scan, f"s{i:04}")
        os.mkdir(d)
        with open(os.path.join(d, "run"), "w") as f:
            f.write("#!/bin/sh\nexec sleep 100000\n")
        os.chmod(os.path.join(d, "run"), 0o755)
        dirs.append(d)
    return dirs


def is_up(d):
    """Whether service directory d's status record names a running pid."""
    try:
        with open(os.path.join(d, "supervise", "status"), "rb") as f:
            return int.from_bytes(f.read(18)[12:16], "little") != 0
    except OSError:
        return False


def sleeping_tree(scan, n, bindir, env, groups, limit=600):
    """n sleeping services (sleeping_services) under svscan from bindir,
    started in its own session (its pid added to groups for kill_groups and
    sweep); returns their directories once every one is up, or exits after
    limit seconds."""
    import subprocess
    import time
    dirs = sleeping_services(scan, n)
    p = subprocess.Popen([os.path.join(bindir, "svscan"), scan], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    groups.append(p.pid)
    end = time.monotonic() + limit
    while not all(is_up(d) for d in dirs):
        if time.monotonic() > end:
            raise SystemExit(f"the services were not all up after {limit} s")
        time.sleep(0.5)
    return dirs
