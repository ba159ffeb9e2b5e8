//! A service's threshold files read at each sample, each bad one warned
//! about once per content (a file fixed and broken again is warned about
//! again).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;

use crate::threshold::{self, BadThreshold, Thresholds};

/// The files' names, in the order they are read.
const CPU: &str = "cpu-alert";
const MEMORY: &str = "memory-alert";
const CRASH: &str = "crash-alert";

/// What was last warned about, by file path: its content.
#[derive(Debug, Default)]
pub struct ThresholdFiles {
    warned: HashMap<Vec<u8>, Vec<u8>>,
}

impl ThresholdFiles {
    /// The thresholds of the service at `dir`: each file that exists
    /// overrides its default; a bad one leaves the default and gives one
    /// warning (`FILE: REASON; using the default`) until its content changes.
    pub fn read(&mut self, dir: &[u8], defaults: &Thresholds, warn: &mut dyn FnMut(Vec<u8>)) -> Thresholds {
        let mut t = *defaults;
        if let Some(v) = self.one(dir, CPU, threshold::cpu, warn) {
            t.cpu = v;
        }
        if let Some(v) = self.one(dir, MEMORY, threshold::memory, warn) {
            t.memory = v;
        }
        if let Some(v) = self.one(dir, CRASH, threshold::crash, warn) {
            t.crash = v;
        }
        t
    }

    /// Forgets the files of services no longer watched.
    pub fn retain(&mut self, keep: impl Fn(&[u8]) -> bool) {
        self.warned.retain(|path, _| keep(path));
    }

    fn one<T>(
        &mut self,
        dir: &[u8],
        name: &str,
        parse: fn(&str) -> Result<T, BadThreshold>,
        warn: &mut dyn FnMut(Vec<u8>),
    ) -> Option<T> {
        let path = [dir, b"/", name.as_bytes()].concat();
        let (content, result) = match std::fs::read(OsStr::from_bytes(&path)) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.warned.remove(&path);
                return None;
            }
            Err(e) => {
                let why = format!("unable to read: {}", strerr::errstr(&e));
                (why.clone().into_bytes(), Err(BadThreshold(why)))
            }
            Ok(bytes) => {
                let r = std::str::from_utf8(&bytes).map_err(|_| BadThreshold("not text".into())).and_then(parse);
                (bytes, r)
            }
        };
        match result {
            Ok(v) => {
                self.warned.remove(&path);
                Some(v)
            }
            Err(BadThreshold(why)) => {
                if self.warned.get(&path) != Some(&content) {
                    warn([&path[..], b": ", why.as_bytes(), b"; using the default"].concat());
                    self.warned.insert(path, content);
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threshold::CpuAlert;
    use std::time::Duration;

    #[test]
    fn files_override_defaults_and_garbage_is_warned_once_per_content() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().as_os_str().as_bytes();
        let d = Thresholds::default();
        let mut files = ThresholdFiles::default();
        let mut warnings = Vec::new();
        let mut read = |files: &mut ThresholdFiles| files.read(dir, &d, &mut |w| warnings.push(w));
        assert_eq!(read(&mut files), d, "no file: the defaults");
        std::fs::write(tmp.path().join("cpu-alert"), "50% 1s\n").unwrap();
        std::fs::write(tmp.path().join("crash-alert"), "off\n").unwrap();
        let t = read(&mut files);
        assert_eq!(t.cpu, Some(CpuAlert { percent: 50.0, over: Duration::from_secs(1) }));
        assert_eq!(t.crash, None);
        std::fs::write(tmp.path().join("memory-alert"), "lots\n").unwrap();
        for _ in 0..3 {
            assert_eq!(read(&mut files).memory, d.memory);
        }
        std::fs::write(tmp.path().join("memory-alert"), b"\xfflots\n").unwrap();
        read(&mut files);
        read(&mut files);
        std::fs::write(tmp.path().join("memory-alert"), "1M").unwrap();
        assert!(read(&mut files).memory.is_some());
        std::fs::write(tmp.path().join("memory-alert"), "lots\n").unwrap();
        read(&mut files);
        let text: Vec<String> = warnings.iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
        let file = format!("{}/memory-alert", tmp.path().display());
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].starts_with(&format!("{file}: \"lots\" is not a size")), "{text:?}");
        assert!(text[1].ends_with("not text; using the default"), "{text:?}");
        assert_eq!(text[0], text[2], "fixed, then broken again: warned again");
    }
}
