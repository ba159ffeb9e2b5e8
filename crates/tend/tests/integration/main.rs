//! Integration tests: one test binary, one module per program family.
//! They run the built `tend` binary (symlinked under each program name) on
//! real directories and processes, and compare with Debian's daemontools,
//! runit and s6 where those define the behaviour.

mod util;

mod audit;
mod binary;
mod check;
mod clock;
mod console;
mod deps;
mod dispatch;
mod docs;
mod exporter;
mod limits;
mod log;
mod multilog;
mod nested;
mod notify;
mod notifyhook;
mod oneshot;
mod package;
mod peers;
mod prometheus;
mod rootless;
mod shutdown;
mod status;
mod statuspage;
mod stop;
mod supervise;
mod svclients;
mod svscan;
mod svwait;
mod syslogd;
mod tai64;
mod tools;
mod top;
mod watch;
