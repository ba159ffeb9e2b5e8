//! A message as one line of text, the stable form `tend syslogd` writes:
//!
//! ```text
//! FACILITY.SEVERITY [@HOST ]PROGRAM[PID]: [MSGID ][STRUCTURED-DATA ]TEXT[ [cut N bytes]]
//! ```
//!
//! `mail.info postfix/smtpd[812]: connect from ...`; `[PID]` only when
//! given; PROGRAM `-` when the message names none; `@HOST` only for
//! messages from the network (UDP, TCP) that name one; a malformed message
//! is `user.notice [malformed]: ` (or its priority, if it had one) and all
//! its bytes. Control bytes (newline, tab, ...) and DEL are written `#ooo`
//! in octal (`\n` is `#012`), as rsyslog writes them, so a message is
//! always one line. A message cut at the size limit ends with
//! ` [cut N bytes]`, N the bytes left out.

use crate::parse::Message;

/// kern .. local7, by number, as rsyslog and syslog.conf(5) name them; one
/// string, not a table of `&str` (each a relocated pointer).
const FACILITIES: &str = "kern user mail daemon auth syslog lpr news uucp cron authpriv ftp ntp security console \
                          solaris-cron local0 local1 local2 local3 local4 local5 local6 local7";
const SEVERITIES: &str = "emerg alert crit err warning notice info debug";

/// A facility's name (`mail`), by number.
pub fn facility_name(n: u8) -> &'static str {
    FACILITIES.split(' ').nth(n.into()).unwrap_or("user")
}

/// A severity's name (`info`), by number.
pub fn severity_name(n: u8) -> &'static str {
    SEVERITIES.split(' ').nth(n.into()).unwrap_or("notice")
}

/// Appends `m`'s line, with its newline, to `out`; `cut`: bytes of the
/// message left out at the size limit.
pub fn write(m: &Message, cut: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(facility_name(m.facility).as_bytes());
    out.push(b'.');
    out.extend_from_slice(severity_name(m.severity).as_bytes());
    out.push(b' ');
    if let (Some(host), false) = (m.host, m.malformed) {
        out.push(b'@');
        escaped(host, out);
        out.push(b' ');
    }
    match (m.malformed, m.program) {
        (true, _) => out.extend_from_slice(b"[malformed]"),
        (false, Some(p)) => escaped(p, out),
        (false, None) => out.push(b'-'),
    }
    if let (Some(pid), false) = (m.pid, m.malformed) {
        out.push(b'[');
        escaped(pid, out);
        out.push(b']');
    }
    out.extend_from_slice(b": ");
    for part in [m.msgid, m.structured].into_iter().flatten() {
        escaped(part, out);
        out.push(b' ');
    }
    escaped(m.text, out);
    if cut > 0 {
        out.extend_from_slice(b" [cut ");
        decimal(cut as u64, out);
        out.extend_from_slice(b" bytes]");
    }
    out.push(b'\n');
}

/// `n` in decimal, appended.
pub(crate) fn decimal(n: u64, out: &mut Vec<u8>) {
    if n >= 10 {
        decimal(n / 10, out);
    }
    out.push(b'0' + (n % 10) as u8);
}

/// `bytes` with control bytes and DEL as `#ooo`.
fn escaped(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if b < 0x20 || b == 0x7f {
            out.extend_from_slice(&[b'#', b'0' + (b >> 6), b'0' + ((b >> 3) & 7), b'0' + (b & 7)]);
        } else {
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn line(bytes: &[u8], network: bool, cut: usize) -> String {
        let mut out = Vec::new();
        write(&parse(bytes, network), cut, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_name_is_there() {
        assert_eq!((facility_name(0), facility_name(2), facility_name(23)), ("kern", "mail", "local7"));
        assert_eq!((severity_name(0), severity_name(7)), ("emerg", "debug"));
    }

    #[test]
    fn the_stable_form() {
        assert_eq!(
            line(b"<22>Mar  1 10:00:01 postfix/smtpd[812]: connect\n", false, 0),
            "mail.info postfix/smtpd[812]: connect\n"
        );
        assert_eq!(line(b"<13>no tag at all", false, 0), "user.notice -: no tag at all\n");
        assert_eq!(line(b"<34>Oct 11 22:14:15 mx1 su: failed", true, 0), "auth.crit @mx1 su: failed\n");
        assert_eq!(
            line(b"<165>1 - host app 12 ID47 [a b=\"c\"] text", true, 0),
            "local4.notice @host app[12]: ID47 [a b=\"c\"] text\n"
        );
    }

    #[test]
    fn lines_stay_lines_and_malformed_ones_are_marked() {
        assert_eq!(line(b"<14>x: one\ntwo\tthree\x7f\n", false, 0), "user.info x: one#012two#011three#177\n");
        assert_eq!(line(b"garbage\nmore", false, 0), "user.notice [malformed]: garbage#012more\n");
        assert_eq!(line(b"<14>x: long", false, 9000), "user.info x: long [cut 9000 bytes]\n");
    }
}
