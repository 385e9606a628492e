//! The provider's own Node and Python example bots, changed only in their base URLs,
//! claim and mark fiat sent on orders the simulator creates.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The example with only its two base URLs pointed at the simulator.
fn rebased(file: &str, sim: &Sim) -> String {
    let src = std::fs::read_to_string(repo_root().join("tests/spec-examples").join(file)).unwrap();
    assert_eq!(src.matches("https://api.rampwire.app").count(), 1);
    assert_eq!(src.matches("wss://api.rampwire.app").count(), 1);
    src.replace("https://api.rampwire.app", &sim.base).replace(
        "wss://api.rampwire.app",
        &sim.base.replacen("http", "ws", 1),
    )
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for_socket(sim: &Sim, bot: &mut Kill) {
    let t = Instant::now();
    while sim.connections().await["by_lp"]["12"] != 1 {
        if let Ok(Some(status)) = bot.0.try_wait() {
            panic!("the example bot exited early: {status} (did setup install its dependencies?)");
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the example bot never connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn run_example(mut bot: Kill, sim: &Sim) {
    wait_for_socket(sim, &mut bot).await;
    let small = sim
        .order(json!({"currency": "KES", "amount_fiat": 5000}))
        .await;
    let big = sim
        .order(json!({"currency": "KES", "amount_fiat": 25000}))
        .await;
    let ngn = sim
        .order(json!({"currency": "NGN", "amount_fiat": 5000}))
        .await;
    let id = small["id"].as_u64().unwrap();
    let t = Instant::now();
    loop {
        let (_, o) = sim.get(&format!("/_sim/orders/{id}")).await;
        if o["status"] == "fiat_sent" || o["status"] == "completed" {
            assert_eq!(o["lp_id"], 12);
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "the bot did not claim and mark fiat sent: {o}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for skipped in [big, ngn] {
        let (_, o) = sim.get(&format!("/_sim/orders/{}", skipped["id"])).await;
        assert_eq!(o["status"], "open", "its policy skips {o}");
    }
    drop(bot);
}

/// Runs `program` on the rebased example `file` with the default LP key.
async fn run_file(program: &str, file: &str) {
    let sim = Sim::start(&[]);
    let dir = repo_root().join("target/spec-examples");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join(file);
    std::fs::write(&script, rebased(file, &sim)).unwrap();
    let bot = Command::new(program)
        .arg(&script)
        .env("LP_KEY", KEY)
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} on PATH: {e}"));
    run_example(Kill(bot), &sim).await;
}

#[tokio::test]
async fn node_example_bot_claims_and_marks_fiat_sent() {
    run_file("node", "node-bot.mjs").await;
}

#[tokio::test]
async fn python_example_bot_claims_and_marks_fiat_sent() {
    run_file("python3", "python-bot.py").await;
}
