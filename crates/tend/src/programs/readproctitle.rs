//! readproctitle: show the tail of stdin in this process's last argument, so
//! that `ps` displays the latest errors of a service tree (svscanboot).

use std::ffi::OsStr;

use chainload::proctitle::{LastArgument, Title};
use strerr::{EXIT_SYSTEM, EXIT_USAGE};

pub fn main(args: &[&OsStr]) -> u8 {
    // Like daemontools: no argument, or a last one under 5 bytes, exits 100 silently.
    let Some(last) = args.last() else { return EXIT_USAGE };
    let Some(mut title) = Title::new(last.len()) else { return EXIT_USAGE };
    // Without /proc the input is still consumed, so the writers never block.
    let shown = LastArgument::locate(last.as_encoded_bytes()).ok();
    let show = |title: &Title| {
        if let Some(arg) = &shown {
            let _ = arg.show(title);
        }
    };
    show(&title);
    let mut buf = [0u8; 4096];
    loop {
        // Not std's stdin, which reads a closed descriptor 0 as end of file.
        match chainload::process::read_stdin(&mut buf) {
            Ok(0) => return 0,
            Ok(n) => {
                title.push(&buf[..n]);
                show(&title);
            }
            Err(_) => return EXIT_SYSTEM,
        }
    }
}
