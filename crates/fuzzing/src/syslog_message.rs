use syslog::{line, parse, Framer};

/// Any bytes make one syslog line: parsed as from the local socket and as
/// from the network, each is written as exactly one line (one newline, at
/// the end; no other control byte), with a facility and severity it names.
/// The same bytes as a TCP stream, fed whole or split at any point (the
/// first byte chooses where), give the same messages, none over the limit.
pub fn syslog_message(data: &[u8]) {
    for network in [false, true] {
        let m = parse(data, network);
        assert!(m.facility <= 23 && m.severity <= 7);
        let mut out = Vec::new();
        line::write(&m, 0, &mut out);
        assert_eq!(out.last(), Some(&b'\n'));
        assert!(!out.iter().take(out.len() - 1).any(|&b| b.is_ascii_control()), "{out:?}");
    }
    const MAX: usize = 64;
    let framed = |chunks: &[&[u8]]| {
        let mut framer = Framer::default();
        let mut messages = Vec::new();
        let mut ok = true;
        for chunk in chunks {
            ok = ok && framer.feed(chunk, MAX, |m, cut| messages.push((m.to_vec(), cut)));
        }
        if ok {
            framer.finish(|m, cut| messages.push((m.to_vec(), cut)));
        }
        (messages, ok)
    };
    let split = data.first().map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let (head, tail) = data.split_at(split);
    let whole = framed(&[data]);
    assert_eq!(framed(&[head, tail]), whole);
    assert!(whole.0.iter().all(|(m, _)| m.len() <= MAX));
}
