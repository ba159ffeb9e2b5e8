/// envdir's value parser never panics, and its result obeys daemontools'
/// rules: no newline from the file survives, NULs become newlines, no
/// trailing blanks, and empty input (only empty input) removes the variable.
pub fn envdir_value(data: &[u8]) {
    let value = chainload::envdir::value(data);
    if data.is_empty() {
        assert!(value.is_none());
        return;
    }
    let value = value.expect("a non-empty file sets its variable");
    let line = data.split(|&c| c == b'\n').next().unwrap_or_default();
    assert!(value.len() <= line.len());
    assert!(!value.ends_with(b" ") && !value.ends_with(b"\t"));
    assert!(!value.contains(&0));
    // Turning the newlines back into NULs gives a prefix of the first line.
    let back: Vec<u8> = value.iter().map(|&c| if c == b'\n' { 0 } else { c }).collect();
    assert_eq!(&line[..back.len()], &back[..]);
    // Parsing the value again (as a file of its own) is stable unless it held NULs.
    if !line.contains(&0) && !value.is_empty() {
        assert_eq!(chainload::envdir::value(&value), Some(value.clone()));
    }
}
