//! svscan: one supervise per service directory, log pipes, rescans on change, orderly shutdown
