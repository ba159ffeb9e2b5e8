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
