//! Text into HTML and names into URLs: the one escaping function every
//! byte of service-supplied text goes through, and the percent-encoding of
//! a service name in a link (and its decoding when the link is followed).

/// Appends `text` to `out` as HTML text or attribute value: `&`, `<`, `>`,
/// `"` and `'` as character references, bytes that are not UTF-8 and
/// control characters (but tab and newline) as U+FFFD.
pub fn escape(out: &mut String, text: &[u8]) {
    for c in String::from_utf8_lossy(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push(char::REPLACEMENT_CHARACTER),
            c => out.push(c),
        }
    }
}

/// `name` as one URL path segment: RFC 3986's unreserved characters as
/// they are, every other byte (`/`, `%`, `<`, non-ASCII, ...) as `%XX`.
pub fn percent_encode(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for &b in name {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', hex_digit(b >> 4), hex_digit(b & 15)]);
        }
    }
    out
}

/// The bytes a path segment encodes; None if a `%` is not followed by two
/// hex digits.
pub fn percent_decode(segment: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(segment.len());
    let mut rest = segment;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'%' {
            out.push(b);
            continue;
        }
        let [hi, lo, tail @ ..] = rest else { return None };
        out.push(hex_value(*hi)? << 4 | hex_value(*lo)?);
        rest = tail;
    }
    Some(out)
}

fn hex_digit(v: u8) -> u8 {
    if v < 10 {
        b'0' + v
    } else {
        b'A' + v - 10
    }
}

fn hex_value(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).and_then(|v| u8::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &[u8]) -> String {
        let mut s = String::new();
        escape(&mut s, text);
        s
    }

    #[test]
    fn markup_becomes_text() {
        assert_eq!(escaped(b"<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escaped(b"a&b\"c'd"), "a&amp;b&quot;c&#39;d");
        assert_eq!(escaped(b"caf\xc3\xa9 \xff"), "caf\u{e9} \u{fffd}");
        assert_eq!(escaped(b"a\x00b\x1b[31mc\td\n"), "a\u{fffd}b\u{fffd}[31mc\td\n");
        assert_eq!(escaped(b"&amp;"), "&amp;amp;");
    }

    #[test]
    fn names_in_urls() {
        assert_eq!(percent_encode(b"web-1.a_b~"), b"web-1.a_b~");
        assert_eq!(percent_encode(b"<script>"), b"%3Cscript%3E");
        assert_eq!(percent_encode(b"a&b\"c"), b"a%26b%22c");
        assert_eq!(percent_encode(b"x/log %\xff"), b"x%2Flog%20%25%FF");
        for name in [&b"<script>alert(1)</script>"[..], b"a&b\"c", b"x/log", b"\x00\xff%", b""] {
            assert_eq!(percent_decode(&percent_encode(name)).as_deref(), Some(name));
        }
        assert_eq!(percent_decode(b"%2e%2E").as_deref(), Some(&b".."[..]));
        assert_eq!(percent_decode(b"plain"), Some(b"plain".to_vec()));
        assert_eq!(percent_decode(b"bad%"), None);
        assert_eq!(percent_decode(b"bad%4"), None);
        assert_eq!(percent_decode(b"bad%zz"), None);
        assert_eq!(percent_decode(b"%+1"), None);
    }
}
