//! One snapshot: the services and their figures over the last interval
//! (the `resources` crate), and the header's machine figures: load, steal
//! time (timehealth's /proc/stat reading) and the clock verdict.
//!
//! The clock verdict is the kernel's discipline only (adjtimex read, one
//! system call: synchronised or not, clock error, slew limit), re-read every
//! [`CLOCK_EVERY`]: `tend clock`'s other probes query NTP servers and read
//! the kernel log, which would block the screen.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use resources::{busiest, cpu_percent, Detail, Phase, ProcTable, ServiceState, Source, Usage};
use timehealth::report::{self, Level, Report, Thresholds};
use timehealth::steal::{self, CpuTimes};

use super::table::{Header, Row};

/// How often the clock verdict is read again.
pub const CLOCK_EVERY: Duration = Duration::from_secs(30);

/// What the next sample is compared with.
pub struct Sampler {
    dirs: Vec<Vec<u8>>,
    cpu: Option<CpuTimes>,
    /// The verdict and when it was read (monotonic).
    clock: Option<(String, Duration)>,
    local: tai64::LocalFormatter,
    services: Services,
}

impl Sampler {
    pub fn new(dirs: &[Vec<u8>]) -> Sampler {
        Sampler {
            dirs: dirs.to_vec(),
            cpu: None,
            clock: None,
            local: tai64::LocalFormatter::new(),
            services: Services::default(),
        }
    }

    /// A snapshot; rates (CPU %, steal, busiest) are over the time since the
    /// previous call, unknown on the first.
    pub fn sample(&mut self) -> (Header, Vec<Row>) {
        let now = super::monotonic();
        let rows = self.services.sample(&self.dirs);
        let cpu = timehealth::probe::cpu_times(Path::new("/proc")).ok();
        let steal = self.cpu.zip(cpu).and_then(|(before, after)| steal::percent(before, after));
        self.cpu = cpu;
        let clock = match self.clock.take() {
            Some((verdict, at)) if now.saturating_sub(at) < CLOCK_EVERY => (verdict, at),
            _ => (clock_verdict(), now),
        };
        let header = Header { time: self.time(), load: resources::machine::loadavg(), steal, clock: clock.0.clone() };
        self.clock = Some(clock);
        (header, rows)
    }

    /// The local time of day, `HH:MM:SS`.
    fn time(&mut self) -> String {
        let wall = unix::time::clock_gettime(libc::CLOCK_REALTIME).as_secs() as i64;
        let mut text = Vec::new();
        self.local.push_date_time(wall, &mut text);
        String::from_utf8_lossy(text.get(11..).unwrap_or_default()).into_owned()
    }
}

/// `OK`, or the worst level and the key of its first finding
/// (`WARNING kernel_unsync`), from the kernel's time discipline alone.
fn clock_verdict() -> String {
    let mut r = Report { kernel: Some(timehealth::probe::kernel()), ..Report::default() };
    report::analyse(&mut r, &Thresholds::default());
    let level = r.verdict();
    match r.findings.iter().find(|f| f.level == level) {
        Some(f) if level != Level::Ok => format!("{} {}", level.name(), f.key),
        _ => level.name().into(),
    }
}

/// The services' previous samples, by directory, and the /proc reading
/// refreshed at each sample (it keeps where services' cgroups are).
#[derive(Default)]
struct Services {
    previous: HashMap<Vec<u8>, Usage>,
    table: Option<ProcTable>,
}

impl Services {
    /// Every service of `dirs`, from one reading of /proc.
    fn sample(&mut self, dirs: &[Vec<u8>]) -> Vec<Row> {
        let args: Vec<&[u8]> = dirs.iter().map(Vec::as_slice).collect();
        let entries = resources::services(&args);
        let states: Vec<Option<ServiceState>> =
            entries.iter().map(|e| e.error.is_none().then(|| ServiceState::read(&e.path))).collect();
        // Only the services' processes are read where each has its cgroup.
        let services: Vec<(&[u8], u32)> = entries
            .iter()
            .zip(&states)
            .filter_map(|(e, s)| Some((e.path.as_slice(), s.as_ref()?.main_pid()?)))
            .collect();
        let table = match &mut self.table {
            Some(t) => {
                t.refresh_for(&services, Detail::Summary);
                t
            }
            None => self.table.insert(ProcTable::read_for(&services, Detail::Summary)),
        };
        let mut next = HashMap::with_capacity(entries.len());
        let rows = entries
            .into_iter()
            .zip(states)
            .map(|(e, state)| {
                let name = String::from_utf8_lossy(&e.name).into_owned();
                let Some(state) = state else {
                    return Row { name, state: "error".into(), busiest: e.error, ..Row::default() };
                };
                let usage = table.usage_with(&e.path, state.main_pid(), Detail::Summary);
                let measured = usage.source != Source::None;
                let before = self.previous.get(&e.path).filter(|_| measured);
                let row = Row {
                    name,
                    state: state.phase.word().into(),
                    up: state.pid.is_some() && state.phase != Phase::Unsupervised,
                    uptime: state.since.as_ref().map(|s| s.age.as_secs()),
                    pid: state.pid,
                    restarts: state.restarts,
                    cpu: before.and_then(|b| cpu_percent(b, &usage)),
                    memory: measured.then_some(usage.rss),
                    busiest: before
                        .and_then(|b| busiest(b, &usage))
                        .map(|(p, _)| String::from_utf8_lossy(&p.comm).into_owned()),
                };
                next.insert(e.path, usage);
                row
            })
            .collect();
        self.previous = next;
        rows
    }
}
