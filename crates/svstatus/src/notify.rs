//! `supervise/notify`: what a service said through its sd_notify socket
//! (`STATUS=`, `MAINPID=`, `STOPPING=1`) and its watchdog's record, for
//! `svstat -j`. Text, one `KEY VALUE` line each, `status` last; written by
//! supervise (renamed over), only for services with `notify-socket`.

use std::ffi::CStr;
use std::io;

use crate::dir::ServiceDir;
use crate::files::{decimal, replace, WriteError, DECIMAL_LEN};

/// `supervise/notify`
pub const NOTIFY: &CStr = c"supervise/notify";
const NOTIFY_NEW: &CStr = c"supervise/notify.new";
/// The longest `STATUS=` text kept (longer is cut).
pub const STATUS_MAX: usize = 256;

/// The record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyState {
    status: [u8; STATUS_MAX],
    status_len: usize,
    /// `MAINPID=` of the running service (0: none said).
    pub mainpid: u32,
    /// `STOPPING=1` came from the running service.
    pub stopping: bool,
    /// The watchdog interval in effect, ms (0: no watchdog).
    pub watchdog_ms: u64,
    /// How often the watchdog aborted the service since supervise started.
    pub watchdog_timeouts: u32,
    /// When it last did (seconds since the epoch; 0: never).
    pub last_watchdog_timeout: u64,
    /// Datagrams ignored because no process of the service sent them.
    pub foreign: u64,
}

impl Default for NotifyState {
    fn default() -> NotifyState {
        NotifyState {
            status: [0; STATUS_MAX],
            status_len: 0,
            mainpid: 0,
            stopping: false,
            watchdog_ms: 0,
            watchdog_timeouts: 0,
            last_watchdog_timeout: 0,
            foreign: 0,
        }
    }
}

const KEYS: [&[u8]; 6] =
    [b"mainpid", b"stopping", b"watchdog_ms", b"watchdog_timeouts", b"last_watchdog_timeout", b"foreign"];

/// The longest encoding.
pub const NOTIFY_LEN: usize = 6 * (22 + DECIMAL_LEN + 1) + 7 + STATUS_MAX + 1;

impl NotifyState {
    /// The `STATUS=` text (newlines and NULs became spaces).
    pub fn status(&self) -> &[u8] {
        self.status.get(..self.status_len).unwrap_or_default()
    }

    /// Keeps `text` as the status, cut at [`STATUS_MAX`] bytes.
    pub fn set_status(&mut self, text: &[u8]) {
        let n = text.len().min(STATUS_MAX);
        for (to, &from) in self.status.iter_mut().zip(text) {
            *to = if from == b'\n' || from == 0 { b' ' } else { from };
        }
        self.status_len = n;
    }

    fn numbers(&self) -> [u64; 6] {
        let n = [self.mainpid.into(), self.stopping.into(), self.watchdog_ms, self.watchdog_timeouts.into()];
        [n[0], n[1], n[2], n[3], self.last_watchdog_timeout, self.foreign]
    }

    /// The file's content into `buf`: its length.
    pub fn encode(&self, buf: &mut [u8; NOTIFY_LEN]) -> usize {
        let mut n = 0;
        let mut put = |bytes: &[u8]| {
            for &b in bytes {
                if let Some(slot) = buf.get_mut(n) {
                    *slot = b;
                    n += 1;
                }
            }
        };
        for (key, value) in KEYS.iter().zip(self.numbers()) {
            let mut digits = [0; DECIMAL_LEN];
            put(key);
            put(b" ");
            put(decimal(i64::try_from(value).unwrap_or(i64::MAX), &mut digits));
            put(b"\n");
        }
        put(b"status ");
        put(self.status());
        put(b"\n");
        n
    }

    /// Reads what [`NotifyState::encode`] wrote; unknown or bad lines are skipped.
    pub fn decode(bytes: &[u8]) -> NotifyState {
        let mut s = NotifyState::default();
        for line in bytes.split(|&b| b == b'\n') {
            if let Some(text) = line.strip_prefix(b"status ") {
                s.set_status(text);
                continue;
            }
            let mut words = line.splitn(2, |&b| b == b' ');
            let (Some(key), Some(value)) = (words.next(), words.next()) else { continue };
            let Some(value) = std::str::from_utf8(value).ok().and_then(|v| v.parse::<u64>().ok()) else { continue };
            match key {
                b"mainpid" => s.mainpid = u32::try_from(value).unwrap_or(0),
                b"stopping" => s.stopping = value != 0,
                b"watchdog_ms" => s.watchdog_ms = value,
                b"watchdog_timeouts" => s.watchdog_timeouts = u32::try_from(value).unwrap_or(u32::MAX),
                b"last_watchdog_timeout" => s.last_watchdog_timeout = value,
                b"foreign" => s.foreign = value,
                _ => {}
            }
        }
        s
    }

    /// Writes [`NOTIFY`] (as `notify.new` renamed over it).
    pub fn write(&self, dir: &ServiceDir) -> Result<(), WriteError> {
        let mut buf = [0; NOTIFY_LEN];
        let n = self.encode(&mut buf);
        replace(dir, NOTIFY_NEW, NOTIFY, buf.get(..n).unwrap_or_default())
    }

    /// Reads [`NOTIFY`]: None when there is none (no `notify-socket`).
    pub fn read(dir: &ServiceDir) -> io::Result<Option<NotifyState>> {
        let mut f = match dir.open_file(NOTIFY, libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW, 0) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            f => f?,
        };
        let mut buf = [0; NOTIFY_LEN];
        let n = unix::fd::read_until_full(&mut f, &mut buf)?;
        Ok(Some(NotifyState::decode(buf.get(..n).unwrap_or_default())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_decodes_as_encoded() {
        let mut s = NotifyState {
            mainpid: 4242,
            stopping: true,
            watchdog_ms: 1500,
            watchdog_timeouts: 3,
            last_watchdog_timeout: 1_700_000_000,
            foreign: 7,
            ..NotifyState::default()
        };
        s.set_status(b"Processing requests\n\0...");
        assert_eq!(s.status(), b"Processing requests  ...");
        let mut buf = [0; NOTIFY_LEN];
        let n = s.encode(&mut buf);
        assert_eq!(NotifyState::decode(&buf[..n]), s);
        s.set_status(&[b'x'; 1000]);
        let n = s.encode(&mut buf);
        assert_eq!(NotifyState::decode(&buf[..n]).status().len(), STATUS_MAX);
        assert_eq!(NotifyState::decode(b"garbage\nmainpid x\nfoo 1\n"), NotifyState::default());
    }
}
