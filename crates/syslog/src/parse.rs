//! A syslog message's parts, read from its bytes: RFC 5424 (`<PRI>1 TIME
//! HOST APP PROCID MSGID SD MSG`) or RFC 3164 / what syslog(3) sends
//! (`<PRI>Mmm dd hh:mm:ss [HOST ]TAG[PID]: MSG`). Nothing is refused: a
//! message without a valid `<PRI>` or a broken RFC 5424 header is kept
//! whole and marked malformed. The sender's timestamp is skipped (the
//! log's label is the time of receipt).

/// RFC 3164's default for a message without a priority: user.notice.
const DEFAULT_PRI: u8 = 13;
/// The longest TAG (program name) taken; RFC 3164 says 32, and longer
/// ones are seen (`postfix/smtpd`, systemd unit names).
const TAG_MAX: usize = 64;

/// One message, borrowing the datagram or frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// 0..=23 (kern .. local7).
    pub facility: u8,
    /// 0..=7 (emerg .. debug).
    pub severity: u8,
    /// The sending host as the message says (read only from network
    /// sources, and from RFC 5424's field).
    pub host: Option<&'a [u8]>,
    /// TAG or APP-NAME.
    pub program: Option<&'a [u8]>,
    /// The pid in `TAG[PID]`, or RFC 5424's PROCID.
    pub pid: Option<&'a [u8]>,
    /// RFC 5424's MSGID and STRUCTURED-DATA, when not `-`.
    pub msgid: Option<&'a [u8]>,
    pub structured: Option<&'a [u8]>,
    /// The message text (for a malformed one, all of it).
    pub text: &'a [u8],
    pub malformed: bool,
}

/// Reads `bytes`; `network`: the RFC 3164 header holds a HOST after the
/// timestamp (as relays send it; syslog(3) on a local socket sends none).
pub fn parse(bytes: &[u8], network: bool) -> Message<'_> {
    let bytes = trim_end(bytes);
    let whole = Message {
        facility: DEFAULT_PRI >> 3,
        severity: DEFAULT_PRI & 7,
        host: None,
        program: None,
        pid: None,
        msgid: None,
        structured: None,
        text: bytes,
        malformed: true,
    };
    let Some((pri, rest)) = priority(bytes) else { return whole };
    let (facility, severity) = (pri >> 3, pri & 7);
    let parsed = match rest {
        [b'1', b' ', header @ ..] => rfc5424(header),
        _ => Some(rfc3164(rest, network)),
    };
    match parsed {
        Some(m) => Message { facility, severity, ..m },
        None => Message { facility, severity, ..whole },
    }
}

/// Without the newlines and NULs senders end messages with.
fn trim_end(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r' | b'\0'] = bytes {
        bytes = rest;
    }
    bytes
}

/// `<N>` with N of 1 to 3 digits, at most 191.
fn priority(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let [b'<', rest @ ..] = bytes else { return None };
    let end = rest.iter().take(4).position(|&b| b == b'>')?;
    let (digits, rest) = rest.split_at_checked(end)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    let pri = u8::try_from(n).ok().filter(|&p| p <= 191)?;
    Some((pri, rest.get(1..).unwrap_or_default()))
}

/// The next space-separated field and what follows its space.
fn field(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = bytes.iter().position(|&b| b == b' ')?;
    let (f, rest) = bytes.split_at_checked(end)?;
    (!f.is_empty()).then_some((f, rest.get(1..).unwrap_or_default()))
}

/// A field's value, None for RFC 5424's nil `-`.
fn value(f: &[u8]) -> Option<&[u8]> {
    (f != b"-").then_some(f)
}

fn rfc5424(header: &[u8]) -> Option<Message<'_>> {
    let (_time, rest) = field(header)?;
    let (host, rest) = field(rest)?;
    let (app, rest) = field(rest)?;
    let (procid, rest) = field(rest)?;
    let (msgid, rest) = field(rest)?;
    let (structured, rest) = structured_data(rest)?;
    let text = match rest {
        [] => rest,
        [b' ', text @ ..] => text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text),
        _ => return None,
    };
    Some(Message {
        facility: 0,
        severity: 0,
        host: value(host),
        program: value(app),
        pid: value(procid),
        msgid: value(msgid),
        structured: value(structured),
        text,
        malformed: false,
    })
}

/// `-` or one or more `[ID PARAM="VALUE" ...]` (a `]`, `"` or `\` in a
/// value escaped by `\`), and what follows.
fn structured_data(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    if let [b'-', ..] = bytes {
        return bytes.split_at_checked(1);
    }
    let mut end = 0;
    while let Some(b'[') = bytes.get(end) {
        let (mut quoted, mut escaped) = (false, false);
        end += 1;
        loop {
            let &b = bytes.get(end)?;
            end += 1;
            match (escaped, quoted, b) {
                (true, _, _) => escaped = false,
                (false, true, b'\\') => escaped = true,
                (false, _, b'"') => quoted = !quoted,
                (false, false, b']') => break,
                _ => {}
            }
        }
    }
    bytes.split_at_checked(end).filter(|_| end > 0)
}

fn rfc3164(rest: &[u8], network: bool) -> Message<'_> {
    let rest = skip_timestamp(rest);
    let (host, rest) = match (network, field(rest)) {
        (true, Some((host, after))) if !host.ends_with(b":") && !host.contains(&b'[') => (Some(host), after),
        _ => (None, rest),
    };
    let (program, pid, text) = tag(rest);
    Message { facility: 0, severity: 0, host, program, pid, msgid: None, structured: None, text, malformed: false }
}

/// Past `Mmm dd hh:mm:ss ` (RFC 3164) or an RFC 3339 stamp and its
/// space (`2026-01-02T03:04:05...`, as rsyslog forwards), if there.
fn skip_timestamp(bytes: &[u8]) -> &[u8] {
    match bytes {
        [m, o, n, b' ', d, e, b' ', h, i, b':', j, k, b':', l, p, b' ', rest @ ..]
            if [m, o, n].iter().all(|b| b.is_ascii_alphabetic())
                && (*d == b' ' || d.is_ascii_digit())
                && [e, h, i, j, k, l, p].iter().all(|b| b.is_ascii_digit()) =>
        {
            rest
        }
        [y, e, a, r, b'-', ..] if [y, e, a, r].iter().all(|b| b.is_ascii_digit()) => {
            field(bytes).map_or(bytes, |(_, rest)| rest)
        }
        _ => bytes,
    }
}

/// `TAG[PID]: TEXT` or `TAG: TEXT`; anything else is all text.
fn tag(bytes: &[u8]) -> (Option<&[u8]>, Option<&[u8]>, &[u8]) {
    let none = (None, None, bytes);
    let Some(end) = bytes.iter().take(TAG_MAX + 1).position(|&b| matches!(b, b':' | b'[' | b' ')) else {
        return none;
    };
    let Some((name, rest)) = bytes.split_at_checked(end) else { return none };
    if name.is_empty() || !name.iter().all(|b| b.is_ascii_graphic()) {
        return none;
    }
    let (pid, rest) = match rest {
        [b'[', after @ ..] => {
            match after.iter().take(24).position(|&b| b == b']').and_then(|c| after.split_at_checked(c)) {
                Some((pid, rest)) => (Some(pid), rest.get(1..).unwrap_or_default()),
                None => return none,
            }
        }
        _ => (None, rest),
    };
    match rest {
        [b':', b' ', text @ ..] | [b':', text @ ..] => (Some(name), pid.filter(|p| !p.is_empty()), text),
        // `TAG[PID] TEXT`: the pid says it is a tag.
        [b' ', text @ ..] if pid.is_some() => (Some(name), pid, text),
        _ => none,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &[u8]) -> Message<'_> {
        Message {
            facility: 1,
            severity: 5,
            host: None,
            program: None,
            pid: None,
            msgid: None,
            structured: None,
            text,
            malformed: false,
        }
    }

    #[test]
    fn what_syslog3_sends_on_a_local_socket() {
        let got = parse(b"<22>Mar  1 10:00:01 dovecot[812]: imap-login: Login: user=<a>\n", false);
        let want = Message {
            facility: 2,
            severity: 6,
            program: Some(&b"dovecot"[..]),
            pid: Some(&b"812"[..]),
            ..m(b"imap-login: Login: user=<a>")
        };
        assert_eq!(got, want);
        let got = parse(b"<13>Dec 12 01:02:03 root: hello\0", false);
        assert_eq!(got, Message { program: Some(&b"root"[..]), ..m(b"hello") });
    }

    #[test]
    fn a_relays_rfc3164_message_names_its_host() {
        let got = parse(b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed", true);
        let want = Message {
            facility: 4,
            severity: 2,
            host: Some(&b"mymachine"[..]),
            program: Some(&b"su"[..]),
            ..m(b"'su root' failed")
        };
        assert_eq!(got, want);
    }

    #[test]
    fn rfc5424_fields_and_structured_data() {
        let got = parse(
            b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" x=\"a\\]b\"] \xef\xbb\xbfAn application event",
            true,
        );
        let want = Message {
            facility: 20,
            severity: 5,
            host: Some(&b"mymachine.example.com"[..]),
            program: Some(&b"evntslog"[..]),
            msgid: Some(&b"ID47"[..]),
            structured: Some(&br#"[exampleSDID@32473 iut="3" x="a\]b"]"#[..]),
            ..m(b"An application event")
        };
        assert_eq!(got, want);
        let got = parse(b"<13>1 - - logger 4242 - - hi", false);
        assert_eq!(got, Message { program: Some(&b"logger"[..]), pid: Some(&b"4242"[..]), ..m(b"hi") });
    }

    #[test]
    fn text_without_a_tag_is_all_text() {
        assert_eq!(parse(b"<13>just words here", false), m(b"just words here"));
        assert_eq!(parse(b"<13>x[12 oops: no", false), m(b"x[12 oops: no"));
        assert_eq!(parse(b"<13>", false), m(b""));
    }

    #[test]
    fn malformed_messages_are_kept_whole() {
        for bad in [&b"no priority"[..], b"<>x", b"<192>x", b"<1a>x", b"<12345>x", b"", b"<"] {
            let got = parse(bad, false);
            assert_eq!(got, Message { malformed: true, ..m(bad) }, "{bad:?}");
        }
        let got = parse(b"<14>1 2003-10-11T22:14:15Z host app", false);
        assert_eq!(
            got,
            Message { facility: 1, severity: 6, malformed: true, ..m(b"<14>1 2003-10-11T22:14:15Z host app") }
        );
        let got = parse(b"<14>1 t h a p m [unclosed", false);
        assert!(got.malformed);
    }
}
