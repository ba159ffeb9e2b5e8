//! Chain-loading: the process-state changes daemontools' small tools make
//! before they exec the rest of their command line, and the exec itself.
//!
//! It owns PATH search and exec exactly as daemontools' `pathexec_run` does
//! ([`exec::run`]), the child's environment edited as `pathexec_env` does
//! ([`Environment`]), accounts and dropping privileges ([`account`]), resource
//! limits ([`limit`]), lock files ([`lock`]), environment directories
//! ([`envdir`]: a pure value parser apart from the directory walk), the
//! readproctitle display ([`proctitle`]), and the few process calls
//! (session, fork, wait, descriptors) the tools need ([`process`]). The libc
//! calls are the `unix` crate's. Nothing here exits: the programs pick
//! messages and exit codes, and print them with `strerr`.
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
pub mod process;
pub mod proctitle;

mod env;

pub use env::Environment;
