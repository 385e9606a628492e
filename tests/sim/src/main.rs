//! rampwire-sim: a local Rampwire LP API (order WebSocket + REST) that follows the
//! spec, with a control API for tests and demos (`/_sim/*`) and fault injection.
//!
//! The first line on stdout is always `listening on http://HOST:PORT`.

mod control;
mod flow;
mod model;
mod rest;
mod state;
mod ws;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;
use tower_http::cors::{Any, CorsLayer};

use state::{OrderFields, Settings, Sim};

/// A local Rampwire LP API with fault injection.
#[derive(Parser, Debug)]
#[command(name = "rampwire-sim", version)]
struct Cli {
    /// Address to listen on (port 0 = any free port).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// An accepted key and its LP id, as KEY:LP_ID (repeatable). Default: lp_a1b2c3d4:12 and lp_e5f6a7b8:13.
    #[arg(long = "lp-key", value_name = "KEY:LP_ID")]
    lp_keys: Vec<String>,
    /// Synthetic new orders per second (0 = none).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Seed for the synthetic flow (same seed, same orders).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Open orders created at start.
    #[arg(long, default_value_t = 0)]
    initial_orders: u32,
    /// Delay from fiat_sent to completed.
    #[arg(long, default_value_t = 3_000)]
    complete_after_ms: u64,
    /// Deferred-auth sockets are closed if they do not authenticate within this time.
    #[arg(long, default_value_t = 10_000)]
    auth_timeout_ms: u64,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "rampwire_sim=info".into()),
        )
        .init();
    let cli = Cli::parse();
    let keys = match parse_keys(&cli.lp_keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("rampwire-sim: {e}");
            std::process::exit(2);
        }
    };
    if !(cli.rate.is_finite() && (0.0..=10_000.0).contains(&cli.rate)) {
        eprintln!("rampwire-sim: --rate must be between 0 and 10000");
        std::process::exit(2);
    }
    let sim = Sim::new(Settings {
        keys,
        complete_after: Duration::from_millis(cli.complete_after_ms),
        auth_timeout: Duration::from_millis(cli.auth_timeout_ms),
        seed: cli.seed,
    });
    for _ in 0..cli.initial_orders {
        if let Err(e) = sim.create_order(OrderFields::default()) {
            eprintln!("rampwire-sim: {e}");
        }
    }

    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("rampwire-sim: cannot listen on {}: {e}", cli.listen);
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(cli.listen);
    println!("listening on http://{addr}");
    let _ = std::io::stdout().flush();
    tracing::info!(%addr, rate = cli.rate, seed = cli.seed, "rampwire-sim started");

    if cli.rate > 0.0 {
        tokio::spawn(synthetic_flow(sim.clone(), cli.rate));
    }
    let app = router(sim);
    let serve = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    if let Err(e) = serve.await {
        eprintln!("rampwire-sim: server error: {e}");
        std::process::exit(1);
    }
}

fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route("/api/orders/{id}/claim", post(rest::claim))
        .route("/api/orders/{id}/fiat-sent", post(rest::fiat_sent))
        .route("/api/orders/{id}", get(rest::get_order))
        .layer(middleware::from_fn_with_state(sim.clone(), rest::faults));
    let control = Router::new()
        .route(
            "/_sim/orders",
            post(control::create_order).get(control::list_orders),
        )
        .route("/_sim/orders/{id}", get(control::get_order))
        .route("/_sim/requests", get(control::requests))
        .route("/_sim/connections", get(control::connections))
        .route("/_sim/drop", post(control::drop_sockets))
        .route(
            "/_sim/faults",
            post(control::set_faults).get(control::get_faults),
        )
        .route("/_sim/broadcast", post(control::broadcast))
        .route("/_sim/flood", post(control::flood))
        .layer(middleware::from_fn(control::loopback_only));
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/ws/orders", get(ws::upgrade))
        .merge(api)
        .merge(control)
        .fallback(|| async {
            rest::json_error(axum::http::StatusCode::NOT_FOUND, "No such endpoint")
        })
        .layer(cors)
        .layer(middleware::from_fn_with_state(sim.clone(), log_request))
        .with_state(sim)
}

/// Records every request line (method + full URI with query) for `/_sim/requests`.
async fn log_request(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/_sim/") {
        sim.log_request(format!("{} {}", req.method(), req.uri()));
    }
    next.run(req).await
}

async fn synthetic_flow(sim: Arc<Sim>, rate: f64) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        if let Ok((_, outbox)) = sim.create_order(OrderFields::default()) {
            state::deliver(outbox);
        }
    }
}

fn parse_keys(raw: &[String]) -> Result<Vec<(String, u64)>, String> {
    if raw.is_empty() {
        return Ok(vec![("lp_a1b2c3d4".into(), 12), ("lp_e5f6a7b8".into(), 13)]);
    }
    raw.iter()
        .map(|s| {
            let (k, id) = s.rsplit_once(':').ok_or("--lp-key takes KEY:LP_ID")?;
            let id = id.parse::<u64>().map_err(|_| "LP_ID must be a number")?;
            if k.is_empty() {
                return Err("KEY must not be empty".into());
            }
            Ok((k.to_owned(), id))
        })
        .collect()
}
