//! Resource limits: daemontools' numbers, and lowering a soft limit.

use std::io;

/// A resource limit, by the letter softlimit and chpst use for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    AddressSpace,
    Core,
    Cpu,
    Data,
    FileSize,
    LockedMemory,
    OpenFiles,
    Processes,
    Resident,
    Stack,
}

impl Resource {
    fn raw(self) -> unix::limit::Resource {
        match self {
            Resource::AddressSpace => libc::RLIMIT_AS,
            Resource::Core => libc::RLIMIT_CORE,
            Resource::Cpu => libc::RLIMIT_CPU,
            Resource::Data => libc::RLIMIT_DATA,
            Resource::FileSize => libc::RLIMIT_FSIZE,
            Resource::LockedMemory => libc::RLIMIT_MEMLOCK,
            Resource::OpenFiles => libc::RLIMIT_NOFILE,
            Resource::Processes => libc::RLIMIT_NPROC,
            Resource::Resident => libc::RLIMIT_RSS,
            Resource::Stack => libc::RLIMIT_STACK,
        }
    }
}

/// What to set a soft limit to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Soft {
    /// This value, or the hard limit if that is lower.
    AtMost(u64),
    /// The hard limit (softlimit's `=`).
    Hard,
}

/// Reads an unsigned decimal number the way djb's `scan_ulong` + "nothing
/// may follow" check does: digits only, the empty string being 0. Unlike
/// daemontools, a number too large for 64 bits saturates instead of wrapping
/// around to a small limit.
pub fn parse_number(text: &[u8]) -> Option<u64> {
    text.iter()
        .try_fold(0u64, |n, &c| c.is_ascii_digit().then(|| n.saturating_mul(10).saturating_add(u64::from(c - b'0'))))
}

/// Error of [`lower_soft`]: which call failed.
#[derive(Debug)]
pub enum LimitError {
    Get(io::Error),
    Set(io::Error),
}

/// Sets the soft limit of `resource`, never above its hard limit.
///
/// The heap is made to exist first. tend starts without one (see the
/// `tend` crate), and a limit below what is already mapped (`softlimit -a 0`)
/// makes every later brk and mmap fail, while the messages and the exec that
/// follow still allocate a little; glibc keeps over 100 KiB of a heap it has
/// grown once. daemontools' programs serve such requests from a static pool.
pub fn lower_soft(resource: Resource, soft: Soft) -> Result<(), LimitError> {
    drop(std::hint::black_box(Vec::<u8>::with_capacity(4096)));
    let (_, hard) = unix::limit::getrlimit(resource.raw()).map_err(LimitError::Get)?;
    let value = match soft {
        Soft::Hard => hard,
        Soft::AtMost(n) => n.min(hard),
    };
    unix::limit::setrlimit(resource.raw(), value, hard).map_err(LimitError::Set)
}

/// The current (soft, hard) limits of `resource`.
pub fn current(resource: Resource) -> io::Result<(u64, u64)> {
    unix::limit::getrlimit(resource.raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_scan_ulong_reads_them() {
        assert_eq!(parse_number(b"0"), Some(0));
        assert_eq!(parse_number(b""), Some(0));
        assert_eq!(parse_number(b"1048576"), Some(1_048_576));
        assert_eq!(parse_number(b"-1"), None);
        assert_eq!(parse_number(b"+1"), None);
        assert_eq!(parse_number(b"12k"), None);
        assert_eq!(parse_number(b" 1"), None);
        assert_eq!(parse_number(b"99999999999999999999999"), Some(u64::MAX));
    }

    #[test]
    fn soft_limit_is_capped_at_the_hard_one() {
        let (soft, hard) = current(Resource::Core).unwrap();
        lower_soft(Resource::Core, Soft::AtMost(u64::MAX)).unwrap();
        assert_eq!(current(Resource::Core).unwrap(), (hard, hard));
        lower_soft(Resource::Core, Soft::AtMost(0)).unwrap();
        assert_eq!(current(Resource::Core).unwrap(), (0, hard));
        lower_soft(Resource::Core, Soft::Hard).unwrap();
        assert_eq!(current(Resource::Core).unwrap().0, hard);
        lower_soft(Resource::Core, Soft::AtMost(soft)).unwrap();
    }
}
