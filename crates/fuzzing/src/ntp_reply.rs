use timehealth::ntp::{check_reply, Packet, Timestamp, PACKET_LEN};

/// The NTP reply parser decodes any bytes; a decoded header encodes back to
/// the same 48 bytes, and checking it against any request does not panic
/// and gives a finite offset and delay.
pub fn ntp_reply(data: &[u8]) {
    let Ok(packet) = Packet::decode(data) else {
        assert!(data.len() < PACKET_LEN);
        return;
    };
    assert_eq!(&packet.encode()[..], &data[..PACKET_LEN]);
    let sent = packet.origin;
    let received = Timestamp(sent.0.wrapping_add(1 << 30));
    if let Ok(sample) = check_reply(&packet, sent, received) {
        assert!(sample.offset.is_finite() && sample.delay.is_finite() && sample.delay >= 0.0);
        assert!(sample.stratum > 0 && sample.stratum < 16);
    }
    let _ = check_reply(&packet, Timestamp(!sent.0), received).map(|s| s.reference());
}
