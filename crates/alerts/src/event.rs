//! The events and their one-line text (pure): `SERVICE: EVENT: DETAIL`.
//!
//! EVENT is one word ([`Event::word`]); DETAIL says by how much, and for a
//! recovery which alert ended. Tree-wide events (a clock step) name the
//! service `-`.

use std::time::Duration;

/// The alerts that last, each ended by one `recovered` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    Runaway,
    MemoryHigh,
    MemoryGrowing,
    CrashLoop,
    Down,
}

impl Alert {
    pub fn word(self) -> &'static str {
        match self {
            Alert::Runaway => "runaway",
            Alert::MemoryHigh => "memory-high",
            Alert::MemoryGrowing => "memory-growing",
            Alert::CrashLoop => "crash-loop",
            Alert::Down => "down",
        }
    }
}

/// The process that burned the most CPU in the last interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Busiest {
    pub pid: u32,
    /// Percent of one core over the last interval.
    pub percent: f64,
    /// Its command line (or name), shortened.
    pub command: String,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// Above the CPU threshold for `over`, `percent` on average over it.
    Runaway {
        percent: f64,
        over: Duration,
        busiest: Option<Busiest>,
    },
    MemoryHigh {
        rss: u64,
        limit: u64,
    },
    /// A new maximum in each of `windows` windows of `window` in a row.
    MemoryGrowing {
        rss: u64,
        windows: u32,
        window: Duration,
    },
    CrashLoop {
        restarts: u64,
        within: Duration,
        last_exit: Option<String>,
    },
    /// The kernel's OOM killer killed `kills` processes of the service.
    OomKill {
        kills: u64,
    },
    /// Wanted up but down for `over`.
    Down {
        over: Duration,
        last_exit: Option<String>,
        waiting: bool,
    },
    /// The wall clock was stepped by `by` seconds (negative: back).
    ClockStep {
        by: f64,
    },
    Recovered(Alert),
}

/// One event of one service (`-` for the tree).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub service: Vec<u8>,
    pub what: What,
}

/// The service name of tree-wide events.
pub const TREE: &[u8] = b"-";

impl Event {
    /// The event's word, the second field of the line and the hook's second argument.
    pub fn word(&self) -> &'static str {
        match &self.what {
            What::Runaway { .. } => Alert::Runaway.word(),
            What::MemoryHigh { .. } => Alert::MemoryHigh.word(),
            What::MemoryGrowing { .. } => Alert::MemoryGrowing.word(),
            What::CrashLoop { .. } => Alert::CrashLoop.word(),
            What::OomKill { .. } => "oom-kill",
            What::Down { .. } => Alert::Down.word(),
            What::ClockStep { .. } => "clock-step",
            What::Recovered(_) => "recovered",
        }
    }

    /// The rest of the line, the hook's third argument.
    pub fn detail(&self) -> String {
        match &self.what {
            What::Runaway { percent, over, busiest } => {
                let mut s = format!("cpu {percent:.0}% for {}", duration(*over));
                if let Some(b) = busiest {
                    s.push_str(&format!(" (busiest: pid {} at {:.0}%: {})", b.pid, b.percent, b.command));
                }
                s
            }
            What::MemoryHigh { rss, limit } => format!("resident {}, at or above {}", bytes(*rss), bytes(*limit)),
            What::MemoryGrowing { rss, windows, window } => {
                format!("resident {}, a new maximum in each of {windows} windows of {}", bytes(*rss), duration(*window))
            }
            What::CrashLoop { restarts, within, last_exit } => {
                let s = if *restarts == 1 { "" } else { "s" };
                format!("{restarts} restart{s} within {}{}", duration(*within), exit_note(last_exit))
            }
            What::OomKill { kills } => {
                format!("{kills} process{} killed by the OOM killer", if *kills == 1 { "" } else { "es" })
            }
            What::Down { over, last_exit, waiting } => {
                let waiting = if *waiting { " (waiting for its dependencies)" } else { "" };
                format!("wanted up, down for {}{}{waiting}", duration(*over), exit_note(last_exit))
            }
            What::ClockStep { by } => {
                format!("wall clock stepped {} by {:.3} s", if *by < 0.0 { "back" } else { "forward" }, by.abs())
            }
            What::Recovered(alert) => alert.word().into(),
        }
    }

    /// The line printed (without newline): `SERVICE: EVENT: DETAIL`.
    pub fn line(&self) -> Vec<u8> {
        [&self.service[..], b": ", self.word().as_bytes(), b": ", self.detail().as_bytes()].concat()
    }
}

fn exit_note(last_exit: &Option<String>) -> String {
    last_exit.as_ref().map(|e| format!(" (last {e})")).unwrap_or_default()
}

/// Whole seconds as `5m 0s`; below a second, as `0.2s`.
fn duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{}s", d.as_secs_f64());
    }
    resources::human::duration_short(d.as_secs())
}

fn bytes(n: u64) -> String {
    resources::human::bytes(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(service: &str, what: What) -> String {
        String::from_utf8(Event { service: service.into(), what }.line()).unwrap()
    }

    #[test]
    fn lines_are_stable() {
        let busiest = Busiest { pid: 123, percent: 96.6, command: "sh -c while :; do :; done".into() };
        assert_eq!(
            line("web", What::Runaway { percent: 97.2, over: Duration::from_secs(300), busiest: Some(busiest) }),
            "web: runaway: cpu 97% for 5m 0s (busiest: pid 123 at 97%: sh -c while :; do :; done)"
        );
        assert_eq!(line("web", What::Recovered(Alert::Runaway)), "web: recovered: runaway");
        assert_eq!(
            line("db", What::MemoryHigh { rss: 600 << 20, limit: 500 << 20 }),
            "db: memory-high: resident 600M, at or above 500M"
        );
        assert_eq!(
            line(
                "q",
                What::CrashLoop { restarts: 5, within: Duration::from_secs(300), last_exit: Some("exit 1".into()) }
            ),
            "q: crash-loop: 5 restarts within 5m 0s (last exit 1)"
        );
        assert_eq!(line("q", What::OomKill { kills: 2 }), "q: oom-kill: 2 processes killed by the OOM killer");
        assert_eq!(
            line("q", What::Down { over: Duration::from_secs(45), last_exit: None, waiting: true }),
            "q: down: wanted up, down for 45s (waiting for its dependencies)"
        );
        assert_eq!(line("-", What::ClockStep { by: -3.5 }), "-: clock-step: wall clock stepped back by 3.500 s");
    }
}
