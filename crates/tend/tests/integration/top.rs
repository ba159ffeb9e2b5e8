//! `tend top`: batch mode on a tree with a CPU burner, the full-screen view
//! driven in tmux (keys, a 20x10 window, `q` giving the terminal back), and
//! the bytes a refresh writes on a pseudo-terminal (no clear-screen, far
//! fewer than a full frame).

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::svscan::{children, service, start_svscan_with};
use crate::util::*;

/// A tree under our svscan: `burner` (its `run` sleeps, a child script
/// `burn` spins), `hog` (holds 64 MiB) and `aaa` (sleeps).
fn tree(sb: &mut Sandbox) {
    sb.script("scan/burner/burn", "#!/bin/sh\nwhile :; do :; done\n");
    service(sb, "burner", "./burn &\nexec sleep 100000");
    let hog = "import time\nb = bytearray(64 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\ntime.sleep(100000)\n";
    fs::create_dir_all(sb.join("scan/hog")).expect("mkdir hog");
    fs::write(sb.join("scan/hog/hog.py"), hog).expect("hog.py");
    service(sb, "hog", "exec python3 hog.py");
    service(sb, "aaa", "exec sleep 100000");
    start_svscan_with(sb, "stderr", &[]);
    for name in ["burner", "hog", "aaa"] {
        wait_for_status(&sb.join(&format!("scan/{name}")), &format!("{name} up"), |s| s.pid != 0);
    }
}

/// The rows of the last snapshot of `text`: (name, busiest process).
fn last_rows(text: &str) -> Vec<(String, String)> {
    let snapshot = text.trim_end().rsplit("\n\n").next().unwrap_or_default();
    snapshot
        .lines()
        .skip_while(|l| !l.starts_with("NAME "))
        .skip(1)
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            (words.first().unwrap_or(&"").to_string(), words.last().unwrap_or(&"").to_string())
        })
        .collect()
}

#[test]
fn batch_mode_puts_the_burner_first_and_names_its_busy_child() {
    let mut sb = Sandbox::new();
    tree(&mut sb);
    let mut last = String::new();
    let top = || {
        let out = sb.tend("top").args(["-b", "-n", "2", "-d", "0.5", "scan"]).stderr(Stdio::inherit()).output();
        let out = out.expect("tend top");
        assert!(out.status.success(), "tend top -b: {:?}", out.status);
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let found = wait_until(PATIENCE, || {
        last = top();
        last_rows(&last).first() == Some(&("burner".into(), "burn".into()))
    });
    assert!(found, "the burner is not first with its child named:\n{last}");
    assert_eq!(last.matches("tend top ").count(), 2, "two snapshots:\n{last}");
    assert!(last.contains("\n\ntend top "), "a blank line between snapshots:\n{last}");
    assert!(!last.contains('\x1b'), "no escape sequence in batch mode:\n{last}");
    assert!(last.contains("3 services: 3 up, 0 down"), "{last}");
}

/// A tmux server of the test's own (socket in the sandbox), killed when dropped.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// Starts `command` in a new `width` x `height` session.
    fn start(sb: &Sandbox, width: u16, height: u16, command: &str) -> Tmux {
        require("tmux", "tmux");
        let t = Tmux { socket: sb.join("tmux.sock") };
        let status = t
            .command(sb)
            .args(["new-session", "-d", "-x", &width.to_string(), "-y", &height.to_string(), command])
            .status()
            .expect("tmux new-session");
        assert!(status.success(), "tmux new-session: {status:?}");
        t
    }

    fn command(&self, sb: &Sandbox) -> Command {
        let mut c = sb.command("tmux");
        c.arg("-S").arg(&self.socket).arg("-f").arg("/dev/null");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-S").arg(&self.socket).args(args).output().expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// Waits until the screen satisfies `what`.
    fn wait(&self, what: &str, condition: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        let ok = wait_until(PATIENCE, || {
            screen = self.screen();
            condition(&screen)
        });
        assert!(ok, "{what}; the screen:\n{screen}");
        screen
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-S").arg(&self.socket).arg("kill-server").status();
    }
}

/// Whether the pane's shell has printed top's exit code and then stty's
/// `icanon` or `-icanon`.
fn stty_ran(screen: &str) -> bool {
    screen.contains("top exited 0") && screen.lines().any(|l| l.ends_with("icanon"))
}

/// The names of the rows on a full screen, top down.
fn names_on(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.starts_with("NAME "))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect()
}

#[test]
fn full_screen_keys_sort_a_small_window_works_and_q_gives_the_terminal_back() {
    let mut sb = Sandbox::new();
    tree(&mut sb);
    let top = sb.bin.join("top");
    let shell = format!(
        "cd '{}' && '{}' -d 0.5 scan; echo top exited $?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-*icanon'; exec sleep 100000",
        sb.path().display(),
        top.display()
    );
    let tmux = Tmux::start(&sb, 80, 24, &shell);
    tmux.wait("the burner first, sorted by CPU", |s| {
        s.contains("sorted by cpu") && names_on(s) == ["burner", "hog", "aaa"]
    });
    tmux.run(&["send-keys", "m"]);
    tmux.wait("the hog first, sorted by memory", |s| {
        s.contains("sorted by memory") && names_on(s).first().map(String::as_str) == Some("hog")
    });
    tmux.run(&["send-keys", "n"]);
    tmux.wait("sorted by name", |s| s.contains("sorted by name") && names_on(s) == ["aaa", "burner", "hog"]);
    tmux.run(&["resize-window", "-x", "20", "-y", "10"]);
    let small = tmux.wait("a 20x10 frame", |s| s.lines().any(|l| l.starts_with("NAME ")) && s.contains("aaa"));
    assert!(small.lines().all(|l| l.chars().count() <= 20), "{small}");
    assert!(small.lines().count() <= 10, "{small}");
    tmux.run(&["send-keys", "q"]);
    let after = tmux.wait("top exited and stty ran", stty_ran);
    assert!(!after.contains("NAME "), "the frame is gone with the alternate screen:\n{after}");
    assert!(after.lines().any(|l| l == "icanon"), "stty shows icanon again:\n{after}");
}

#[test]
fn sigterm_gives_the_terminal_back() {
    let sb = Sandbox::new();
    sb.script("scan/aaa/run", "#!/bin/sh\nexec sleep 1\n");
    let shell = format!(
        "cd '{}' && '{}' -d 0.5 scan; echo top exited $?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-*icanon'; exec sleep 100000",
        sb.path().display(),
        sb.bin.join("top").display()
    );
    let tmux = Tmux::start(&sb, 80, 24, &shell);
    tmux.wait("the frame", |s| names_on(s) == ["aaa"]);
    let shell_pid: u32 = tmux.run(&["display-message", "-p", "#{pane_pid}"]).trim().parse().expect("pane pid");
    let top = children(shell_pid).into_iter().find(|c| c.1.first().is_some_and(|a| a.ends_with(b"/top")));
    let top = top.expect("top runs under the pane's shell").0;
    signal(top, libc::SIGTERM);
    let after = tmux.wait("top exited on SIGTERM and stty ran", stty_ran);
    assert!(!after.contains("NAME "), "the frame is gone with the alternate screen:\n{after}");
    assert!(after.lines().any(|l| l == "icanon"), "stty shows icanon again:\n{after}");
}

#[test]
fn ctrl_z_gives_the_terminal_back_and_fg_takes_it_again() {
    let sb = Sandbox::new();
    sb.script("scan/aaa/run", "#!/bin/sh\nexec sleep 1\n");
    // An interactive bash: job control, as a user's shell.
    let tmux = Tmux::start(&sb, 80, 24, "env PS1='prompt$ ' bash --norc --noprofile -i");
    tmux.wait("the prompt", |s| s.contains("prompt$"));
    let top = format!("cd '{}' && '{}' -d 0.5 scan", sb.path().display(), sb.bin.join("top").display());
    tmux.run(&["send-keys", &top, "Enter"]);
    tmux.wait("the frame", |s| names_on(s) == ["aaa"]);
    tmux.run(&["send-keys", "C-z"]);
    tmux.wait("top stopped, the shell's screen back", |s| s.contains("Stopped") && !s.contains("NAME "));
    tmux.run(&["send-keys", "stty -a | tr ' ;' '\\n\\n' | grep -x -- '-*icanon'", "Enter"]);
    let stopped = tmux.wait("stty ran", |s| s.lines().any(|l| l.ends_with("icanon")));
    assert!(stopped.lines().any(|l| l == "icanon"), "canonical while top is stopped:\n{stopped}");
    tmux.run(&["send-keys", "fg", "Enter"]);
    tmux.wait("the frame again", |s| names_on(s) == ["aaa"]);
    tmux.run(&["send-keys", "m"]);
    tmux.wait("a key taken at once: raw mode again", |s| s.contains("sorted by memory"));
    tmux.run(&["send-keys", "q"]);
    tmux.wait("top exited", |s| !s.contains("NAME ") && s.trim_end().ends_with("prompt$"));
}

/// Runs `tend top ARGS` on a 80x24 pseudo-terminal until it exits; all it wrote.
fn on_a_pty(sb: &Sandbox, args: &[&str]) -> Vec<u8> {
    let script = r#"
import os, sys, fcntl, struct, termios, subprocess
master, sub = os.openpty()
fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
p = subprocess.Popen(sys.argv[1:], stdin=sub, stdout=sub, stderr=sub, close_fds=True)
os.close(sub)
out = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
p.wait()
sys.stdout.buffer.write(out)
sys.exit(p.returncode)
"#;
    let out = sb
        .command("python3")
        .arg("-c")
        .arg(script)
        .arg(sb.bin.join("top"))
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("python3");
    assert!(out.status.success(), "tend top on a pty: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stdout));
    out.stdout
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

#[test]
fn a_refresh_writes_only_what_changed_and_never_clears_the_screen() {
    let sb = Sandbox::new();
    // Services without a supervisor: nothing about them changes between refreshes.
    for name in ["alpha", "beta", "gamma", "delta"] {
        sb.script(&format!("scan/{name}/run"), "#!/bin/sh\nexec sleep 1\n");
    }
    let one = on_a_pty(&sb, &["-d", "0.2", "-n", "1", "scan"]);
    let six = on_a_pty(&sb, &["-d", "0.2", "-n", "6", "scan"]);
    for out in [&one, &six] {
        let text = String::from_utf8_lossy(out);
        assert!(text.starts_with("\x1b[?1049h"), "the alternate screen first: {text:?}");
        assert!(text.ends_with("\x1b[?1049l"), "the normal screen given back last: {text:?}");
        assert_eq!(count(out, b"\x1b[2J"), 1, "one clear-screen, for the first frame: {text:?}");
        assert!(text.contains("alpha"), "{text:?}");
    }
    // Five refreshes cost less than one whole frame: only the clock's digits
    // and what else changed are written again.
    let refreshes = six.len() - one.len();
    assert!(refreshes < one.len(), "5 refreshes wrote {refreshes} bytes, a whole frame {}", one.len());
}
