//! What each path answers: `/metrics` (Prometheus' text format, or
//! OpenMetrics when asked for), and every other path through [`Pages`],
//! the point where the status page plugs in ([`NoPages`]: 404).

use std::rc::Rc;
use std::time::Duration;

use timehealth::Report;

use crate::clock::{ClockCache, Steps};
use crate::collect::{Collector, Snapshot};
use crate::http::{Method, Request, Status};
use crate::metrics::{self, Extras};

/// A collection younger than this is served again rather than collected
/// anew: however many clients scrape, the services are read at most once
/// a second.
pub const FRESH: Duration = Duration::from_secs(1);

const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PLAIN: &str = "text/plain; charset=utf-8";

/// What a page is made from.
pub struct View<'a> {
    pub snapshot: &'a Snapshot,
    /// The last clock check, if one has ended.
    pub clock: Option<&'a Report>,
}

/// The pages served beside `/metrics`.
pub trait Pages {
    /// Writes the page at `path` (never `/metrics`; the path as requested,
    /// without its query string, not decoded) into `body`; its content
    /// type, or None: 404.
    fn page(&mut self, path: &[u8], view: &View, body: &mut String) -> Option<&'static str>;
}

/// No pages: every path but `/metrics` is 404.
pub struct NoPages;

impl Pages for NoPages {
    fn page(&mut self, _: &[u8], _: &View, _: &mut String) -> Option<&'static str> {
        None
    }
}

/// An answer: status, type and body (shared with the exporter: a slow
/// client holds the text it is sent, not a copy).
pub struct Response {
    pub status: Status,
    pub content_type: &'static str,
    pub body: Rc<String>,
    /// HEAD: the head only (its length is the body's).
    pub head_only: bool,
}

impl Response {
    /// An error's answer, with its status line as the body.
    pub fn error(status: Status) -> Response {
        let body = Rc::new(format!("{}\n", status.line()));
        Response { status, content_type: PLAIN, body, head_only: false }
    }
}

/// The exporter: its collector, its clock, its pages.
pub struct Exporter<P> {
    collector: Collector,
    clock: ClockCache,
    steps: Steps,
    pages: P,
    /// The last metrics, its buffer reused when no client holds it.
    metrics: Rc<String>,
}

fn now() -> Duration {
    unix::time::clock_gettime(libc::CLOCK_MONOTONIC)
}

impl<P: Pages> Exporter<P> {
    pub fn new(collector: Collector, clock: ClockCache, pages: P) -> Exporter<P> {
        Exporter { collector, clock, steps: Steps::default(), pages, metrics: Rc::default() }
    }

    /// The answer to `request`.
    pub fn answer(&mut self, request: &Request) -> Response {
        let head_only = request.method == Method::Head;
        if request.path == b"/metrics" {
            let body = self.metrics(request.openmetrics);
            let content_type = if request.openmetrics { OPENMETRICS } else { TEXT };
            return Response { status: Status::Ok, content_type, body, head_only };
        }
        let (report, _) = self.clock.get(now());
        let view = View { snapshot: self.collector.snapshot(FRESH), clock: report.as_deref() };
        let mut body = String::new();
        match self.pages.page(request.path, &view, &mut body) {
            Some(content_type) => Response { status: Status::Ok, content_type, body: Rc::new(body), head_only },
            None => Response { head_only, ..Response::error(Status::NotFound) },
        }
    }

    /// The metrics now, as text format or OpenMetrics.
    pub fn metrics(&mut self, openmetrics: bool) -> Rc<String> {
        let (_, clock) = self.clock.get(now());
        let backward_steps = self.steps.look(false);
        let snapshot = self.collector.snapshot(FRESH);
        let extras = Extras { clock: &clock, backward_steps, took: snapshot.took };
        let buf = Rc::get_mut(&mut self.metrics).map(std::mem::take).unwrap_or_default();
        self.metrics = Rc::new(metrics::render(snapshot, &extras, openmetrics, buf));
        Rc::clone(&self.metrics)
    }

    /// The wall clock was set (the step timer fired): look for a backward step now.
    pub fn wall_stepped(&mut self) {
        self.steps.look(true);
    }
}
