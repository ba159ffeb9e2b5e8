//! POSIX extended regular expressions (as `grep -E`) through glibc's
//! regcomp/regexec: `tend log -g`. The C library's engine rather than a
//! crate: the `regex` crate's tables and panic locations would push the
//! binary's RELRO segment past its four pages (ARCHITECTURE.md, Build).

use std::ffi::CString;

/// A compiled pattern, freed when dropped.
pub struct Regex {
    // Boxed: glibc keeps the pattern's buffers behind this struct, and the
    // struct stays where regcomp wrote it.
    compiled: Box<libc::regex_t>,
}

impl Regex {
    /// Compiles `pattern` (extended syntax; `ignore_case` as `grep -i`), or
    /// the C library's text for what is wrong with it.
    pub fn new(pattern: &[u8], ignore_case: bool) -> Result<Regex, String> {
        let c = CString::new(pattern).map_err(|_| String::from("a pattern cannot hold a NUL byte"))?;
        // SAFETY: an all-zero regex_t is a valid value for a plain C struct; regcomp fills it.
        let mut compiled: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        let flags = libc::REG_EXTENDED | libc::REG_NOSUB | if ignore_case { libc::REG_ICASE } else { 0 };
        // SAFETY: `compiled` points to a writable regex_t, `c` is NUL-terminated.
        let code = unsafe { libc::regcomp(&mut *compiled, c.as_ptr(), flags) };
        if code == 0 {
            return Ok(Regex { compiled });
        }
        let mut text = [0u8; 256];
        // SAFETY: `text` is writable for its length; regerror writes at most
        // that many bytes, NUL included, and reads the failed `compiled` only.
        unsafe { libc::regerror(code, &*compiled, text.as_mut_ptr().cast(), text.len()) };
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        Err(String::from_utf8_lossy(text.get(..end).unwrap_or_default()).into_owned())
    }

    /// Whether `text` (any bytes, no NUL needed at its end) holds a match.
    pub fn is_match(&self, text: &[u8]) -> bool {
        // REG_STARTEND: the subject is text[rm_so..rm_eo], not a C string.
        let mut range = [libc::regmatch_t { rm_so: 0, rm_eo: text.len() as libc::regoff_t }];
        // SAFETY: `compiled` was filled by a successful regcomp; with
        // REG_STARTEND regexec reads text[0..len] only, and writes nothing
        // to `range` beyond its one element (REG_NOSUB).
        let code =
            unsafe { libc::regexec(&*self.compiled, text.as_ptr().cast(), 1, range.as_mut_ptr(), libc::REG_STARTEND) };
        code == 0
    }
}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: `compiled` was filled by a successful regcomp and is freed once.
        unsafe { libc::regfree(&mut *self.compiled) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_syntax() {
        let r = Regex::new(b"err(or)?|fail[a-z]+", false).unwrap();
        assert!(r.is_match(b"an error here"));
        assert!(r.is_match(b"it failed"));
        assert!(!r.is_match(b"all fine"));
        assert!(!r.is_match(b"ERROR"));
        assert!(Regex::new(b"error", true).unwrap().is_match(b"ERROR"));
    }

    #[test]
    fn the_subject_is_the_slice_not_a_c_string() {
        let r = Regex::new(b"^abc$", false).unwrap();
        assert!(r.is_match(&b"abcdef"[..3]));
        assert!(Regex::new(b"x", false).unwrap().is_match(b"a\0x"));
        assert!(r.is_match(b"abc"));
    }

    #[test]
    fn bad_patterns_are_told() {
        let e = Regex::new(b"a(b", false).err().unwrap();
        assert!(!e.is_empty(), "{e}");
        assert!(Regex::new(b"a\0b", false).is_err());
    }
}
