//! Warnings with names that may not be UTF-8 (service names are bytes).

/// `svscan: warning: PARTS...` in one write.
pub fn warn(parts: &[&[u8]]) {
    strerr::write_stderr(&line(parts));
}

fn line(parts: &[&[u8]]) -> Vec<u8> {
    let mut s = Vec::with_capacity(128);
    s.extend_from_slice(strerr::program().as_bytes());
    s.extend_from_slice(b": warning: ");
    for p in parts {
        s.extend_from_slice(p);
    }
    s.push(b'\n');
    s
}

/// The prefix of a warning that the forked child completes with an error text.
pub fn prefix(parts: &[&[u8]]) -> Vec<u8> {
    let mut s = line(parts);
    s.pop();
    s
}
