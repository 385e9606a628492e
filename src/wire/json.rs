//! A small zero-copy JSON reader (RFC 8259): just what the wire decoder needs.
//!
//! Why not serde_json: in wasm it cost more than half of the package (parser, derive
//! visitors, float printing from its error paths), and frames arrive from the engine as
//! UTF-8 bytes anyway. This reader validates the whole document as strictly as
//! serde_json does (the tests check the two agree), hands out strings as slices of the
//! input (unescaped only on request) and numbers as their source text, and never panics.
//! Unknown values are skipped without building anything.
//!
//! Against serde_json, point by point (checked by the fuzz target `json_differential` in
//! `../fuzz/`, whose corpus every `cargo test` replays, and by core's `json_tests.rs`):
//! - The same documents are JSON, with one decision of ours: a number beyond f64's range
//!   (`1e400`) is JSON, as the grammar says, with an unreadable value ([`to_f64`] is
//!   `None`), where serde_json refuses the whole document.
//! - Nesting: at most [`MAX_DEPTH`] (127) containers deep, exactly serde_json's limit.
//! - Strings decode to the same text. Numbers are handed out as their text: [`to_u64`]
//!   reads integers exactly; [`to_f64`] reads floats correctly rounded within the class
//!   it states, within 16 ulps outside it (the reference is the standard library's exact
//!   parser: serde_json's own default float parsing is best-effort).
//! - Duplicate keys: the reader hands out every occurrence, in order (serde_json's
//!   `Value` keeps the last); the decoder refuses a frame that gives a field it reads
//!   twice (see `decode.rs`).

use std::borrow::Cow;

/// The most containers open at once: 127 nested arrays or objects are JSON, a 128th is
/// refused. Exactly serde_json's verdict (its recursion limit of 128 refuses the
/// container that reaches it), so the two agree on every depth; no frame nests deeper
/// than three, so the limit costs nothing and bounds the open-container bitmap.
pub const MAX_DEPTH: usize = 127;

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
/// Leading zeros, however many, are allowed (`"007"`, as `str::parse` reads it).
pub fn to_u64(text: &str) -> Option<u64> {
    let t = text.as_bytes();
    if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    t.iter().try_fold(0u64, |v, &d| {
        v.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// A float from a number token or numeric string (`-12.5`, `+3`, `.5`, `5.`, `1e3`);
/// `None` if it is not a finite number.
///
/// Correctly rounded (the double nearest to the number, ties to even: what `str::parse`
/// and JavaScript's `JSON.parse` read) in its exact class: the number is `m·10^e`, `m`
/// its digits as written (at most 19 significant ones, any further digit a zero), with
/// `-22 <= e <= 0`, or with `0 <= e <= 22` and `m < 2^53`. That is every amount, price
/// and id on the wire, and every double below 1e19 that JavaScript's `JSON.stringify`
/// (shortest round trip, at most 17 digits) writes from 1e-6 up, which reads back as
/// itself. Beyond that class (larger or smaller magnitudes, more digits) it is within 16
/// ulps of the nearest double: at most 16 roundings of half an ulp each (the digits to
/// f64, then steps of exact powers of ten). The fuzz target `json_differential` checks
/// that bound; the worst it found in 6 million runs is 6 ulps, near f64::MAX. The
/// standard library's parser is exact everywhere but would add ~15 KB to the wasm.
pub fn to_f64(text: &str) -> Option<f64> {
    let (neg, m, e, dropped) = decimal(text.as_bytes())?;
    let v = exact(m, e, dropped).unwrap_or_else(|| scaled(m, e));
    Some(if neg { -v } else { v }).filter(|v| v.is_finite())
}

/// [`to_f64`] only for a number of its exact class, `None` for any other: for ids, which
/// are never read approximately.
pub fn to_f64_exact(text: &str) -> Option<f64> {
    let (neg, m, e, dropped) = decimal(text.as_bytes())?;
    exact(m, e, dropped).map(|v| if neg { -v } else { v })
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `[+-]digits[.digits][(e|E)[+-]digits]` (one digit run may be empty) as its sign, its
/// first 19 significant digits `m`, the exponent `e` of the last of them (the number is
/// `m·10^e`) and whether a nonzero digit after them was dropped.
fn decimal(t: &[u8]) -> Option<(bool, u64, i64, bool)> {
    let (neg, mut t) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, t),
    };
    let mut m = 0u64;
    let mut kept = 0u32;
    let mut e: i64 = 0;
    let mut any = false;
    let mut dropped = false;
    let mut seen_dot = false;
    while let Some((&c, rest)) = t.split_first() {
        match c {
            b'0'..=b'9' => {
                any = true;
                if kept < 19 {
                    if m > 0 || c != b'0' {
                        kept += 1;
                    }
                    m = m * 10 + u64::from(c - b'0');
                    e -= i64::from(seen_dot);
                } else {
                    e += i64::from(!seen_dot);
                    dropped |= c != b'0';
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
        let (eneg, digits) = match rest.split_first() {
            Some((b'-', r)) => (true, r),
            Some((b'+', r)) => (false, r),
            _ => (false, rest),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Far beyond any double either way, and far from overflowing with `e`.
        let x = digits
            .iter()
            .fold(0i64, |x, &d| (x * 10 + i64::from(d - b'0')).min(1 << 40));
        e += if eneg { -x } else { x };
        t = &[];
    }
    t.is_empty().then_some((neg, m, e, dropped))
}

/// The double nearest to `m·10^e` in `to_f64`'s exact class; `None` outside it.
fn exact(m: u64, e: i64, dropped: bool) -> Option<f64> {
    if dropped || !(-22..=22).contains(&e) {
        return None;
    }
    let k = e.unsigned_abs() as u32;
    let p = POW10.get(k as usize).copied().unwrap_or(1.0);
    let approx = if e < 0 { m as f64 / p } else { m as f64 * p };
    if m < 1 << 53 || e == 0 {
        // Exact operands and one rounding (Clinger's fast path), or none at all.
        return Some(approx);
    }
    if e > 0 {
        return None;
    }
    // `m as f64` rounded too: `approx` is within 2.5 doubles of the nearest one. Walk up
    // from 4 below it to the first double whose upper midpoint is not below the number,
    // comparing exactly in integers: m·10^e = m·2^e / 5^k against the midpoint
    // (2a + 1)·2^(x - 1) of the double a·2^x.
    let five = u128::from((p / (1u64 << k) as f64) as u64);
    let mut bits = approx.to_bits() - 4;
    loop {
        let rhs = u128::from((bits & ((1 << 52) - 1)) << 1 | 1 << 53 | 1) * five;
        // Both sides are within a few ulps of each other, below 2^116 once aligned.
        let shift = e as i32 - (bits >> 52) as i32 + 1076;
        let (l, r) = if shift >= 0 {
            (u128::from(m) << shift, rhs)
        } else {
            (u128::from(m), rhs << -shift)
        };
        if l < r || (l == r && bits & 1 == 0) {
            return Some(f64::from_bits(bits));
        }
        bits += 1;
    }
}

/// `m·10^e` for any `e`, by steps of exact powers of ten (each step rounds once).
fn scaled(m: u64, e: i64) -> f64 {
    let mut v = m as f64;
    let mut e = e.clamp(-1_000, 1_000);
    while e != 0 && v != 0.0 && v.is_finite() {
        let step = e.unsigned_abs().min(22) as usize;
        let p = POW10.get(step).copied().unwrap_or(1.0);
        if e > 0 {
            v *= p;
            e -= step as i64;
        } else {
            v /= p;
            e += step as i64;
        }
    }
    v
}
