//! The NTP packet (RFC 5905 §7.3) and the checks an SNTP client (RFC 4330 §5)
//! makes on a reply. Pure: no sockets, no clock; times come in as arguments.

use std::fmt;
use std::time::Duration;

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const UNIX_TO_NTP: u64 = 2_208_988_800;
/// The size of an NTP header without extension fields.
pub const PACKET_LEN: usize = 48;
/// Mode of a client request.
const MODE_CLIENT: u8 = 3;
/// Mode of a server reply.
const MODE_SERVER: u8 = 4;
/// Mode of a broadcast packet, also accepted as a reply by RFC 4330.
const MODE_BROADCAST: u8 = 5;
/// Leap indicator "alarm": the server's clock is not synchronised.
pub const LEAP_ALARM: u8 = 3;

/// An NTP timestamp: seconds since 1900 in the high 32 bits, fraction in the low 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The timestamp of `since_unix` (time since the unix epoch), in the current NTP era.
    pub fn from_unix(since_unix: Duration) -> Timestamp {
        let secs = since_unix.as_secs().wrapping_add(UNIX_TO_NTP) & 0xffff_ffff;
        let frac = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
        Timestamp((secs << 32) | frac)
    }

    /// `self + d`.
    pub fn plus(self, d: Duration) -> Timestamp {
        let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
        Timestamp(self.0.wrapping_add((d.as_secs() << 32).wrapping_add(frac)))
    }

    /// `self - other` in seconds, correct across an era rollover as long as the
    /// two are less than 68 years apart (RFC 5905 §6).
    pub fn minus(self, other: Timestamp) -> f64 {
        self.0.wrapping_sub(other.0) as i64 as f64 / 4_294_967_296.0
    }
}

/// An NTP header as it is on the wire; every field kept so that
/// [`Packet::encode`] gives back the bytes [`Packet::decode`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Packet {
    pub leap: u8,
    pub version: u8,
    pub mode: u8,
    pub stratum: u8,
    pub poll: i8,
    pub precision: i8,
    /// NTP short format (16.16 seconds).
    pub root_delay: u32,
    pub root_dispersion: u32,
    pub reference_id: [u8; 4],
    pub reference: Timestamp,
    pub origin: Timestamp,
    pub receive: Timestamp,
    pub transmit: Timestamp,
}

impl Packet {
    /// A client request (LI 0, VN 4, mode 3) whose transmit timestamp is `transmit`.
    pub fn request(transmit: Timestamp) -> Packet {
        Packet { version: 4, mode: MODE_CLIENT, transmit, ..Packet::default() }
    }

    /// Reads the first 48 bytes of `bytes`; extension fields after them are ignored.
    pub fn decode(bytes: &[u8]) -> Result<Packet, ReplyError> {
        let b: &[u8; PACKET_LEN] =
            bytes.get(..PACKET_LEN).and_then(|h| h.try_into().ok()).ok_or(ReplyError::Short(bytes.len()))?;
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let ts_at = |i: usize| Timestamp((u64::from(u32_at(i)) << 32) | u64::from(u32_at(i + 4)));
        Ok(Packet {
            leap: b[0] >> 6,
            version: (b[0] >> 3) & 7,
            mode: b[0] & 7,
            stratum: b[1],
            poll: b[2] as i8,
            precision: b[3] as i8,
            root_delay: u32_at(4),
            root_dispersion: u32_at(8),
            reference_id: [b[12], b[13], b[14], b[15]],
            reference: ts_at(16),
            origin: ts_at(24),
            receive: ts_at(32),
            transmit: ts_at(40),
        })
    }

    /// The 48 bytes on the wire.
    pub fn encode(&self) -> [u8; PACKET_LEN] {
        let mut b = [0u8; PACKET_LEN];
        b[0] = (self.leap << 6) | ((self.version & 7) << 3) | (self.mode & 7);
        b[1] = self.stratum;
        b[2] = self.poll as u8;
        b[3] = self.precision as u8;
        b[4..8].copy_from_slice(&self.root_delay.to_be_bytes());
        b[8..12].copy_from_slice(&self.root_dispersion.to_be_bytes());
        b[12..16].copy_from_slice(&self.reference_id);
        for (i, ts) in [self.reference, self.origin, self.receive, self.transmit].iter().enumerate() {
            b[16 + 8 * i..24 + 8 * i].copy_from_slice(&ts.0.to_be_bytes());
        }
        b
    }
}

/// Why a reply is not a usable time sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    /// Fewer than 48 bytes.
    Short(usize),
    /// Not a server (4) or broadcast (5) packet.
    Mode(u8),
    /// Version 0.
    Version,
    /// The origin timestamp is not the transmit timestamp of our request:
    /// a stale, duplicated or forged reply.
    Origin,
    /// The server says its clock is not synchronised (LI 3, or stratum 0 with
    /// no kiss code, or stratum 16 and up).
    Unsynchronised { leap: u8, stratum: u8 },
    /// A kiss-o'-death (stratum 0) with its four-letter code (DENY, RSTR, RATE, ...).
    Kiss(String),
    /// The transmit timestamp is zero.
    ZeroTransmit,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::Short(n) => write!(f, "short reply ({n} bytes, 48 needed)"),
            ReplyError::Mode(m) => write!(f, "reply has mode {m}, not a server reply"),
            ReplyError::Version => write!(f, "reply has version 0"),
            ReplyError::Origin => write!(f, "origin timestamp does not match our request"),
            ReplyError::Unsynchronised { leap, stratum } => {
                write!(f, "server unsynchronised (leap {leap}, stratum {stratum})")
            }
            ReplyError::Kiss(code) => write!(f, "kiss-o'-death {code}{}", kiss_meaning(code)),
            ReplyError::ZeroTransmit => write!(f, "reply has a zero transmit timestamp"),
        }
    }
}

fn kiss_meaning(code: &str) -> &'static str {
    match code {
        "DENY" | "RSTR" => " (access denied: stop querying this server)",
        "RATE" => " (rate exceeded: query less often)",
        _ => "",
    }
}

/// A usable time sample from one server.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Seconds to add to the local clock to get the server's (θ > 0: we are behind).
    pub offset: f64,
    /// Round-trip delay in seconds, network only.
    pub delay: f64,
    pub stratum: u8,
    pub leap: u8,
    pub reference_id: [u8; 4],
    pub root_delay: f64,
    pub root_dispersion: f64,
}

impl Sample {
    /// The reference id as people read it: a refclock name at stratum 1,
    /// an IPv4 address above.
    pub fn reference(&self) -> String {
        reference_name(self.stratum, self.reference_id)
    }

    /// The server is itself fed only by an undisciplined local clock (127.127.1.x).
    pub fn reference_is_local_clock(&self) -> bool {
        is_local_clock_id(self.reference_id)
    }
}

/// `127.127.1.x`, the refid of ntpd's LOCAL driver and chrony's `local` mode.
pub fn is_local_clock_id(id: [u8; 4]) -> bool {
    id[0] == 127 && id[1] == 127 && id[2] == 1
}

/// The reference id shown as a refclock name (stratum 0 and 1) or an address.
pub fn reference_name(stratum: u8, id: [u8; 4]) -> String {
    if stratum <= 1 {
        let text: String = id.iter().take_while(|&&c| c != 0).map(|&c| c as char).collect();
        if text.chars().all(|c| c.is_ascii_graphic()) {
            return text;
        }
    }
    format!("{}.{}.{}.{}", id[0], id[1], id[2], id[3])
}

fn short_to_secs(v: u32) -> f64 {
    f64::from(v) / 65536.0
}

/// Checks `reply` against the request we sent (`sent` = its transmit timestamp)
/// and computes offset and delay from T1 = `sent`, T2/T3 from the reply and
/// T4 = `received`.
pub fn check_reply(reply: &Packet, sent: Timestamp, received: Timestamp) -> Result<Sample, ReplyError> {
    if reply.mode != MODE_SERVER && reply.mode != MODE_BROADCAST {
        return Err(ReplyError::Mode(reply.mode));
    }
    if reply.version == 0 {
        return Err(ReplyError::Version);
    }
    if reply.origin != sent {
        return Err(ReplyError::Origin);
    }
    if reply.stratum == 0 {
        let id = reply.reference_id;
        let kiss = id.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) && id[0].is_ascii_uppercase();
        return Err(if kiss {
            ReplyError::Kiss(id.iter().map(|&c| c as char).collect())
        } else {
            ReplyError::Unsynchronised { leap: reply.leap, stratum: 0 }
        });
    }
    if reply.leap == LEAP_ALARM || reply.stratum >= 16 {
        return Err(ReplyError::Unsynchronised { leap: reply.leap, stratum: reply.stratum });
    }
    if reply.transmit.0 == 0 {
        return Err(ReplyError::ZeroTransmit);
    }
    let (t1, t2, t3, t4) = (sent, reply.receive, reply.transmit, received);
    Ok(Sample {
        offset: (t2.minus(t1) + t3.minus(t4)) / 2.0,
        delay: (t4.minus(t1) - t3.minus(t2)).max(0.0),
        stratum: reply.stratum,
        leap: reply.leap,
        reference_id: reply.reference_id,
        root_delay: short_to_secs(reply.root_delay),
        root_dispersion: short_to_secs(reply.root_dispersion),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(unix: f64) -> Timestamp {
        Timestamp::from_unix(Duration::from_secs_f64(unix))
    }

    fn reply(sent: Timestamp, server_ahead: f64) -> Packet {
        Packet {
            leap: 0,
            version: 4,
            mode: 4,
            stratum: 8,
            reference_id: [127, 127, 1, 1],
            origin: sent,
            receive: ts(1_700_000_000.010 + server_ahead),
            transmit: ts(1_700_000_000.011 + server_ahead),
            root_delay: 0x8000,
            ..Packet::default()
        }
    }

    #[test]
    fn offset_and_delay_follow_rfc_5905() {
        let sent = ts(1_700_000_000.0);
        let got = check_reply(&reply(sent, 300.0), sent, ts(1_700_000_000.021)).unwrap();
        assert!((got.offset - 300.0).abs() < 1e-6, "{}", got.offset);
        assert!((got.delay - 0.020).abs() < 1e-6, "{}", got.delay);
        assert_eq!(got.reference(), "127.127.1.1");
        assert!(got.reference_is_local_clock());
        assert_eq!(got.root_delay, 0.5);
    }

    #[test]
    fn encode_decode_round_trip() {
        let p = reply(ts(1_700_000_000.5), -2.0);
        assert_eq!(Packet::decode(&p.encode()).unwrap(), p);
        let req = Packet::request(ts(1.0)).encode();
        assert_eq!(req[0], 0x23);
    }

    #[test]
    fn bad_replies_are_named() {
        let sent = ts(1_700_000_000.0);
        let now = ts(1_700_000_000.02);
        assert_eq!(Packet::decode(&[0x24; 47]), Err(ReplyError::Short(47)));
        let mut p = reply(sent, 0.0);
        p.origin = ts(5.0);
        assert_eq!(check_reply(&p, sent, now), Err(ReplyError::Origin));
        let mut p = reply(sent, 0.0);
        p.mode = 3;
        assert_eq!(check_reply(&p, sent, now), Err(ReplyError::Mode(3)));
        // What an unsynchronised chronyd sends: LI 3, stratum 0, refid 0.
        let mut p = reply(sent, 0.0);
        (p.leap, p.stratum, p.reference_id) = (3, 0, [0; 4]);
        assert_eq!(check_reply(&p, sent, now), Err(ReplyError::Unsynchronised { leap: 3, stratum: 0 }));
        let mut p = reply(sent, 0.0);
        (p.leap, p.stratum, p.reference_id) = (3, 0, *b"RATE");
        let e = check_reply(&p, sent, now).unwrap_err();
        assert_eq!(e, ReplyError::Kiss("RATE".into()));
        assert!(e.to_string().contains("query less often"));
        let mut p = reply(sent, 0.0);
        p.leap = 3;
        assert_eq!(check_reply(&p, sent, now), Err(ReplyError::Unsynchronised { leap: 3, stratum: 8 }));
        let mut p = reply(sent, 0.0);
        p.transmit = Timestamp(0);
        assert_eq!(check_reply(&p, sent, now), Err(ReplyError::ZeroTransmit));
    }

    #[test]
    fn differences_survive_the_2036_rollover() {
        let before = Timestamp(0xffff_ffff_0000_0000);
        let after = Timestamp(0x0000_0001_0000_0000);
        assert_eq!(after.minus(before), 2.0);
        assert_eq!(before.minus(after), -2.0);
    }

    #[test]
    fn stratum_one_reference_is_a_name() {
        assert_eq!(reference_name(1, *b"GPS\0"), "GPS");
        assert_eq!(reference_name(2, [192, 0, 2, 1]), "192.0.2.1");
    }
}
