//! Accounts from the user database, and becoming one.

use std::ffi::OsStr;
use std::io;

pub use unix::account::Passwd as Account;

/// The account called `name`; `Ok(None)` when the database has no such account.
pub fn lookup(name: &OsStr) -> io::Result<Option<Account>> {
    unix::account::getpwnam(name)
}

/// The id of the group called `name`; `Ok(None)` when there is none.
pub fn group_id(name: &[u8]) -> io::Result<Option<libc::gid_t>> {
    unix::account::getgrnam(name)
}

/// Which step of giving up privileges failed, so that programs can print
/// daemontools' message for it.
#[derive(Debug)]
pub enum DropError {
    Groups(io::Error),
    Gid(io::Error),
    Uid(io::Error),
}

/// Which groups the process keeps besides its primary group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supplementary {
    /// Only the primary group, as daemontools' setuidgid does.
    None,
    /// The account's groups from the group database (`initgroups`), as encore's `setuidgid -s`.
    FromDatabase,
}

/// Sets the groups, then the gid, then the uid, in daemontools' order.
pub fn become_account(account: &Account, supplementary: Supplementary) -> Result<(), DropError> {
    match supplementary {
        Supplementary::None => unix::account::setgroups(&[account.gid]),
        Supplementary::FromDatabase => unix::account::initgroups(&account.name, account.gid),
    }
    .map_err(DropError::Groups)?;
    become_ids(account.uid, account.gid)
}

/// Sets exactly `groups` (the first is the primary group), then the gid and uid.
pub fn become_ids_with_groups(uid: libc::uid_t, groups: &[libc::gid_t]) -> Result<(), DropError> {
    let Some(&gid) = groups.first() else { return Err(DropError::Groups(io::Error::from_raw_os_error(libc::EINVAL))) };
    unix::account::setgroups(groups).map_err(DropError::Groups)?;
    become_ids(uid, gid)
}

fn become_ids(uid: libc::uid_t, gid: libc::gid_t) -> Result<(), DropError> {
    unix::account::setgid(gid).map_err(DropError::Gid)?;
    unix::account::setuid(uid).map_err(DropError::Uid)
}
