//! Chain-loading: the process-state changes daemontools' small tools make
//! before they exec the rest of their command line, and the exec itself.
//!
//! It owns PATH search and exec exactly as daemontools' `pathexec_run` does
//! ([`exec::run`]), the child's environment edited as `pathexec_env` does
//! ([`Environment`]), accounts and dropping privileges ([`account`]), resource
//! limits ([`limit`]), lock files ([`lock`]), environment directories
//! ([`envdir`]: a pure value parser apart from the directory walk), the
//! readproctitle display ([`proctitle`]), and the few process calls
//! (session, fork, wait, descriptors) the tools need ([`process`]). Every libc
//! call is in the private `sys` module. Nothing here exits: the programs pick
//! messages and exit codes, and print them with [`message`] (bytes, since
//! names need not be UTF-8) or `strerr`.
//!
//! ```
//! assert_eq!(chainload::envdir::value(b"value \t\nignored"), Some(b"value".to_vec()));
//! assert_eq!(chainload::envdir::value(b""), None); // an empty file removes the variable
//! ```

pub mod account;
pub mod envdir;
pub mod exec;
pub mod limit;
pub mod lock;
pub mod message;
pub mod process;
pub mod proctitle;

mod env;
mod sys;

pub use env::Environment;
