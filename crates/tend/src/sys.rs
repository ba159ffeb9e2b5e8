//! The libc calls of the multicall binary itself.

/// Puts SIGPIPE back to its default action. Rust's runtime ignores it, and an
/// ignored signal stays ignored across exec, so every program we exec (from
/// setuidgid, supervise, ...) would otherwise start with SIGPIPE ignored,
/// unlike under daemontools.
pub fn restore_sigpipe() {
    // SAFETY: setting a standard disposition for a valid signal number.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}
