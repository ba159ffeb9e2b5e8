//! multilog's pattern matcher (daemontools 0.76 `match.c` semantics).
//!
//! A pattern matches the whole line (anchored at both ends). An ordinary byte
//! matches itself. `*` at the end of the pattern matches anything; `*`
//! followed by a byte `c` skips the shortest run of bytes up to the next `c`
//! and carries on from that `c`, with no backtracking: `*pid*` does not match
//! `tcpsvd: info: pid 7` because the first `*` stops at the first `p`.

/// Whether `pattern` matches all of `line` (multilog passes at most the first
/// 1000 bytes of a line, timestamp included).
pub fn matches(pattern: &[u8], line: &[u8]) -> bool {
    let mut p = 0;
    let mut l = 0;
    loop {
        let Some(&c) = pattern.get(p) else { return l == line.len() };
        p += 1;
        if c == b'*' {
            let Some(&stop) = pattern.get(p) else { return true };
            match line[l..].iter().position(|&b| b == stop) {
                Some(skip) => l += skip,
                None => return false,
            }
            continue;
        }
        if line.get(l) != Some(&c) {
            return false;
        }
        l += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, l: &str) -> bool {
        matches(p.as_bytes(), l.as_bytes())
    }

    #[test]
    fn anchored_at_both_ends() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hello world"));
        assert!(!m("hello world", "hello"));
        assert!(m("", ""));
        assert!(!m("", "x"));
    }

    #[test]
    fn star_rules_from_the_manual() {
        assert!(m("named[*]: Cleaned cache *", "named[135]: Cleaned cache of 3121 RRs."));
        assert!(m("*", "anything at all"));
        assert!(m("*", ""));
        assert!(m("a*", "a"));
        assert!(m("*x", "abcx"));
        assert!(!m("*x", "abcxd"));
    }

    #[test]
    fn no_backtracking() {
        assert!(!m("*pid*", "tcpsvd: info: pid 7"));
        assert!(m("*: info: *", "tcpsvd: info: pid 7"));
        // The first `*` stops at the first 'b'; "b" then must be followed by "c".
        assert!(!m("a*bc", "abxbc"));
    }

    #[test]
    fn double_star_runs_up_to_a_literal_star() {
        assert!(m("**x", "ab*x"));
        assert!(!m("**", "abc"));
        assert!(m("**", "ab*"));
    }

    #[test]
    fn binary_bytes_match_themselves() {
        assert!(matches(b"\0*\xff", b"\0abc\xff"));
        assert!(!matches(b"\0*\xff", b"\0abc\xfe"));
    }
}
