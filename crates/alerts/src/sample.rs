//! A [`Sample`] of one service from what the `resources` crate reads: its
//! state from `supervise/status`, its usage from its cgroup or process
//! tree (one /proc pass for all services), CPU % and the busiest process
//! against its previous usage.

use resources::{Detail, Phase, ProcTable, ServiceEntry, ServiceState, Usage};
use svstatus::{LastExit, Want};

use crate::event::{Busiest, What};
use crate::tracker::Sample;

/// The longest command line in an event, in characters.
const COMMAND_MAX: usize = 80;

/// The sample of `entry`, its usage now (kept for the next sample's
/// rates) and its main pid.
pub fn take(entry: &ServiceEntry, table: &ProcTable, last: Option<&Usage>) -> (Sample, Usage, Option<u32>) {
    let state = ServiceState::read(&entry.path);
    let usage = table.usage_with(&entry.path, state.main_pid(), Detail::Summary);
    let up = state.pid.is_some();
    let supervised = state.phase != Phase::Unsupervised && state.phase != Phase::Unknown;
    let extras = state.status.and_then(|s| s.extras);
    let sample = Sample {
        up,
        wants_up: supervised && state.want == Some(Want::Up),
        waiting: extras.is_some_and(|x| x.waiting),
        oneshot: extras.is_some_and(|x| x.oneshot.is_some()),
        pid: state.pid.unwrap_or(0),
        restarts: state.restarts,
        last_exit: state.last_exit.map(|e| match e {
            LastExit::Code(c) => format!("exit {c}"),
            LastExit::Signal(s) => format!("signal {s}"),
        }),
        cpu_percent: last.and_then(|l| resources::cpu_percent(l, &usage)),
        busiest: last.and_then(|l| resources::busiest(l, &usage)).map(|(p, percent)| Busiest {
            pid: p.pid,
            percent,
            command: String::from_utf8_lossy(&p.comm).into_owned(),
        }),
        rss: (usage.source != resources::Source::None).then_some(usage.rss),
        oom_kills: usage.oom_kills,
    };
    (sample, usage, state.main_pid())
}

/// A runaway's busiest process named by its command line (read only then:
/// samples read no command lines), where it can still be read.
pub fn name_busiest(entry: &ServiceEntry, table: &ProcTable, main_pid: Option<u32>, what: &mut What) {
    let What::Runaway { busiest: Some(b), .. } = what else { return };
    let full = table.usage_with(&entry.path, main_pid, Detail::Full);
    if let Some(p) = full.procs.iter().find(|p| p.pid == b.pid && !p.cmdline.is_empty()) {
        let line = String::from_utf8_lossy(&p.cmdline);
        b.command = line.chars().take(COMMAND_MAX).collect();
        if line.chars().nth(COMMAND_MAX).is_some() {
            b.command.push_str("...");
        }
    }
}
