"""What the Python bench scripts share (bench/build-tend.sh puts it on the path)."""
import os
import signal


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
