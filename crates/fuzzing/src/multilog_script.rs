use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use multilog::{parse, Action, Script};

/// multilog's script parser: arguments (NUL-separated, as argv cannot hold
/// NUL) parse without panicking, every argument is accounted for, settings
/// stay in daemontools' ranges, and a canonical rendering of the parsed
/// script parses back to the same script (round trip).
pub fn multilog_script(data: &[u8]) {
    let args: Vec<&OsStr> = data.split(|&b| b == 0).map(OsStr::from_bytes).collect();
    let script = parse(&args);
    assert_eq!(script.timestamp, args.first().is_some_and(|a| a.as_bytes().first() == Some(&b't')));
    let is_setting = |a: &&OsStr| matches!(a.as_bytes().first(), Some(b's' | b'n' | b'!'));
    let settings = args.iter().enumerate().filter(|(i, a)| is_setting(a) && !(*i == 0 && script.timestamp)).count();
    assert_eq!(
        script.actions.len() + script.ignored.len() + settings + script.timestamp as usize,
        args.len(),
        "every argument is an action, a setting, ignored, or the leading t"
    );
    for d in &script.dirs {
        assert!((4096..=16_777_215).contains(&d.size));
        assert!(d.num >= 2);
        assert!(matches!(d.path.as_os_str().as_bytes().first(), Some(b'.' | b'/')));
    }
    let rendered = render(&script);
    let again = parse(&rendered.iter().map(OsString::as_os_str).collect::<Vec<_>>());
    assert!(again.ignored.is_empty());
    assert_eq!(Script { ignored: Vec::new(), ..script }, again);
}

fn arg(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_os_string()
}

/// The script written back as arguments: `t`, then each action, with every
/// directory preceded by its own `s`, `n` and `!`.
fn render(s: &Script) -> Vec<OsString> {
    let mut args = Vec::new();
    if s.timestamp {
        args.push(arg(b"t"));
    }
    for action in &s.actions {
        match action {
            Action::Select(p) => args.push(arg(&[b"+", &p[..]].concat())),
            Action::Deselect(p) => args.push(arg(&[b"-", &p[..]].concat())),
            Action::Stderr => args.push(arg(b"e")),
            Action::Status(i) => args.push(arg(&[b"=", s.status_files[*i].as_os_str().as_bytes()].concat())),
            Action::Dir(i) => {
                let d = &s.dirs[*i];
                args.push(arg(format!("s{}", d.size).as_bytes()));
                args.push(arg(format!("n{}", d.num).as_bytes()));
                if let Some(p) = &d.processor {
                    args.push(arg(&[b"!", &p[..]].concat()));
                }
                args.push(d.path.clone().into_os_string());
            }
        }
    }
    args
}
