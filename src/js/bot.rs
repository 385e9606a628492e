//! `BotEngine`: the bot engine of the core (crate `rampwire-lp-bot`) for JS drivers — the
//! edge bot, the Node CLI bot, the dashboard's auto-claim. Only in the `bot` build of the
//! package (its own module: plain clients do not load the engine's bytes).
//!
//! Everything crosses as JSON text: inputs in (`handle`), the actions they caused out, in
//! order, as a JSON array. The contract for drivers is the engine's (`Engine`'s docs): a
//! `persist` must be durable before any later action is carried out.

use wasm_bindgen::prelude::*;

use rampwire_lp_bot::{Engine, Input, Replay, ReplayError, Settings};

use super::convert;
use crate::core::{ErrorKind, LpError};

/// A bot engine: policy, journal and reconciliation, sans I/O.
#[wasm_bindgen]
pub struct BotEngine {
    engine: Engine,
}

#[wasm_bindgen]
impl BotEngine {
    /// An engine for `settings`, a `KEY=VALUE` text (one per line, `#` comments). A bad
    /// setting does not throw: the engine is stopped, says which setting and why in its
    /// first actions and in `status()`, and never claims.
    #[wasm_bindgen(constructor)]
    pub fn new(settings: &str) -> BotEngine {
        BotEngine {
            engine: Engine::from_settings(Settings::from_text(settings)),
        }
    }

    /// Every setting name the engine knows (a driver picks these out of its environment).
    #[wasm_bindgen(js_name = settingKeys)]
    pub fn setting_keys() -> js_sys::Array {
        rampwire_lp_bot::settings::KNOWN_KEYS
            .iter()
            .map(|k| JsValue::from_str(k))
            .collect()
    }

    /// Why `settings` are refused (the setting and the reason), or `undefined` when valid.
    #[wasm_bindgen(js_name = checkSettings)]
    pub fn check_settings(settings: &str) -> Option<String> {
        Settings::from_text(settings).err().map(|e| e.to_json())
    }

    /// Feeds one input (`{"type": ..., "now": <wall-clock ms>, ...}`); returns the actions
    /// it caused as a JSON array. Throws an `LpError` (`invalid_argument`) for an input
    /// the engine cannot read (a driver bug).
    pub fn handle(&mut self, input: &str) -> Result<String, JsValue> {
        let (now, input) = Input::from_json(input).map_err(|e| {
            convert::error(&LpError::new(ErrorKind::InvalidArgument, e.to_string()))
        })?;
        self.engine.handle(now, input);
        Ok(self.drain())
    }

    /// Time passed: fires what is due at `now`; returns the actions as a JSON array.
    pub fn tick(&mut self, now: f64) -> String {
        self.engine.handle_timeout(ms(now));
        self.drain()
    }

    /// How long after the last input to call `tick` (ms, at most a minute), if ever: arm
    /// a monotonic timer (`setTimeout`) with it, immune to wall-clock jumps.
    #[wasm_bindgen(js_name = nextDelay)]
    pub fn next_delay(&self) -> Option<f64> {
        self.engine.poll_delay().map(|t| t as f64)
    }

    /// When `tick` must be called next (wall-clock ms), if ever: for drivers woken by an
    /// absolute alarm (a Durable Object's), re-checked with `nextDelay` after each wake.
    #[wasm_bindgen(js_name = nextTimeout)]
    pub fn next_timeout(&self) -> Option<f64> {
        self.engine.poll_timeout().map(|t| t as f64)
    }

    /// The bot's status at `now`, as JSON.
    pub fn status(&self, now: f64) -> String {
        self.engine.status(ms(now)).to_json()
    }

    /// The dry-run report at `now`, as JSON.
    pub fn summary(&self, now: f64) -> String {
        self.engine.summary(ms(now)).to_json()
    }

    /// `WATCHDOG_MS` of the settings: how often a driver woken by alarms wakes at least.
    #[wasm_bindgen(js_name = watchdogMs)]
    pub fn watchdog_ms(&self) -> f64 {
        self.engine.settings().watchdog_ms as f64
    }

    /// The `LpClientOptions` the settings give, as JSON, without the key.
    #[wasm_bindgen(js_name = clientOptions)]
    pub fn client_options(&self) -> String {
        self.engine.settings().client_options_json()
    }

    fn drain(&mut self) -> String {
        let mut out = String::from("[");
        while let Some(a) = self.engine.poll_action() {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&a.to_json());
        }
        out.push(']');
        out
    }
}

fn ms(t: f64) -> u64 {
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

/// A replay of a recording through one or more policies (`rampwire-lp replay`): the
/// engine on simulated time, as fast as the machine allows, in dry run. Fed in pieces
/// (`push`, any size; lines may straddle pieces), so a large file never sits in memory
/// whole; `finish` gives the report. Deterministic: the same recording and policies give
/// the same report, byte for byte.
#[wasm_bindgen]
pub struct BotReplay {
    replay: Option<Replay>,
}

#[wasm_bindgen]
impl BotReplay {
    /// `policies`: a JSON array of `{"name", "settings"}` (settings as `KEY=VALUE` text);
    /// `options`: JSON `{"file"?, "skipBad"?, "rttMs"?}`. Throws an `LpError`
    /// (`invalid_argument`) naming a refused policy and its setting.
    #[wasm_bindgen(constructor)]
    pub fn new(policies: &str, options: &str) -> Result<BotReplay, JsValue> {
        let replay = Replay::from_json(policies, options).map_err(|e| replay_error(&e))?;
        Ok(BotReplay {
            replay: Some(replay),
        })
    }

    /// Feeds the next piece of the recording. Throws an `LpError` (`invalid_argument`,
    /// with `file`, `line` and `problem`) at a bad line unless bad lines are skipped.
    pub fn push(&mut self, text: &str) -> Result<(), JsValue> {
        match self.replay.as_mut() {
            Some(r) => r.push(text).map_err(|e| {
                // A replay that stopped at a bad line takes nothing more.
                self.replay = None;
                replay_error(&e)
            }),
            None => Err(finished()),
        }
    }

    /// The end of the recording: the report, as JSON (`json`) or text. Once only.
    pub fn finish(&mut self, json: bool) -> Result<String, JsValue> {
        let replay = self.replay.take().ok_or_else(finished)?;
        let report = replay.finish().map_err(|e| replay_error(&e))?;
        Ok(if json {
            report.to_json()
        } else {
            report.to_text()
        })
    }
}

fn finished() -> JsValue {
    convert::error(&LpError::new(
        ErrorKind::InvalidArgument,
        "this replay has finished (or stopped at a bad line)",
    ))
}

/// A replay error as an `LpError` (`invalid_argument`), with where and what for a bad
/// line, and which setting for a refused policy.
fn replay_error(e: &ReplayError) -> JsValue {
    let err = convert::error(&LpError::new(ErrorKind::InvalidArgument, e.to_string()));
    if let Some(obj) = err.dyn_ref::<js_sys::Object>() {
        convert::set(obj, "replayError", &JsValue::from_str(e.kind()));
        match e {
            ReplayError::Recording(r) => {
                if let Some(f) = &r.file {
                    convert::set(obj, "file", &JsValue::from_str(f));
                }
                convert::set(obj, "line", &JsValue::from_f64(r.line as f64));
                convert::set(obj, "problem", &JsValue::from_str(r.kind()));
            }
            ReplayError::Policy { name, error } => {
                convert::set(obj, "policy", &JsValue::from_str(name));
                if let Some(s) = error.setting() {
                    convert::set(obj, "setting", &JsValue::from_str(s));
                }
            }
            _ => {}
        }
    }
    err
}
