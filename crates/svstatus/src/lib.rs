//! The service-directory protocol: status record codec, control letters, liveness, locks
