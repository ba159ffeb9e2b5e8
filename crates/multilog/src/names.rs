//! File names in messages, byte for byte.
//!
//! Messages are built as `String`s, but 0.76 prints a directory or `=file`
//! name exactly as given, even when it is not UTF-8. [`display`] keeps each
//! byte that is not UTF-8 as a private-use character (U+10FF00 + the byte),
//! and [`to_bytes`] turns those back into the raw bytes when the message is
//! written.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const BASE: u32 = 0x10_FF00;

/// `path` as message text, losslessly.
pub fn display(path: &Path) -> String {
    let mut s = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        s.push_str(chunk.valid());
        s.extend(chunk.invalid().iter().filter_map(|&b| char::from_u32(BASE + b as u32)));
    }
    s
}

/// The bytes of a message built with [`display`]ed names.
pub fn to_bytes(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    for c in message.chars() {
        match (c as u32).checked_sub(BASE) {
            Some(b) if b < 256 => out.push(b as u8),
            _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn round_trip_of_any_bytes() {
        for name in [&b"./log"[..], b"./\xff/sub", b"\xc3\xa9t\xc3", b"\x80\x80", "./d\u{e9}".as_bytes()] {
            let shown = display(Path::new(OsStr::from_bytes(name)));
            assert_eq!(
                to_bytes(&format!("unable to open directory {shown}: x")),
                [&b"unable to open directory "[..], name, b": x"].concat()
            );
        }
    }
}
