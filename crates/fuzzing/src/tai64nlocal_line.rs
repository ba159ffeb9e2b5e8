/// tai64nlocal's line converter never panics, and a line without a leading
/// `@` comes out unchanged.
pub fn tai64nlocal_line(line: &[u8]) {
    let mut fmt = tai64::LocalFormatter::new();
    let mut out = Vec::new();
    tai64::convert_line(line, &mut fmt, &mut out);
    if line.first() != Some(&b'@') {
        assert_eq!(out, line);
    }
}
