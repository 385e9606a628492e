//! Starts the real `rampwire-sim` binary on an ephemeral loopback port, and speaks to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const KEY: &str = "lp_a1b2c3d4";
pub const KEY2: &str = "lp_e5f6a7b8";

/// A running simulator, killed on drop.
pub struct Sim {
    child: Child,
    pub base: String,
    pub http: reqwest::Client,
}

impl Sim {
    pub fn start(args: &[&str]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rampwire-sim"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rampwire-sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first stdout line was {line:?}"))
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Sim {
            child,
            base,
            http: reqwest::Client::new(),
        }
    }

    pub fn ws_url(&self, query: &str) -> String {
        format!("{}/ws/orders{query}", self.base.replacen("http", "ws", 1))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn rest(&self, method: &str, path: &str, key: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            _ => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body("{}"),
        };
        let r = req
            .header("authorization", format!("Bearer {key}"))
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn order(&self, fields: Value) -> Value {
        let (s, o) = self.post("/_sim/orders", fields).await;
        assert_eq!(s, 201, "{o}");
        o
    }

    pub async fn connections(&self) -> Value {
        self.get("/_sim/connections").await.1
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn open(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect")
        .0
}

/// The next text frame as JSON (fails the test after 5 s).
pub async fn recv(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("socket open")
            .expect("no socket error");
        match m {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

/// True if no text frame arrives within `ms`.
pub async fn quiet(ws: &mut Ws, ms: u64) -> bool {
    match tokio::time::timeout(Duration::from_millis(ms), ws.next()).await {
        Err(_) => true,
        Ok(Some(Ok(Message::Text(t)))) => panic!("unexpected frame {t}"),
        Ok(_) => true,
    }
}

/// Waits for the socket to end; returns the close code (None: cut without a close frame).
pub async fn closed(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("closed within 5 s")
        {
            Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Deferred auth with `key`; returns the init frame.
pub async fn auth(sim: &Sim, key: &str, query: &str) -> (Ws, Value) {
    let mut ws = open(&sim.ws_url(query)).await;
    assert_eq!(recv(&mut ws).await["type"], "auth_required");
    send(&mut ws, json!({"type": "auth", "lp_key": key})).await;
    let init = recv(&mut ws).await;
    assert_eq!(init["type"], "init", "{init}");
    (ws, init)
}

impl Sim {
    /// `HOST:PORT` of the running simulator.
    pub fn addr(&self) -> &str {
        self.base.strip_prefix("http://").expect("http base")
    }
}

/// Runs the binary with `args` (after an ephemeral `--listen`) and returns its exit code, or
/// None if it was still running after `ms` (then it is killed).
pub fn exit_code(args: &[&str], ms: u64) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampwire-sim"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rampwire-sim");
    let deadline = std::time::Instant::now() + Duration::from_millis(ms);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status.code().unwrap_or(-1));
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `rampwire-sim --help`, as text.
pub fn help_text() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rampwire-sim"))
        .arg("--help")
        .output()
        .expect("run --help");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Sim {
    /// Resident memory of the simulator process in KiB (Linux; None elsewhere).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}
