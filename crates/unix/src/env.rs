//! The environment exactly as the C library holds it, and a child's
//! environment for exec: on the heap ([`Envp`]) or on the stack
//! ([`with_set`], for supervise, which allocates nothing).

use std::ffi::CStr;

extern "C" {
    static environ: *const *const libc::c_char;
}

/// The entries of `this process's environment, as pointers (for exec).
fn environ_pointers() -> impl Iterator<Item = *const libc::c_char> {
    // SAFETY: `environ` is the C library's NULL-terminated array of
    // NUL-terminated strings; we only read it, and nothing in this
    // single-threaded program changes it while the iterator lives.
    let mut p = unsafe { environ };
    std::iter::from_fn(move || {
        // SAFETY: as above; `p` stops at the NULL that ends the array.
        unsafe {
            if p.is_null() || (*p).is_null() {
                return None;
            }
            let entry = *p;
            p = p.add(1);
            Some(entry)
        }
    })
}

/// An environment ready for exec: a NULL-terminated array of pointers to
/// NUL-terminated strings, all living as long as `'a`.
#[derive(Debug, Clone, Copy)]
pub struct Environ<'a>(&'a [*const libc::c_char]);

impl Environ<'_> {
    pub(crate) fn as_ptr(&self) -> *const *const libc::c_char {
        self.0.as_ptr()
    }
}

/// How many entries [`with_set`] holds on the stack, the NULL included.
pub const STACK_ENTRIES: usize = 256;

/// Calls `f` with this process's environment, each of `set` (`NAME=VALUE`)
/// in place of any entry of that name, built on the stack: E2BIG if it
/// has more than [`STACK_ENTRIES`] entries.
pub fn with_set<R>(set: &[&CStr], f: impl FnOnce(Environ) -> R) -> std::io::Result<R> {
    let replaced = |entry: *const libc::c_char| {
        // SAFETY: `entry` is one of environ's NUL-terminated strings.
        let entry = unsafe { CStr::from_ptr(entry) }.to_bytes();
        // `NAME=`, with its `=`; an entry without one is kept.
        let name = entry.iter().position(|&b| b == b'=').and_then(|i| entry.get(..=i));
        name.is_some_and(|name| set.iter().any(|s| s.to_bytes().starts_with(name)))
    };
    let mut pointers = [std::ptr::null::<libc::c_char>(); STACK_ENTRIES];
    let kept = environ_pointers().filter(|&e| !replaced(e));
    // The last slot stays NULL.
    let mut slots = pointers.iter_mut().take(STACK_ENTRIES - 1);
    for entry in kept.chain(set.iter().map(|s| s.as_ptr())) {
        *slots.next().ok_or_else(|| std::io::Error::from_raw_os_error(libc::E2BIG))? = entry;
    }
    drop(slots);
    Ok(f(Environ(&pointers)))
}

/// The process's environment exactly as the C library holds it (order,
/// duplicates and entries without `=` included), which `std::env` does not give.
pub fn environ_entries() -> Vec<Vec<u8>> {
    // SAFETY: each is one of environ's NUL-terminated strings.
    environ_pointers().map(|p| unsafe { CStr::from_ptr(p) }.to_bytes().to_vec()).collect()
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

    /// The NULL-terminated array exec takes.
    pub fn environ(&self) -> Environ<'_> {
        Environ(&self.pointers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_set_on_the_stack_replaces_the_inherited_one() {
        let entries = with_set(&[c"PATH=/nowhere", c"TEND_ENV_TEST=1"], |env| {
            let mut out = Vec::new();
            for &p in env.0.iter().take_while(|p| !p.is_null()) {
                // SAFETY: the pointers are environ's or the set's strings.
                out.push(unsafe { CStr::from_ptr(p) }.to_bytes().to_vec());
            }
            out
        })
        .unwrap();
        let paths: Vec<_> = entries.iter().filter(|e| e.starts_with(b"PATH=")).collect();
        assert_eq!(paths, [b"PATH=/nowhere"]);
        assert!(entries.iter().any(|e| e == b"TEND_ENV_TEST=1"));
        assert_eq!(entries.len(), environ_entries().iter().filter(|e| !e.starts_with(b"PATH=")).count() + 2);
    }
}
