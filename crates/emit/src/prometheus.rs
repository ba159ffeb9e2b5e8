//! The Prometheus text exposition format (version 0.0.4), as node_exporter's
//! textfile collector and a scrape read it: per metric family one `# HELP`
//! and one `# TYPE` line, then its samples, every family's lines together.
//!
//! [`Exposition::reusing`] with `openmetrics` writes OpenMetrics 1.0 instead, for a
//! scraper that asks for it: a counter's HELP and TYPE name its family
//! without the `_total` its samples carry, and [`Exposition::finish`] ends
//! the text with `# EOF`.
//!
//! Metric and label names are the caller's constants and must match
//! `[a-zA-Z_:][a-zA-Z0-9_:]*`; they are written as given. HELP text escapes
//! `\` and newline; label values escape `\`, `"` and newline. Values are
//! written as Rust prints an `f64` (shortest exact form, never an exponent),
//! and `NaN`, `+Inf`, `-Inf` as Prometheus spells them.

use std::fmt::Write;

/// A metric family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A value that goes up and down.
    Gauge,
    /// A count that only goes up (and restarts at zero with its process).
    Counter,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Gauge => "gauge",
            Type::Counter => "counter",
        }
    }
}

/// An exposition being written.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
    openmetrics: bool,
}

/// The family whose header was just written; its samples go through it.
pub struct Family<'a> {
    out: &'a mut String,
    name: &'a str,
}

impl Exposition {
    pub fn new() -> Exposition {
        Exposition::default()
    }

    /// A text-format (`openmetrics` false) or OpenMetrics exposition
    /// written into `buf`, cleared first (a caller that writes one
    /// exposition after another reuses its buffer).
    pub fn reusing(mut buf: String, openmetrics: bool) -> Exposition {
        buf.clear();
        Exposition { out: buf, openmetrics }
    }

    /// The text written so far.
    pub fn into_string(self) -> String {
        self.out
    }

    /// Lines written by another exposition of the same format (whole
    /// families), added as they are.
    pub fn append(&mut self, families: &str) {
        self.out.push_str(families);
    }

    /// The text, ended as its format wants (OpenMetrics: `# EOF`).
    pub fn finish(mut self) -> String {
        if self.openmetrics {
            self.out.push_str("# EOF\n");
        }
        self.out
    }

    /// Starts a family: its HELP and TYPE lines. Start each family once and
    /// write all its samples through the returned [`Family`].
    pub fn family<'a>(&'a mut self, name: &'a str, help: &str, kind: Type) -> Family<'a> {
        let out = &mut self.out;
        // OpenMetrics names a counter's family without its samples' suffix.
        let family = match kind {
            Type::Counter if self.openmetrics => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        out.push_str("# HELP ");
        out.push_str(family);
        out.push(' ');
        for c in help.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '"' if self.openmetrics => out.push_str("\\\""),
                c => out.push(c),
            }
        }
        let _ = writeln!(out, "\n# TYPE {family} {}", kind.name());
        Family { out, name }
    }

    /// A family with a single sample and no labels.
    pub fn single(&mut self, name: &str, help: &str, kind: Type, value: f64) {
        self.family(name, help, kind).sample(&[], value);
    }
}

impl Family<'_> {
    /// One sample: `name{label="value",...} value`.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        let out = &mut *self.out;
        out.push_str(self.name);
        for (i, (label, v)) in labels.iter().enumerate() {
            out.push(if i == 0 { '{' } else { ',' });
            out.push_str(label);
            out.push_str("=\"");
            // The runs between the bytes escaped are copied whole.
            let mut rest = *v;
            while let Some(i) = rest.find(['\\', '"', '\n']) {
                out.push_str(rest.get(..i).unwrap_or_default());
                out.push_str(match rest.as_bytes().get(i) {
                    Some(b'\\') => "\\\\",
                    Some(b'"') => "\\\"",
                    _ => "\\n",
                });
                rest = rest.get(i + 1..).unwrap_or_default();
            }
            out.push_str(rest);
            out.push('"');
        }
        if !labels.is_empty() {
            out.push('}');
        }
        out.push(' ');
        if value.is_nan() {
            out.push_str("NaN");
        } else if value.is_infinite() {
            out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
        } else {
            let _ = write!(out, "{value}");
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline_only() {
        let mut p = Exposition::new();
        p.family("m", "h", Type::Gauge).sample(&[("a", "x\\y\"z\nw\tv"), ("b", "é")], 1.0);
        assert_eq!(p.into_string(), "# HELP m h\n# TYPE m gauge\nm{a=\"x\\\\y\\\"z\\nw\tv\",b=\"é\"} 1\n");
    }

    #[test]
    fn help_escapes_backslash_and_newline_but_not_quotes() {
        let mut p = Exposition::new();
        p.family("m", "a \\ b\nc \"d\"", Type::Counter);
        assert_eq!(p.into_string(), "# HELP m a \\\\ b\\nc \"d\"\n# TYPE m counter\n");
    }

    #[test]
    fn values_as_prometheus_parses_them() {
        let mut p = Exposition::new();
        let mut f = p.family("v", "values", Type::Gauge);
        for v in [0.0, -0.5, 16.0, 300.000017, 1e21, 1.5e-7, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            f.sample(&[], v);
        }
        let text = p.into_string();
        let values: Vec<&str> = text.lines().skip(2).map(|l| l.strip_prefix("v ").unwrap()).collect();
        assert_eq!(
            values,
            ["0", "-0.5", "16", "300.000017", "1000000000000000000000", "0.00000015", "NaN", "+Inf", "-Inf"]
        );
    }

    #[test]
    fn openmetrics_counters_and_eof() {
        let mut p = Exposition::reusing(String::from("old text"), true);
        p.family("tend_restarts_total", "Restarts \"counted\".", Type::Counter).sample(&[], 2.0);
        p.single("tend_up", "1 if up.", Type::Gauge, 1.0);
        assert_eq!(
            p.finish(),
            "# HELP tend_restarts Restarts \\\"counted\\\".\n# TYPE tend_restarts counter\ntend_restarts_total 2\n\
             # HELP tend_up 1 if up.\n# TYPE tend_up gauge\ntend_up 1\n# EOF\n"
        );
        let mut p = Exposition::reusing(String::from("old"), false);
        p.single("n_total", "count.", Type::Counter, 1.0);
        assert_eq!(p.finish(), "# HELP n_total count.\n# TYPE n_total counter\nn_total 1\n");
    }

    #[test]
    fn headers_once_per_family_then_its_samples() {
        let mut p = Exposition::new();
        let mut f = p.family("up", "1 if up.", Type::Gauge);
        f.sample(&[("s", "a")], 1.0);
        f.sample(&[("s", "b")], 0.0);
        p.single("n", "count.", Type::Counter, 3.0);
        assert_eq!(
            p.into_string(),
            "# HELP up 1 if up.\n# TYPE up gauge\nup{s=\"a\"} 1\nup{s=\"b\"} 0\n# HELP n count.\n# TYPE n counter\nn 3\n"
        );
    }
}
