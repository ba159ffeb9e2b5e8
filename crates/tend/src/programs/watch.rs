//! watch: one line per service event (runaway CPU, high or growing memory,
//! crash loop, OOM kill, down while wanted up, clock step, and each
//! recovery) on stdout, for multilog; a hook run for each.
//!
//! `watch [-i SECS] [-H HOOK] [-t SECS] [-c CPU] [-m MEMORY] [-r CRASH]
//! [-d GRACE] [DIR...]`: every SECS (10) a sample of the services in DIR
//! (service or scan directories; none: `$SVDIR` or /etc/service). `-c`,
//! `-m`, `-r` are the tree-wide defaults of the `cpu-alert`,
//! `memory-alert` and `crash-alert` files, in their format; `-d` the grace
//! of a service wanted up but down. `-H` runs HOOK for each event, killed
//! after `-t` SECS (30). Exit 100 usage, 111 when stdout fails.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use alerts::run::{self, Config};
use alerts::threshold::{self, BadThreshold};
use strerr::{Getopt, Opt};

const USAGE: &str = "watch [-i SECS] [-H HOOK] [-t SECS] [-c CPU] [-m MEMORY] [-r CRASH] [-d GRACE] [DIR...]";

fn parse(args: &[&OsStr]) -> Result<Config, Option<BadThreshold>> {
    let mut c = Config::default();
    let mut opts = Getopt::new(args, "i:H:t:c:m:r:d:");
    for opt in opts.by_ref() {
        let Opt::Arg(letter, value) = opt else { return Err(None) };
        if letter == b'H' {
            c.hook = Some(PathBuf::from(value));
            continue;
        }
        let text = value.to_str().ok_or(None)?;
        let with = |e: BadThreshold| Some(BadThreshold(format!("-{}: {}", letter as char, e.0)));
        match letter {
            b'i' => c.interval = threshold::duration(text).map_err(with)?,
            b't' => c.hook_limit = threshold::duration(text).map_err(with)?,
            b'c' => c.defaults.cpu = threshold::cpu(text).map_err(with)?,
            b'm' => c.defaults.memory = threshold::memory(text).map_err(with)?,
            b'r' => c.defaults.crash = threshold::crash(text).map_err(with)?,
            b'd' => c.defaults.down = threshold::down(text).map_err(with)?,
            _ => return Err(None),
        }
    }
    if c.interval.is_zero() {
        return Err(Some(BadThreshold("-i: the interval must be above zero".into())));
    }
    c.dirs = opts.operands().iter().map(|d| d.as_bytes().to_vec()).collect();
    Ok(c)
}

pub fn main(args: &[&OsStr]) -> u8 {
    let config = match parse(args) {
        Ok(c) => c,
        Err(bad) => {
            if let Some(BadThreshold(why)) = bad {
                strerr::fatal(&[why.as_bytes()]);
            }
            return strerr::usage(USAGE);
        }
    };
    let mut out = std::io::stdout().lock();
    match run::run(&config, &mut out, &mut |w| strerr::warn(&[w])) {
        Ok(()) => 0,
        Err(e) => strerr::die(strerr::EXIT_SYSTEM, &[b"unable to write to stdout: ", strerr::errstr(&e).as_bytes()]),
    }
}
