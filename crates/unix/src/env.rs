//! The environment exactly as the C library holds it.

use std::ffi::CStr;

/// The process's environment exactly as the C library holds it (order,
/// duplicates and entries without `=` included), which `std::env` does not give.
pub fn environ_entries() -> Vec<Vec<u8>> {
    extern "C" {
        static environ: *const *const libc::c_char;
    }
    let mut entries = Vec::new();
    // SAFETY: `environ` is the C library's NULL-terminated array of
    // NUL-terminated strings; we only read it, and nothing in this
    // single-threaded program changes it while we do.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            entries.push(CStr::from_ptr(*p).to_bytes().to_vec());
            p = p.add(1);
        }
    }
    entries
}

/// A child's environment, ready for exec: this process's, with some
/// variables set (svscan tells a log supervise about its console pipe).
pub struct Envp {
    _entries: Vec<std::ffi::CString>,
    pointers: Vec<*const libc::c_char>,
}

impl Envp {
    /// This process's environment with each `(NAME, VALUE)` of `set` in
    /// place of any entry of that name. A NUL byte in a name or value is EINVAL.
    pub fn with(set: &[(&[u8], &[u8])]) -> std::io::Result<Envp> {
        let named = |entry: &[u8], name: &[u8]| {
            entry.len() > name.len() && entry.starts_with(name) && entry[name.len()] == b'='
        };
        let mut entries = Vec::new();
        for entry in environ_entries() {
            if !set.iter().any(|(name, _)| named(&entry, name)) {
                entries.push(std::ffi::CString::new(entry).map_err(|_| crate::invalid())?);
            }
        }
        for (name, value) in set {
            entries.push(std::ffi::CString::new([name, &b"="[..], value].concat()).map_err(|_| crate::invalid())?);
        }
        let pointers = entries.iter().map(|e| e.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
        Ok(Envp { _entries: entries, pointers })
    }

    /// The NULL-terminated array exec takes; valid while `self` lives.
    pub(crate) fn as_ptr(&self) -> *const *const libc::c_char {
        self.pointers.as_ptr()
    }
}
