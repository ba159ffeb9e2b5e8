//! tai64nlocal: turns a leading TAI64N label into local date and time.
//!
//! Output is byte-identical to daemontools 0.76 (`YYYY-MM-DD HH:MM:SS.NNNNNNNNN`,
//! TZ honoured). Differences: where daemontools segfaults on a malformed label
//! (empty, short, uppercase, non-hex, out of range) the line passes through
//! unchanged, and a label that ends the input with nothing after it is kept
//! rather than dropped.

use std::ffi::OsStr;

use tai64::{convert_line, LocalFormatter};

use crate::filter::{self, Transform};

/// A label longer than this cannot be anything but garbage; it is passed
/// through so memory stays bounded.
const MAX_LABEL: usize = 4096;

enum State {
    LineStart,
    /// Collecting `@` and hex digits.
    Label,
    /// Copying the rest of the line.
    Rest,
}

struct Localize {
    state: State,
    label: Vec<u8>,
    fmt: LocalFormatter,
}

impl Transform for Localize {
    fn chunk(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while let Some(&c) = input.first() {
            match self.state {
                State::LineStart if c == b'@' => {
                    self.label.clear();
                    self.label.push(c);
                    self.state = State::Label;
                    input = &input[1..];
                }
                State::LineStart => self.state = State::Rest,
                State::Label => {
                    let hex = input.iter().take_while(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')).count();
                    self.label.extend_from_slice(&input[..hex]);
                    input = &input[hex..];
                    if self.label.len() > MAX_LABEL {
                        out.extend_from_slice(&self.label);
                        self.state = State::Rest;
                    } else if let Some(&end) = input.first() {
                        self.label.push(end);
                        convert_line(&self.label, &mut self.fmt, out);
                        input = &input[1..];
                        self.state = if end == b'\n' { State::LineStart } else { State::Rest };
                    }
                }
                State::Rest => {
                    let end = input.iter().position(|&c| c == b'\n');
                    let take = end.map_or(input.len(), |i| i + 1);
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if end.is_some() {
                        self.state = State::LineStart;
                    }
                }
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if let State::Label = self.state {
            out.extend_from_slice(&self.label);
        }
    }
}

pub fn main(_args: &[&OsStr]) -> u8 {
    filter::run(&mut Localize { state: State::LineStart, label: Vec::new(), fmt: LocalFormatter::new() })
}
