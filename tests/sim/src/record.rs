//! `--record FILE`: a recording of the scenario the simulator runs, in the format
//! `rampwire-lp replay` reads (src/bot/recording.rs): every `new_order` and `order_taken`
//! frame as broadcast, and every change of an order's state (claims by anyone, HTTP ones
//! included, fiat sent, completed, statuses set by the control API), with the time. The
//! simulator sees every change, so the header says `complete_states`. No key is ever
//! written: frames carry order fields, states carry LP ids.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Mutex;

use serde_json::{json, Value};

/// The recording file, bounded: past `max_bytes` nothing more is written (and a line says so).
#[derive(Debug)]
pub struct Recorder {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    out: BufWriter<File>,
    bytes: u64,
    max_bytes: u64,
    last_t: u64,
    full: bool,
}

impl Recorder {
    /// Creates (truncates) `path` and writes the header.
    pub fn create(path: &str, max_bytes: u64) -> Result<Recorder, String> {
        let file = File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?;
        let r = Recorder {
            inner: Mutex::new(Inner {
                out: BufWriter::new(file),
                bytes: 0,
                max_bytes,
                last_t: 0,
                full: false,
            }),
        };
        let header = json!({
            "rampwire_recording": 1,
            "source": "sim",
            "started_at": crate::state::unix_ms(),
            "complete_states": true,
        });
        r.write(|_| header.to_string());
        Ok(r)
    }

    /// A frame broadcast now (its text as sent).
    pub fn frame(&self, frame: &str) {
        self.write(|t| format!("{{\"t\":{t},\"frame\":{frame}}}"));
    }

    /// Order `id` is in `status` now (owned by `lp_id`, if anyone).
    pub fn state(&self, id: u64, status: &str, lp_id: Option<u64>) {
        let mut state = json!({"id": id, "status": status});
        if let (Some(lp), Value::Object(o)) = (lp_id, &mut state) {
            o.insert("lp_id".into(), lp.into());
        }
        self.write(|t| json!({"t": t, "state": state}).to_string());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the line `make` gives for now: the time is read under the lock, never
    /// before the last line's (replay refuses lines out of order).
    fn write(&self, make: impl FnOnce(u64) -> String) {
        let mut g = self.lock();
        if g.full {
            return;
        }
        g.last_t = g.last_t.max(crate::state::unix_ms());
        let line = make(g.last_t);
        if g.bytes + line.len() as u64 + 1 > g.max_bytes {
            g.full = true;
            tracing::warn!("the recording reached --record-max-bytes: nothing more is written");
            return;
        }
        g.bytes += line.len() as u64 + 1;
        // Flushed per line: a test reads the file while the simulator runs.
        let ok = writeln!(g.out, "{line}").and_then(|()| g.out.flush());
        if let Err(e) = ok {
            g.full = true;
            tracing::warn!("recording stopped: {e}");
        }
    }
}
