//! rampwire-sim: a local Rampwire LP API (order WebSocket + REST) that follows the
//! spec, with a control API for tests and demos (`/_sim/*`) and fault injection.
//!
//! The first line on stdout is always `listening on http://HOST:PORT`.

mod competitors;
mod control;
mod flow;
mod model;
mod record;
mod rest;
mod state;
mod ws;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use clap::Parser;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use state::{OrderFields, Settings, Sim, MAX_ID, ORDER_LIMIT};

/// A local Rampwire LP API with fault injection.
#[derive(Parser, Debug)]
#[command(name = "rampwire-sim", version)]
struct Cli {
    /// Address to listen on (port 0 = any free port). The default keeps clear of wrangler
    /// dev's port.
    #[arg(long, default_value = "127.0.0.1:8790")]
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
    /// A connection must send a request's headers within this time (and a control-API
    /// body too), else it is closed (slow clients, slowloris). Idle keep-alive
    /// connections are closed after it as well; open WebSockets are not affected.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    header_timeout_ms: u64,
    /// An origin (e.g. http://127.0.0.1:5173) whose pages may call the control API
    /// (/_sim/*) and read its answers (repeatable). Default: none, no CORS on /_sim/*.
    #[arg(long = "control-cors-origin", value_name = "ORIGIN")]
    control_cors_origins: Vec<String>,
    /// Simulated competitor LPs (LP ids 90 and up) that race for new orders.
    #[arg(long, default_value_t = 0)]
    competitors: u32,
    /// Share of new orders the competitors take (0..1).
    #[arg(long, default_value_t = 0.5)]
    competitor_share: f64,
    /// Delay before a competitor claims (and before it marks fiat sent), in ms: MIN..MAX.
    #[arg(long, default_value = "500..5000", value_name = "MIN..MAX")]
    competitor_delay_ms: String,
    /// Share of competitor claims made over the WebSocket (`order_taken` is broadcast);
    /// the rest are HTTP claims, which broadcast nothing.
    #[arg(long, default_value_t = 0.5)]
    competitor_ws_share: f64,
    /// Write a recording of the run to FILE (for `rampwire-lp replay`): every broadcast
    /// `new_order`/`order_taken` frame and every order state change, with times.
    #[arg(long, value_name = "FILE")]
    record: Option<String>,
    /// The recording's size bound: past it nothing more is written.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    record_max_bytes: u64,
}

fn fail(message: &str) -> ! {
    eprintln!("rampwire-sim: {message}");
    std::process::exit(2);
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
    let keys = parse_keys(&cli.lp_keys).unwrap_or_else(|e| fail(&e));
    if !(cli.rate == 0.0 || (cli.rate.is_finite() && (0.001..=10_000.0).contains(&cli.rate))) {
        fail("--rate must be 0 or between 0.001 and 10000");
    }
    if cli.initial_orders as usize > ORDER_LIMIT {
        fail(&format!("--initial-orders must be at most {ORDER_LIMIT}"));
    }
    let control_origins = parse_origins(&cli.control_cors_origins).unwrap_or_else(|e| fail(&e));
    let delay = competitors::parse_delay(&cli.competitor_delay_ms).unwrap_or_else(|e| fail(&e));
    let taken: Vec<u64> = keys.iter().map(|(_, id)| *id).collect();
    let rivals = competitors::Competitors::new(
        cli.competitors,
        &taken,
        cli.competitor_share,
        delay,
        cli.competitor_ws_share,
    )
    .unwrap_or_else(|e| fail(&e));
    let recorder = cli.record.as_deref().map(|path| {
        record::Recorder::create(path, cli.record_max_bytes)
            .map(Arc::new)
            .unwrap_or_else(|e| fail(&e))
    });
    let sim = Sim::new(Settings {
        recorder,
        keys,
        complete_after: Duration::from_millis(cli.complete_after_ms),
        auth_timeout: Duration::from_millis(cli.auth_timeout_ms),
        seed: cli.seed,
        competitors: rivals,
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
    let header_timeout = Duration::from_millis(cli.header_timeout_ms);
    let app = router(sim, control_origins, header_timeout);
    serve(listener, app, header_timeout).await;
}

/// axum::serve, with what it does not expose: hyper's header read timeout (it needs a
/// timer, which axum::serve does not give it, so there was none) and TCP_NODELAY.
async fn serve(listener: tokio::net::TcpListener, app: Router, header_timeout: Duration) {
    let mut shutdown = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut req = req.map(Body::new);
                    req.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(req)
                });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(e) = conn.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        });
    }
}

fn router(sim: Arc<Sim>, control_origins: Vec<HeaderValue>, read_timeout: Duration) -> Router {
    // The API, with CORS for browser clients, as the provider's.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    let api = Router::new()
        .route("/api/orders/{id}/claim", post(rest::claim))
        .route("/api/orders/{id}/fiat-sent", post(rest::fiat_sent))
        .route("/api/orders/{id}", get(rest::get_order))
        .layer(middleware::from_fn_with_state(sim.clone(), rest::faults));
    let public = Router::new()
        .route("/ws/orders", get(ws::upgrade))
        .merge(api)
        .fallback(|| async {
            rest::json_error(axum::http::StatusCode::NOT_FOUND, "No such endpoint")
        })
        .layer(cors);

    // The control API: every /_sim/... path, without the API's CORS.
    let bounded =
        |limit| middleware::from_fn_with_state((limit, read_timeout), control::bounded_body);
    let control = Router::new()
        .route(
            "/_sim/orders",
            post(control::create_order).get(control::list_orders),
        )
        .route("/_sim/orders/{id}", get(control::get_order))
        .route("/_sim/orders/{id}/status", post(control::set_status))
        .route("/_sim/requests", get(control::requests))
        .route("/_sim/connections", get(control::connections))
        .route("/_sim/drop", post(control::drop_sockets))
        .route(
            "/_sim/faults",
            post(control::set_faults).get(control::get_faults),
        )
        .route("/_sim/flood", post(control::flood))
        .route("/_sim", any(control::not_found))
        .route("/_sim/{*rest}", any(control::not_found))
        .layer(bounded(control::BODY_LIMIT))
        .merge(
            Router::new()
                .route("/_sim/broadcast", post(control::broadcast))
                .layer(bounded(control::BROADCAST_BODY_LIMIT)),
        )
        // Bodies are bounded above, before any extractor runs.
        .layer(DefaultBodyLimit::disable());
    let control = if control_origins.is_empty() {
        control
    } else {
        control.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(control_origins.clone()))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE])
                .max_age(Duration::from_secs(600)),
        )
    };
    let control = control.layer(middleware::from_fn_with_state(
        Arc::<[HeaderValue]>::from(control_origins),
        control::guard,
    ));

    public
        .merge(control)
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

/// `--control-cors-origin` values: `http(s)://host[:port]`, nothing after.
fn parse_origins(raw: &[String]) -> Result<Vec<HeaderValue>, String> {
    raw.iter()
        .map(|o| {
            let rest = o
                .strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                .unwrap_or("");
            if rest.is_empty() || rest.contains(['/', '*', ' ', '?', '#']) {
                return Err(format!(
                    "--control-cors-origin takes an origin such as http://127.0.0.1:5173, not {o:?}"
                ));
            }
            HeaderValue::from_str(o).map_err(|_| format!("--control-cors-origin: bad origin {o:?}"))
        })
        .collect()
}

fn parse_keys(raw: &[String]) -> Result<Vec<(String, u64)>, String> {
    if raw.is_empty() {
        return Ok(vec![("lp_a1b2c3d4".into(), 12), ("lp_e5f6a7b8".into(), 13)]);
    }
    raw.iter()
        .map(|s| {
            let (k, id) = s.rsplit_once(':').ok_or("--lp-key takes KEY:LP_ID")?;
            let id = id.parse::<u64>().ok().filter(|id| *id <= MAX_ID).ok_or(
                "LP_ID must be a number below 2^53 (JavaScript cannot tell larger ones apart)",
            )?;
            if k.is_empty() {
                return Err("KEY must not be empty".into());
            }
            Ok((k.to_owned(), id))
        })
        .collect()
}
