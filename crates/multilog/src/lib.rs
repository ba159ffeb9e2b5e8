//! multilog: script parser, pattern matcher and log-directory engine
