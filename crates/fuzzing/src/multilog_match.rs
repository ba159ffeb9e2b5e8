/// multilog's matcher against two references: a recursive restatement of
/// daemontools' rule (must agree exactly), and a full backtracking glob
/// where `*` is any string (every daemontools match must also be a glob
/// match; the converse fails by design: `*pid*` does not match
/// `tcpsvd: pid 7`). The first byte splits the rest into pattern and line.
pub fn multilog_match(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else { return };
    let split = (split as usize).min(rest.len());
    let (pattern, line) = rest.split_at(split);
    let line = &line[..line.len().min(multilog::HEAD)];
    let got = multilog::matches(pattern, line);
    assert_eq!(got, reference(pattern, line), "pattern {pattern:?} line {line:?}");
    if got {
        assert!(glob(pattern, line), "a daemontools match that no glob reading allows");
    }
    if !pattern.contains(&b'*') {
        assert_eq!(got, pattern == line);
    }
}

/// daemontools' rule, stated recursively: `*c` jumps to the first `c`.
fn reference(p: &[u8], l: &[u8]) -> bool {
    match p {
        [] => l.is_empty(),
        [b'*'] => true,
        [b'*', c, ..] => match l.iter().position(|b| b == c) {
            Some(i) => reference(&p[1..], &l[i..]),
            None => false,
        },
        [c, rest @ ..] => l.first() == Some(c) && reference(rest, &l[1..]),
    }
}

/// `*` matches any string, with backtracking (dynamic programming).
fn glob(p: &[u8], l: &[u8]) -> bool {
    let mut row = vec![false; l.len() + 1];
    row[0] = true;
    for &c in p {
        let mut next = vec![false; l.len() + 1];
        if c == b'*' {
            let mut any = false;
            for j in 0..=l.len() {
                any |= row[j];
                next[j] = any;
            }
        } else {
            for j in 1..=l.len() {
                next[j] = row[j - 1] && l[j - 1] == c;
            }
        }
        row = next;
    }
    row[l.len()]
}
