//! A streaming JSON writer (RFC 8259): values are appended as they are
//! given, commas and colons placed by the writer, so no caller builds a tree
//! or counts fields.
//!
//! Strings are taken as bytes, because Unix names need not be UTF-8 and JSON
//! text must be: every valid UTF-8 sequence is kept, every maximal invalid
//! one becomes one U+FFFD (what `String::from_utf8_lossy` does). `"` and `\`
//! are escaped, control characters become `\b \f \n \r \t` or `\u00XX`;
//! nothing else is escaped. Numbers that JSON cannot carry (NaN, infinities)
//! are written as `null`.

/// A JSON text being written. Call [`Json::object`], [`Json::array`] or a
/// value method once for the top-level value.
#[derive(Debug, Default)]
pub struct Json {
    out: String,
    /// A value was just written at this level: the next one needs a comma.
    comma: bool,
}

/// Something that can be written as one JSON value.
pub trait Value {
    fn write(&self, j: &mut Json);
}

impl Json {
    pub fn new() -> Json {
        Json::default()
    }

    /// The text written so far.
    pub fn into_string(self) -> String {
        self.out
    }

    fn separate(&mut self) {
        if self.comma {
            self.out.push(',');
        }
        self.comma = true;
    }

    /// `{`, what `fields` writes (through [`Json::key`] or [`Json::field`]), `}`.
    pub fn object(&mut self, fields: impl FnOnce(&mut Json)) {
        self.enclosed('{', fields, '}');
    }

    /// `[`, the values `items` writes, `]`.
    pub fn array(&mut self, items: impl FnOnce(&mut Json)) {
        self.enclosed('[', items, ']');
    }

    /// One value: `open`, the members `inside` writes (comma-separated), `close`.
    fn enclosed(&mut self, open: char, inside: impl FnOnce(&mut Json), close: char) {
        self.separate();
        self.out.push(open);
        self.comma = false;
        inside(self);
        self.out.push(close);
        self.comma = true;
    }

    /// A field name inside an object; the next value written is its value.
    pub fn key(&mut self, name: &str) -> &mut Json {
        self.separate();
        escape(name.as_bytes(), &mut self.out);
        self.out.push(':');
        self.comma = false;
        self
    }

    /// A field: its name and its value.
    pub fn field(&mut self, name: &str, value: impl Value) {
        value.write(self.key(name));
    }

    /// A value (inside an array, after a key, or at the top).
    pub fn value(&mut self, value: impl Value) {
        value.write(self);
    }

    pub fn null(&mut self) {
        self.separate();
        self.out.push_str("null");
    }

    /// Text that is already JSON (a number or a literal).
    fn raw(&mut self, text: &str) {
        self.separate();
        self.out.push_str(text);
    }
}

/// Appends `s` as a JSON string literal.
fn escape(s: &[u8], out: &mut String) {
    out.push('"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    out.push_str("\\u00");
                    out.push(char::from(HEX[(c as usize) >> 4]));
                    out.push(char::from(HEX[(c as usize) & 0xf]));
                }
                c => out.push(c),
            }
        }
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    out.push('"');
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Value for bool {
    fn write(&self, j: &mut Json) {
        j.raw(if *self { "true" } else { "false" });
    }
}

impl Value for f64 {
    fn write(&self, j: &mut Json) {
        if self.is_finite() {
            j.raw(&self.to_string());
        } else {
            j.null();
        }
    }
}

macro_rules! integers {
    ($($t:ty)*) => {$(
        impl Value for $t {
            fn write(&self, j: &mut Json) {
                j.raw(&self.to_string());
            }
        }
    )*};
}
integers!(u8 u16 u32 u64 i32 i64 usize);

impl Value for [u8] {
    fn write(&self, j: &mut Json) {
        j.separate();
        escape(self, &mut j.out);
    }
}

impl Value for str {
    fn write(&self, j: &mut Json) {
        self.as_bytes().write(j);
    }
}

impl Value for String {
    fn write(&self, j: &mut Json) {
        self.as_bytes().write(j);
    }
}

impl<T: Value + ?Sized> Value for &T {
    fn write(&self, j: &mut Json) {
        (**self).write(j);
    }
}

/// None is `null`.
impl<T: Value> Value for Option<T> {
    fn write(&self, j: &mut Json) {
        match self {
            Some(v) => v.write(j),
            None => j.null(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &[u8]) -> String {
        let mut j = Json::new();
        j.value(s);
        j.into_string()
    }

    #[test]
    fn escapes_quote_backslash_and_every_control_character() {
        assert_eq!(string(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(string(b"\x08\x0c\n\r\t"), r#""\b\f\n\r\t""#);
        assert_eq!(string(b"\x00\x01\x1f\x7f"), "\"\\u0000\\u0001\\u001f\x7f\"");
        assert_eq!(string("é/€/😀".as_bytes()), "\"é/€/😀\"", "valid UTF-8 and / pass unescaped");
    }

    #[test]
    fn invalid_utf8_becomes_one_replacement_character_per_invalid_sequence() {
        for bytes in [&b"a\xffb"[..], b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xed\xa0\x80", b"\xc0\xaf", b"x\xff\xfe"]
        {
            assert_eq!(string(bytes), format!("{:?}", String::from_utf8_lossy(bytes)), "{bytes:?}");
        }
        assert_eq!(string(b"\xe2\x82\xffz"), "\"\u{fffd}\u{fffd}z\"");
    }

    #[test]
    fn structure_commas_and_values() {
        let mut j = Json::new();
        j.object(|j| {
            j.field("s", "x");
            j.field("n", -1.5);
            j.field("nan", f64::NAN);
            j.field("inf", f64::INFINITY);
            j.field("big", u64::MAX);
            j.field("t", true);
            j.field("none", None::<u32>);
            j.key("empty").object(|_| {});
            j.key("list").array(|j| {
                j.value(1u8);
                j.array(|_| {});
                j.object(|j| j.field("k\n", false));
            });
        });
        assert_eq!(
            j.into_string(),
            r#"{"s":"x","n":-1.5,"nan":null,"inf":null,"big":18446744073709551615,"t":true,"none":null,"empty":{},"list":[1,[],{"k\n":false}]}"#
        );
    }
}
