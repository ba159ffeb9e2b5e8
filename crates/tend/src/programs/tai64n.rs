//! tai64n: puts a TAI64N label and a space in front of each line of stdin.
//!
//! Like daemontools 0.76: no options, arguments ignored, a final partial line
//! passed through without a newline, exit 111 silently on I/O errors. Every
//! line that arrives in one read gets that read's time.

use std::ffi::OsStr;

use tai64::{Clock, Label, SystemClock};

use crate::filter::{self, Transform};

struct Stamp {
    at_line_start: bool,
}

impl Transform for Stamp {
    fn chunk(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        let label = Label::from_wall(SystemClock.wall()).to_hex();
        while !input.is_empty() {
            if self.at_line_start {
                out.extend_from_slice(&label);
                out.push(b' ');
            }
            let end = input.iter().position(|&c| c == b'\n').map_or(input.len(), |i| i + 1);
            let line = &input[..end];
            out.extend_from_slice(line);
            self.at_line_start = line.last() == Some(&b'\n');
            input = &input[end..];
        }
    }
    fn finish(&mut self, _out: &mut Vec<u8>) {}
}

pub fn main(_args: &[&OsStr]) -> u8 {
    filter::run(&mut Stamp { at_line_start: true })
}
