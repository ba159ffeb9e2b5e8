//! Chain-loading: PATH search and exec as daemontools does it, accounts, limits, locks, environment directories
