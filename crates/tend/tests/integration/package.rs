//! The Debian package (scripts/build-deb) and what goes into it: the man
//! pages (scripts/man-pages), the bash completion and the systemd unit
//! (packaging/).
//!
//! The package test installs the package on this machine with `dpkg -i`,
//! beside Debian's daemontools, runit and s6 (installed by
//! scripts/install-peers), and purges it at the end, in a Drop guard too. It
//! holds an exclusive flock on /var/lib/tend/package-test.lock all along, so
//! that two runs of the suite (two checkouts) never install at once, and it
//! refuses to run over a `tend` package it did not install itself (its mark
//! is /var/lib/tend/package-test-installed).

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::util::{parent_pid, require, wait_for_status, Sandbox};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const LOCK: &str = "/var/lib/tend/package-test.lock";
const MARK: &str = "/var/lib/tend/package-test-installed";

#[track_caller]
fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap_or_else(|e| panic!("{c:?}: {e}"));
    assert!(out.status.success(), "{c:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// The program names `tend install` links (into a directory of the sandbox).
fn linked_names(sb: &Sandbox) -> BTreeSet<String> {
    let dir = sb.join("linked");
    fs::create_dir_all(&dir).unwrap();
    ok(sb.command(env!("CARGO_BIN_EXE_tend")).arg("install").arg(&dir));
    fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
}

fn listed_programs() -> Vec<String> {
    ok(&mut cmd(env!("CARGO_BIN_EXE_tend"), &["--list"]))
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

fn doc_pages() -> BTreeSet<String> {
    fs::read_dir(Path::new(ROOT).join("doc"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().unwrap().strip_suffix(".md").map(String::from))
        .collect()
}

/// The man page file names every doc page becomes.
fn man_pages() -> BTreeSet<String> {
    let programs = listed_programs();
    doc_pages()
        .into_iter()
        .map(|p| match p.as_str() {
            "tend" => "man8/tend.8".to_string(),
            _ if programs.contains(&p) => format!("man8/tend-{p}.8"),
            _ => format!("man7/tend-{p}.7"),
        })
        .collect()
}

/// `man -l PAGE` at 80 columns and `groff -ww -z -man`: text, no warning.
#[track_caller]
fn renders_cleanly(page: &Path) {
    let out = cmd("man", &["-l"]).arg(page).env("MANWIDTH", "80").env("MAN_KEEP_FORMATTING", "").output().unwrap();
    assert!(out.status.success() && out.stdout.len() > 200, "man -l {page:?}: {}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "man -l {page:?}");
    let source = if page.extension().is_some_and(|e| e == "gz") {
        ok(cmd("zcat", &[]).arg(page))
    } else {
        fs::read_to_string(page).unwrap()
    };
    let mut groff = cmd("groff", &["-ww", "-z", "-man"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    groff.stdin.take().unwrap().write_all(source.as_bytes()).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff -ww -z -man {page:?}");
}

/// Every program of `tend --list` and every other doc page has a man page,
/// generated from doc/*.md, that renders without a warning.
#[test]
fn every_doc_page_becomes_a_man_page_that_renders_cleanly() {
    require("man", "man-db");
    let sb = Sandbox::new();
    let out = sb.join("man");
    ok(cmd(&format!("{ROOT}/scripts/man-pages"), &[env!("CARGO_BIN_EXE_tend")]).arg(&out));
    let made: BTreeSet<String> = ["man7", "man8"]
        .iter()
        .flat_map(|s| {
            fs::read_dir(out.join(s))
                .into_iter()
                .flatten()
                .map(move |e| format!("{s}/{}", e.unwrap().file_name().to_string_lossy()))
        })
        .collect();
    assert_eq!(made, man_pages());
    for page in &made {
        renders_cleanly(&out.join(page));
    }
    let svc = fs::read_to_string(out.join("man8/tend-svc.8")).unwrap();
    assert!(svc.contains(".SH NAME\ntend\\-svc \\- control supervised services\n"), "{svc}");
    assert!(svc.contains(".SH \"EXIT CODES\""), "{svc}");
}

/// Each option the completion offers is on its program's page (the
/// completion cannot invent one), and the names come from `tend --list`.
#[test]
fn the_completions_options_are_on_the_programs_pages() {
    let text = fs::read_to_string(Path::new(ROOT).join("packaging/tend.bash-completion")).unwrap();
    let mut checked = 0;
    for line in text.lines().map(str::trim) {
        let Some((program, rest)) = line.split_once(") echo \"") else { continue };
        let options = rest.split('"').next().unwrap();
        let page = if program == "install" { "tend".to_string() } else { program.to_string() };
        let doc = fs::read_to_string(Path::new(ROOT).join(format!("doc/{page}.md"))).unwrap();
        for option in options.split_whitespace() {
            assert!(doc.contains(option), "{option} of {program} is not on doc/{page}.md");
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked} options");
    let sb = Sandbox::new();
    let bin = sb.join("bin");
    fs::create_dir(&bin).unwrap();
    ok(sb.command(env!("CARGO_BIN_EXE_tend")).arg("install").arg(&bin));
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_tend"), bin.join("tend")).unwrap();
    let script = "source packaging/tend.bash-completion
        COMP_WORDS=(tend sv); COMP_CWORD=1; _tend; echo \"${COMPREPLY[*]}\"
        COMP_WORDS=(svc -); COMP_CWORD=1; _tend_program svc; echo \"${COMPREPLY[*]}\"
        complete -p svc; complete -p top 2>&1 || echo no top";
    let out = ok(&mut {
        let mut c = sb.command("bash");
        c.args(["-c", script])
            .current_dir(ROOT)
            .env("TEND_BIN", &bin)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()));
        c
    });
    let sv: Vec<String> = listed_programs().into_iter().filter(|p| p.starts_with("sv")).collect();
    assert_eq!(
        out,
        format!(
            "{}\n-u -d -o -x -p -c -h -a -i -t -k -q -1 -2 -w\ncomplete -F _tend_program svc\n\
             bash: line 4: complete: top: no completion specification\nno top\n",
            sv.join(" ")
        )
    );
}

/// Holds the machine's package lock; installs the package and purges it
/// when dropped, whatever happened.
struct Installed {
    _lock: fs::File,
}

impl Installed {
    fn new(deb: &Path) -> Installed {
        fs::create_dir_all("/var/lib/tend").unwrap();
        let lock = fs::OpenOptions::new().create(true).truncate(false).write(true).open(LOCK).unwrap();
        // SAFETY: flock on a descriptor this function owns.
        assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0, "flock {LOCK}");
        if installed() {
            assert!(
                Path::new(MARK).exists(),
                "a tend package is installed on this machine: the test installs and purges its own; remove it first"
            );
            purge();
        }
        fs::write(MARK, "").unwrap();
        ok(cmd("dpkg", &["-i"]).arg(deb));
        Installed { _lock: lock }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        if installed() {
            purge();
        }
        let _ = fs::remove_file(MARK);
    }
}

fn installed() -> bool {
    let out = cmd("dpkg-query", &["-W", "-f=${Status}", "tend"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).contains("install ok installed")
}

fn purge() {
    let out = cmd("dpkg", &["--purge", "tend"]).output().unwrap();
    assert!(out.status.success(), "dpkg --purge tend: {}", String::from_utf8_lossy(&out.stderr));
}

/// Tags lintian reports for the package (any severity, pedantic and
/// experimental included), each with its line.
fn lintian_tags(deb: &Path) -> Vec<(String, String)> {
    let out: Output =
        cmd("lintian", &["--display-info", "--pedantic", "--display-experimental"]).arg(deb).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (_, _, tag) = (words.next()?, words.next()?, words.next()?);
            Some((tag.to_string(), l.to_string()))
        })
        .collect()
}

#[test]
fn the_debian_package_installs_beside_daemontools_runit_and_s6_runs_and_purges_clean() {
    for (program, package) in
        [("dpkg-deb", "dpkg"), ("lintian", "lintian"), ("man", "man-db"), ("systemd-analyze", "systemd")]
    {
        require(program, package);
    }
    for peer in ["daemontools", "runit", "s6"] {
        let out = ok(&mut cmd("dpkg-query", &["-W", "-f=${Status}", peer]));
        assert!(out.contains("install ok installed"), "{peer} is not installed (scripts/install-peers)");
    }
    let mut sb = Sandbox::new();
    let debs = sb.join("debs");
    let built = ok(cmd(&format!("{ROOT}/scripts/build-deb"), &[]).arg(&debs));
    let deb = PathBuf::from(built.trim());
    let arch = ok(&mut cmd("dpkg", &["--print-architecture"]));
    assert_eq!(deb, debs.join(format!("tend_{}_{}.deb", env!("CARGO_PKG_VERSION"), arch.trim())));

    // What dpkg-deb says is in it.
    let info = ok(cmd("dpkg-deb", &["-I"]).arg(&deb));
    for field in [
        "Package: tend\n",
        concat!("Version: ", env!("CARGO_PKG_VERSION"), "\n"),
        "Depends: libc6 (>= 2.",
        "Section: admin\n",
    ] {
        assert!(info.contains(field), "{field:?} in\n{info}");
    }
    let contents: BTreeSet<String> = ok(cmd("dpkg-deb", &["-c"]).arg(&deb))
        .lines()
        .filter_map(|l| {
            l.split_whitespace().nth(5).map(|p| p.trim_start_matches('.').trim_end_matches('/').to_string())
        })
        .collect();
    let linked = linked_names(&sb);
    let mut expected: Vec<String> = [
        "/usr/bin/tend",
        "/lib/systemd/system/tend.service",
        "/etc/tend/service",
        "/usr/share/bash-completion/completions/tend",
        "/usr/share/doc/tend/copyright",
        "/usr/share/doc/tend/changelog.gz",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for name in &linked {
        expected.push(format!("/usr/lib/tend/bin/{name}"));
        expected.push(format!("/usr/lib/tend/man/man8/{name}.8.gz"));
        expected.push(format!("/usr/share/bash-completion/completions/{name}"));
    }
    expected.extend(man_pages().iter().map(|p| format!("/usr/share/man/{p}.gz")));
    let missing: Vec<&String> = expected.iter().filter(|p| !contents.contains(*p)).collect();
    assert!(missing.is_empty(), "not in the package: {missing:?}");
    for unlinked in ["clock", "exporter", "log", "status", "syslogd", "top", "watch"] {
        assert!(!contents.contains(&format!("/usr/lib/tend/bin/{unlinked}")), "{unlinked} linked");
    }

    // lintian: every tag it reports is listed in README's packaging notes.
    let readme = fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let notes = readme.split("### Packaging notes").nth(1).expect("README: ### Packaging notes");
    let notes = notes.split("\n## ").next().unwrap();
    for (tag, line) in lintian_tags(&deb) {
        assert!(notes.contains(&format!("`{tag}`")), "lintian: {line}: not in README's packaging notes");
    }

    // Installed beside daemontools, runit and s6: dpkg refuses a file that
    // another package owns, and each file of the package is tend's alone.
    let guard = Installed::new(&deb);
    let files: Vec<String> = ok(&mut cmd("dpkg", &["-L", "tend"])).lines().map(String::from).collect();
    for f in files.iter().filter(|f| !Path::new(f).is_dir()) {
        assert_eq!(ok(&mut cmd("dpkg", &["-S", f])), format!("tend: {f}\n"), "{f}");
    }
    assert_eq!(fs::read_link("/usr/lib/tend/bin/svc").unwrap(), Path::new("../../../bin/tend"));
    assert!(ok(&mut cmd("/usr/bin/tend", &["--version"])).starts_with(concat!("tend ", env!("CARGO_PKG_VERSION"))));

    // Its man pages, by name and through PATH (man-db maps
    // /usr/lib/tend/bin to /usr/lib/tend/man); daemontools' svc(8) stays.
    for f in files.iter().filter(|f| f.starts_with("/usr/share/man/") && f.ends_with(".gz")) {
        renders_cleanly(Path::new(f));
    }
    let man_w = |page: &str, path: &str| {
        let mut c = cmd("man", &["-w", page]);
        ok(c.env_remove("MANPATH").env("PATH", path))
    };
    assert_eq!(man_w("tend-svc", "/usr/bin:/bin"), "/usr/share/man/man8/tend-svc.8.gz\n");
    assert_eq!(man_w("svc", "/usr/bin:/bin"), "/usr/share/man/man8/svc.8.gz\n");
    assert_eq!(man_w("svc", "/usr/lib/tend/bin:/usr/bin:/bin"), "/usr/share/man/man8/tend-svc.8.gz\n");
    ok(&mut cmd("systemd-analyze", &["verify", "/lib/systemd/system/tend.service"]));

    // Its svscan on a small tree, with the unit's PATH: the service is up
    // under the package's supervise, and the package's svstat says so.
    let scan = sb.join("scan");
    fs::create_dir_all(scan.join("web")).unwrap();
    sb.script("scan/web/run", "#!/bin/sh\nexec sleep 1000\n");
    let mut svscan = sb.command("/usr/lib/tend/bin/svscan");
    svscan.arg(&scan).env("PATH", "/usr/lib/tend/bin:/usr/bin:/bin").stdout(Stdio::null()).stderr(Stdio::null());
    let svscan = sb.spawn(svscan);
    let up = wait_for_status(&scan.join("web"), "up", |s| s.pid != 0);
    // This svscan's child (other tests' trees may run a `web` too).
    let supervise = fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| fs::read(format!("/proc/{p}/cmdline")).is_ok_and(|c| c == b"supervise\0web\0"))
        .find(|p| parent_pid(*p) == Some(svscan))
        .expect("a supervise web");
    assert_eq!(fs::read_link(format!("/proc/{supervise}/exe")).unwrap(), Path::new("/usr/bin/tend"));
    let svstat = ok(cmd("/usr/lib/tend/bin/svstat", &[]).arg(scan.join("web")));
    assert!(svstat.contains(&format!(": up (pid {}) ", up.pid)), "{svstat}");
    // SAFETY: signalling the svscan this test started.
    assert_eq!(unsafe { libc::kill(svscan as i32, libc::SIGTERM) }, 0);
    assert!(sb.wait_exit(svscan).success());

    // Purged: every path it listed is gone, but directories other packages share.
    drop(guard);
    let left: Vec<&String> = files
        .iter()
        .filter(|f| f.as_str() != "/." && Path::new(f).symlink_metadata().is_ok())
        .filter(|f| !cmd("dpkg", &["-S", f]).output().unwrap().status.success())
        .collect();
    assert!(left.is_empty(), "left behind by dpkg --purge tend: {left:?}");
    assert!(!Path::new("/usr/lib/tend").exists() && !Path::new("/etc/tend").exists());
}
