use svstatus::{Status, DAEMONTOOLS_LEN, RECORD_LEN};

/// The status record decoder: any bytes decode or are refused as short,
/// never panic; a decoded record encodes to bytes that decode to the same
/// record, and a canonical record survives decode → encode unchanged.
pub fn svstatus_decode(data: &[u8]) {
    let Ok(status) = Status::decode(data) else {
        assert!(data.len() < DAEMONTOOLS_LEN);
        return;
    };
    let bytes = status.encode();
    let again = Status::decode(&bytes).expect("an encoded record decodes");
    // Bytes beyond those the input had are filled in by encode (runit's and
    // tend's fields), so compare what the input carried.
    assert_eq!(&bytes[..12], &data[..12]);
    assert_eq!(&bytes[12..16], &data[12..16]);
    assert_eq!(again.pid, status.pid);
    assert_eq!(again.want, status.want);
    assert_eq!(again.paused, status.paused);
    assert_eq!(again.stamp, status.stamp);
    if data.len() >= RECORD_LEN && status.extras.is_some() {
        assert_eq!(again, status);
    }
    if data.len() >= RECORD_LEN && Some(&bytes[..]) == data.get(..RECORD_LEN) {
        assert_eq!(Status::decode(&bytes), Ok(status));
    }
}
