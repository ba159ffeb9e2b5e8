//! What the running daemon itself says: `ntpq -p` (ntpd, ntpsec) and
//! `chronyc tracking` / `chronyc -c sources`. Offsets are normalised to the
//! SNTP sign: positive means the local clock is behind the source.

/// One source of the daemon.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// ntpq's tally code or chrony's state letter: `*` selected, `+` combined,
    /// `-`/`x`/`~`/`?`/space rejected.
    pub state: char,
    pub name: String,
    pub refid: String,
    pub stratum: Option<u8>,
    /// The reach register (8 bits, shown in octal by the tools).
    pub reach: u16,
    /// Seconds (positive: the local clock is behind this source).
    pub offset: Option<f64>,
    /// An undisciplined local clock (LOCAL(0), 127.127.1.x, refid LOCL).
    pub local_clock: bool,
}

impl Peer {
    /// The source the daemon disciplines the clock to.
    pub fn selected(&self) -> bool {
        self.state == '*' || self.state == 'o'
    }
}

/// `chronyc tracking`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    /// Eight hex digits.
    pub reference_id: String,
    pub name: String,
    pub stratum: u8,
    /// Seconds the system clock is behind chrony's NTP time (negative: ahead).
    pub system_time: f64,
    pub freq_ppm: f64,
    pub leap: String,
}

impl Tracking {
    /// Tracking chrony's own `local` clock (Reference ID 7F7F0101).
    pub fn local_clock(&self) -> bool {
        self.reference_id.eq_ignore_ascii_case("7F7F0101")
    }
}

/// The daemon's own view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub tracking: Option<Tracking>,
    pub peers: Vec<Peer>,
}

impl View {
    /// Why the daemon is synchronised only to an undisciplined local clock, if it is
    /// (the trap of field report 001).
    pub fn local_clock_selected(&self) -> Option<String> {
        if let Some(t) = self.tracking.as_ref().filter(|t| t.local_clock()) {
            return Some(format!(
                "it tracks its own local clock (Reference ID {}, stratum {})",
                t.reference_id, t.stratum
            ));
        }
        let sys = self.peers.iter().find(|p| p.selected())?;
        sys.local_clock.then(|| format!("its system peer is the local clock {} (refid {})", sys.name, sys.refid))
    }

    /// The largest offset to a reachable network source, signed.
    pub fn worst_upstream_offset(&self) -> Option<f64> {
        self.peers
            .iter()
            .filter(|p| !p.local_clock && p.reach != 0)
            .filter_map(|p| p.offset)
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
    }
}

fn is_local(name: &str, refid: &str) -> bool {
    name.starts_with("LOCAL(") || name.starts_with("127.127.1.") || refid.trim_matches('.') == "LOCL"
}

/// `ntpq -p` / `ntpq -pn`: header lines skipped, each peer line read.
pub fn parse_ntpq(text: &str) -> Vec<Peer> {
    let mut peers = Vec::new();
    for line in text.lines() {
        let mut chars = line.chars();
        let Some(first) = chars.next() else { continue };
        let (state, rest) = if "*+-#xo.".contains(first) {
            (first, chars.as_str())
        } else if first.is_whitespace() {
            (' ', chars.as_str())
        } else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() < 10 || f[2].parse::<u8>().is_err() || f[3].chars().count() != 1 {
            continue;
        }
        let (name, refid) = (f[0].to_string(), f[1].to_string());
        peers.push(Peer {
            state,
            local_clock: is_local(&name, &refid) || f[3] == "l" && name.starts_with("127.127.1"),
            stratum: f[2].parse().ok(),
            reach: u16::from_str_radix(f[6], 8).unwrap_or(0),
            offset: f[8].parse::<f64>().ok().map(|ms| ms / 1000.0),
            name,
            refid,
        });
    }
    peers
}

/// `chronyc tracking` in its text form or its CSV form (`-c`).
pub fn parse_chronyc_tracking(text: &str) -> Option<Tracking> {
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    if !first.contains(" : ") {
        let f: Vec<&str> = first.trim().split(',').collect();
        if f.len() < 14 {
            return None;
        }
        return Some(Tracking {
            reference_id: f[0].to_string(),
            name: f[1].to_string(),
            stratum: f[2].parse().ok()?,
            system_time: f[4].parse().ok()?,
            freq_ppm: f[7].parse().ok()?,
            leap: f[13].to_string(),
        });
    }
    let field = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(" : ")?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let reference = field("Reference ID")?;
    let (id, name) = reference.split_once(' ').unwrap_or((&reference, ""));
    let signed = |v: String, negative_word: &str| -> Option<f64> {
        let mut w = v.split_whitespace();
        let n: f64 = w.next()?.parse().ok()?;
        let sign = if v.contains(negative_word) { -1.0 } else { 1.0 };
        Some(sign * n)
    };
    Some(Tracking {
        reference_id: id.to_string(),
        name: name.trim_matches(|c| c == '(' || c == ')').to_string(),
        stratum: field("Stratum")?.parse().ok()?,
        system_time: signed(field("System time")?, "fast")?,
        freq_ppm: signed(field("Frequency")?, "slow")?,
        leap: field("Leap status")?,
    })
}

/// `chronyc -c sources`: `M,S,name,stratum,poll,reach,lastrx,adjusted,measured,error`.
pub fn parse_chronyc_sources(text: &str) -> Vec<Peer> {
    let mut peers = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.trim().split(',').collect();
        if f.len() < 10 || f[0].chars().count() != 1 {
            continue;
        }
        let name = f[2].to_string();
        peers.push(Peer {
            state: f[1].chars().next().unwrap_or('?'),
            local_clock: is_local(&name, ""),
            refid: String::new(),
            stratum: f[3].parse().ok(),
            reach: u16::from_str_radix(f[5], 8).unwrap_or(0),
            // chrony's sample is "local minus source"; turn it into the SNTP sign.
            offset: f[8].parse::<f64>().ok().map(|o| -o),
            name,
        });
    }
    peers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntpq_header_and_odd_spacing() {
        let text = "     remote           refid      st t when poll reach   delay   offset  jitter\n\
==============================================================================\n\
*192.0.2.1       .GPS.            1 u   24   64  377    4.979  237.430  38.567\n\
x192.0.2.2       192.0.2.9        2 u    -   64    0    0.000    0.000   0.000\n";
        let p = parse_ntpq(text);
        assert_eq!(p.len(), 2);
        assert!(p[0].selected());
        assert_eq!(p[0].reach, 0o377);
        assert!((p[0].offset.unwrap() - 0.23743).abs() < 1e-9);
        assert_eq!(p[1].state, 'x');
        assert_eq!(View { tracking: None, peers: p }.local_clock_selected(), None);
    }
}
