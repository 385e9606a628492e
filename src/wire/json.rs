//! A small zero-copy JSON reader (RFC 8259): just what the wire decoder needs.
//!
//! Why not serde_json: in wasm it cost more than half of the package (parser, derive
//! visitors, float printing from its error paths), and frames arrive from the engine as
//! UTF-8 bytes anyway. This reader validates the whole document as strictly as
//! serde_json does (the tests check the two agree), hands out strings as slices of the
//! input (unescaped only on request) and numbers as their source text, and never panics.
//! Unknown values are skipped without building anything.

use std::borrow::Cow;

/// Containers nested deeper than this are refused (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// Why a document is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset where reading stopped.
    pub at: usize,
    /// `true` when the input ended early (rather than holding a wrong byte).
    pub eof: bool,
}

/// A string token: the text between the quotes, escapes still in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonStr<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> JsonStr<'a> {
    /// The string value: a slice of the input when it holds no escapes.
    pub fn value(&self) -> Cow<'a, str> {
        if self.escaped {
            Cow::Owned(unescape(self.raw))
        } else {
            Cow::Borrowed(self.raw)
        }
    }

    /// The text when it holds no escapes (the common case for keys).
    #[inline(always)]
    pub fn plain(&self) -> Option<&'a str> {
        (!self.escaped).then_some(self.raw)
    }
}

/// One value as the reader sees it. Containers are entered, not read: iterate them with
/// [`Reader::next_key`] / [`Reader::next_item`], or pass them to [`Reader::skip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as its (validated) source text.
    Number(&'a str),
    /// A string.
    Str(JsonStr<'a>),
    /// `[` was read.
    Array,
    /// `{` was read.
    Object,
}

/// A pull reader over one JSON document.
pub struct Reader<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    /// Bit `d` set: the container at depth `d` is an object.
    objects: u128,
    /// Set right after a container opens: its first key/item takes no comma.
    first: bool,
}

type Res<T> = Result<T, JsonError>;

impl<'a> Reader<'a> {
    /// A reader at the start of `src`.
    pub fn new(src: &'a str) -> Self {
        Reader {
            src,
            pos: 0,
            depth: 0,
            objects: 0,
            first: false,
        }
    }

    #[inline(always)]
    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn err(&self) -> JsonError {
        JsonError {
            at: self.pos,
            eof: self.pos >= self.src.len(),
        }
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        let b = self.bytes();
        while let Some(&c) = b.get(self.pos) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.pos).copied()
    }

    /// Reads `lit` if the text goes on with exactly those bytes (no blanks skipped); false,
    /// having read nothing, if it does not.
    #[inline(always)]
    pub fn expect(&mut self, lit: &[u8]) -> bool {
        let hit = self
            .bytes()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(lit));
        if hit {
            self.pos += lit.len();
        }
        hit
    }

    /// Byte offset of the next unread byte (where the next value starts, after blanks).
    pub fn offset(&self) -> usize {
        self.pos
    }

    fn literal(&mut self, word: &str) -> Res<()> {
        if self.expect(word.as_bytes()) {
            Ok(())
        } else {
            // Point at the first byte that differs (or the end).
            let rest = self.bytes().get(self.pos..).unwrap_or_default();
            let same = rest
                .iter()
                .zip(word.as_bytes())
                .take_while(|(a, b)| a == b)
                .count();
            self.pos += same;
            Err(self.err())
        }
    }

    fn open(&mut self, object: bool) -> Res<()> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err());
        }
        self.pos += 1;
        if object {
            self.objects |= 1 << self.depth;
        } else {
            self.objects &= !(1 << self.depth);
        }
        self.depth += 1;
        self.first = true;
        Ok(())
    }

    /// Reads the next value; a container is entered.
    pub fn value(&mut self) -> Res<Value<'a>> {
        match self.peek() {
            Some(b'{') => self.open(true).map(|_| Value::Object),
            Some(b'[') => self.open(false).map(|_| Value::Array),
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') => self.literal("true").map(|_| Value::Bool(true)),
            Some(b'f') => self.literal("false").map(|_| Value::Bool(false)),
            Some(b'n') => self.literal("null").map(|_| Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            _ => Err(self.err()),
        }
    }

    /// Inside an object: the next key (its `:` consumed), or `None` at the closing `}`.
    pub fn next_key(&mut self) -> Res<Option<JsonStr<'a>>> {
        if !self.next_member(b'}')? {
            return Ok(None);
        }
        if self.peek() != Some(b'"') {
            return Err(self.err());
        }
        let key = self.string()?;
        if self.peek() != Some(b':') {
            return Err(self.err());
        }
        self.pos += 1;
        Ok(Some(key))
    }

    /// Inside an array: `true` when another item follows (read it with [`Reader::value`]),
    /// `false` at the closing `]`.
    pub fn next_item(&mut self) -> Res<bool> {
        self.next_member(b']')
    }

    #[inline(always)]
    fn next_member(&mut self, close: u8) -> Res<bool> {
        let first = std::mem::replace(&mut self.first, false);
        match self.peek() {
            Some(c) if c == close => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(b',') if !first => {
                self.pos += 1;
                Ok(true)
            }
            _ if first => Ok(true),
            _ => Err(self.err()),
        }
    }

    /// Finishes `v`: a container is read to its end (validated, nothing built).
    pub fn skip(&mut self, v: Value<'a>) -> Res<()> {
        if !matches!(v, Value::Array | Value::Object) {
            return Ok(());
        }
        let stop = self.depth - 1;
        while self.depth > stop {
            let in_object = self.objects & (1 << (self.depth - 1)) != 0;
            let more = if in_object {
                self.next_key()?.is_some()
            } else {
                self.next_item()?
            };
            if more {
                self.value()?;
            }
        }
        Ok(())
    }

    /// After the top-level value: only whitespace may remain.
    pub fn finish(&mut self) -> Res<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.err()),
        }
    }

    fn string(&mut self) -> Res<JsonStr<'a>> {
        let b = self.bytes();
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            // Runs of plain bytes are the common case: find the next byte that matters.
            i = special_byte(b, i);
            match b.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    i = self.escape(i)?;
                }
                _ => return Err(self.err_at(i)),
            }
        }
        self.pos = i + 1;
        Ok(JsonStr {
            // Quotes and backslashes are ASCII, so both ends are char boundaries.
            raw: self.src.get(start..i).unwrap_or_default(),
            escaped,
        })
    }

    /// Validates the escape at `i` (a backslash); returns the index after it.
    fn escape(&mut self, i: usize) -> Res<usize> {
        let b = self.bytes();
        match b.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
            Some(b'u') => {
                let unit = hex4(b, i + 2).ok_or_else(|| self.err_at(i + 2))?;
                match unit {
                    // A high surrogate must be followed by an escaped low one.
                    0xD800..=0xDBFF => {
                        let low = (b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u'))
                            .then(|| hex4(b, i + 8))
                            .flatten();
                        match low {
                            Some(0xDC00..=0xDFFF) => Ok(i + 12),
                            _ => Err(self.err_at(i + 6)),
                        }
                    }
                    0xDC00..=0xDFFF => Err(self.err_at(i + 2)),
                    _ => Ok(i + 6),
                }
            }
            _ => Err(self.err_at(i + 1)),
        }
    }

    fn err_at(&mut self, at: usize) -> JsonError {
        self.pos = at.min(self.src.len());
        self.err()
    }

    fn number(&mut self) -> Res<&'a str> {
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        let digits = |i: &mut usize| {
            let s = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > s
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => return Err(self.err_at(i)),
        }
        let int_digits = i - int_start;
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return Err(self.err_at(i));
            }
        }
        let exponent = matches!(b.get(i), Some(b'e' | b'E'));
        if exponent {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return Err(self.err_at(i));
            }
        }
        let text = self.src.get(start..i).unwrap_or_default();
        // Unlike serde_json, a number beyond f64's range (`1e400`) is valid JSON here, as
        // the grammar says: its value is unreadable (`to_f64` is `None`), so an amount reads
        // as null and fails closed, and the rest of the frame (the order) is not lost.
        let _ = (exponent, int_digits);
        self.pos = i;
        Ok(text)
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let mut v = 0u32;
    for k in 0..4 {
        let d = (*b.get(at + k)? as char).to_digit(16)?;
        v = v * 16 + d;
    }
    Some(v)
}

/// Index of the first `"`, `\\` or control byte at or after `i` (or `b.len()`). Eight
/// bytes at a time (SWAR): string bodies are most of a frame's bytes.
#[inline(always)]
fn special_byte(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let v = u64::from_le_bytes(*chunk);
        // A byte of `x` is zero -> its high bit in `(x - ONES) & !x & HIGH` is set.
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        let quote = zero(v ^ (ONES * u64::from(b'"')));
        let backslash = zero(v ^ (ONES * u64::from(b'\\')));
        // Bytes below 0x20 (ASCII only: bytes >= 0x80 never count as control).
        let control = v.wrapping_sub(ONES * 0x20) & !v & HIGH;
        let hits = quote | backslash | control;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// Decodes the escapes of a string the reader has validated.
fn unescape(raw: &str) -> String {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        // Copy the run up to the next backslash in one go.
        let run = b
            .get(i..)
            .unwrap_or_default()
            .iter()
            .position(|&c| c == b'\\')
            .map_or(b.len(), |p| i + p);
        out.push_str(raw.get(i..run).unwrap_or_default());
        i = run;
        if i >= b.len() {
            break;
        }
        let (c, used) = match b.get(i + 1) {
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => {
                let hi = hex4(b, i + 2).unwrap_or(0xFFFD);
                if (0xD800..=0xDBFF).contains(&hi) {
                    let lo = hex4(b, i + 8).unwrap_or(0xDC00);
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                    (char::from_u32(c).unwrap_or('\u{FFFD}'), 12)
                } else {
                    (char::from_u32(hi).unwrap_or('\u{FFFD}'), 6)
                }
            }
            Some(&c) => (c as char, 2),
            None => break,
        };
        out.push(c);
        i += used;
    }
    out
}

/// An unsigned integer from a number token or numeric string (`None` if it is not one).
pub fn to_u64(text: &str) -> Option<u64> {
    let t = text.as_bytes();
    if t.is_empty() || t.len() > 20 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    t.iter().try_fold(0u64, |v, &d| {
        v.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// A float from a number token or numeric string (`-12.5`, `+3`, `.5`, `1e3`); `None` if
/// it is not a finite number.
///
/// Plain decimals of up to 15 significant digits (every amount on the wire) are exact on
/// the fast path. Longer digit strings and exponents take a short path that may be off
/// by an ulp or two: no price or amount has 16 significant digits, and the standard
/// library's exact parser would add ~15 KB of tables and code to the wasm.
pub fn to_f64(text: &str) -> Option<f64> {
    fast_f64(text.as_bytes())
        .or_else(|| slow_f64(text.as_bytes()))
        .filter(|v| v.is_finite())
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

fn fast_f64(t: &[u8]) -> Option<f64> {
    let (neg, t) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, t),
    };
    let mut mantissa = 0u64;
    let mut digits = 0usize;
    let mut frac = 0usize;
    let mut seen_dot = false;
    for &c in t {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
                frac += usize::from(seen_dot);
                if digits > 15 {
                    return None;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if digits == 0 || (seen_dot && frac == 0) {
        return None;
    }
    // Both operands are exact and the division rounds once: the result is exact-rounded.
    let v = mantissa as f64 / POW10[frac];
    Some(if neg { -v } else { v })
}

fn slow_f64(t: &[u8]) -> Option<f64> {
    let (neg, mut t) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, t),
    };
    // Up to 19 significant digits in a u64; the rest only move the decimal exponent.
    let mut mantissa = 0u64;
    let mut kept = 0u32;
    let mut exp10: i64 = 0;
    let mut any = false;
    let mut seen_dot = false;
    while let Some((&c, rest)) = t.split_first() {
        match c {
            b'0'..=b'9' => {
                any = true;
                if kept < 19 {
                    if mantissa > 0 || c != b'0' {
                        kept += 1;
                    }
                    mantissa = mantissa * 10 + u64::from(c - b'0');
                    exp10 -= i64::from(seen_dot);
                } else {
                    exp10 += i64::from(!seen_dot);
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => break,
        }
        t = rest;
    }
    if !any {
        return None;
    }
    if let Some((b'e' | b'E', rest)) = t.split_first() {
        t = rest;
        let (eneg, rest) = match t.split_first() {
            Some((b'-', r)) => (true, r),
            Some((b'+', r)) => (false, r),
            _ => (false, t),
        };
        if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let e = rest
            .iter()
            .fold(0i64, |e, &d| (e * 10 + i64::from(d - b'0')).min(100_000));
        exp10 += if eneg { -e } else { e };
        t = &[];
    }
    if !t.is_empty() {
        return None;
    }
    let mut v = mantissa as f64;
    // Scale in exact steps of 1e22 (each multiply or divide rounds once).
    let mut e = exp10.clamp(-1_000, 1_000);
    while e != 0 && v != 0.0 && v.is_finite() {
        let step = e.unsigned_abs().min(22) as usize;
        if e > 0 {
            v *= POW10[step];
            e -= step as i64;
        } else {
            v /= POW10[step];
            e += step as i64;
        }
    }
    Some(if neg { -v } else { v })
}
