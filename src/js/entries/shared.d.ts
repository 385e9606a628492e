/* `rampwire-lp/shared`: LpClient's API for pages open in many tabs. One client per
   browser profile (in a SharedWorker, or in a leader tab's Worker where SharedWorker is
   missing) holds the socket and the timers; each `LpClient` here is a handle on it. */
import type { LpClientOptions, LpClientEvents, InitEvent, ClaimResult, WsClaimResult, RestOrder, Order, OrderStatus, WaitOptions, ConnectionState } from "./rampwire_lp.js";
import { LpError } from "./rampwire_lp.js";

export { LpError };
export type * from "./rampwire_lp.js";

/** LpClient's options, but `WebSocket` (the socket is opened in the worker). */
export type SharedLpClientOptions = Omit<LpClientOptions, "WebSocket">;

/** A claim's outcome, heard by every handle of the same options, whichever tab (or the auto-claim bot) claimed. */
export interface SharedClaimEvent {
    orderId: number;
    result: ClaimResult | WsClaimResult;
    /** The claim's round trip in the worker (ms). */
    ms: number;
    /** Who claimed: a tab's call, or the auto-claim bot. */
    by: "tab" | "auto";
    /** The order as the shared book had it when the claim went out (null if it was not in the book). */
    order: Order | null;
}

/** What the auto-claim bot tells the tabs: a notice of the bot engine (`kind`: claim_won, claim_gone, completed, stopped, mode_changed, refused; JSON as the engine gives it). */
export interface SharedAutoClaimEvent {
    notice: { kind: string; [field: string]: unknown };
}

/** LpClient's events, plus `claim` and `autoclaim`. */
export interface SharedLpClientEvents extends LpClientEvents {
    claim: SharedClaimEvent;
    autoclaim: SharedAutoClaimEvent;
}

/** A request to the auto-claim bot (the bot engine, in the shared worker). */
export type AutoClaimRequest =
    /** Starts (or re-configures) the bot with the engine's settings text (`KEY=VALUE` lines: ALLOWED_CURRENCIES, MAX_AMOUNT, MAX_OPEN_CLAIMS, DAILY_USD_CAP, DRY_RUN, ...; API_URL is the client's). A new journal starts in the `DRY_RUN` mode. */
    | { op: "start"; settings: string }
    /** An operator command. */
    | { op: "command"; command: "pause" | "resume" | "go_live" | "go_dry_run" }
    | { op: "status" }
    | { op: "stop" };

/** The auto-claim bot's report. `status`/`summary` are the engine's `status()` and `summary()` JSON. */
export interface AutoClaimReport {
    running: boolean;
    status?: { state: string; mode: "live" | "dry_run"; paused: boolean; open_claims: number; max_open_claims: number; daily_usd: number; daily_usd_cap: number | null; [field: string]: unknown };
    summary?: Record<string, unknown>;
    /** The newest notices (at most 20). */
    notices?: SharedAutoClaimEvent["notice"][];
    /** The engine's newest log lines (at most 50): what it claimed or skipped, and why. */
    recent?: Record<string, unknown>[];
}

/** What `stats()` reports of the shared socket (times are epoch milliseconds, `Date.now()`). */
export interface LinkStats {
    /** When the last frame arrived (null: none yet). */
    lastMessageAt: number | null;
    /** How long the last answered ping took, in ms (null: none answered yet). */
    pingRttMs: number | null;
    /** When the ping awaiting its pong went out (null: none outstanding). */
    pingSentAt: number | null;
    /** Sockets this client has open (0 or 1). */
    open: number;
    /** Sockets the shared worker holds for this key, all clients together (the provider allows 5). */
    sockets: number;
    /** The client's heartbeat and pong timeout, in ms. */
    heartbeatMs: number;
    pongTimeoutMs: number;
    /** The worker's clock when it answered. */
    now: number;
}

/** Options of `init`. */
export interface SharedInitOptions {
    /** Where `shared-worker.js` is served (default: beside this module). */
    workerUrl?: string | URL;
}

/** Starts the link to the shared worker (once; `new LpClient` does it too). */
export default function init(options?: SharedInitOptions): Promise<void>;
export { init };

/** How this tab reaches the client: its own port on the SharedWorker, or as leader/follower. */
export function sharedMode(): Promise<"shared-worker" | "leader" | "follower" | null>;

/**
 * A handle on the shared client for its options: handles with equal options (in any tab)
 * share one socket, one book, and one claim per order (a second tab's claim of an order
 * the LP won resolves `claimed` too).
 */
export class LpClient {
    /** Throws an `LpError` (`invalid_argument`) for missing apiUrl/lpKey or a `WebSocket` option; the rest is validated in the worker (`connect()` rejects). */
    constructor(options: SharedLpClientOptions);
    /** Subscribes to an event; returns a function that unsubscribes. */
    on<K extends keyof SharedLpClientEvents>(event: K, listener: (payload: SharedLpClientEvents[K]) => void): () => void;
    /** Connects, or joins the live socket; resolves with an `init` payload. */
    connect(): Promise<InitEvent>;
    /** As `LpClient.claim`, de-duplicated across tabs. */
    claim(id: number): Promise<ClaimResult>;
    /** As `LpClient.claimWs`, de-duplicated across tabs. */
    claimWs(id: number): Promise<WsClaimResult>;
    /** Marks fiat as sent over HTTP; resolves with the order. */
    fiatSent(id: number): Promise<RestOrder>;
    /** Marks fiat as sent over the socket; throws (kind `closed`) if not live. */
    fiatSentWs(id: number): void;
    /** `GET /api/orders/{id}`. */
    getOrder(id: number): Promise<RestOrder>;
    /** Polls until the order has `status`. */
    waitForStatus(id: number, status: OrderStatus, options?: WaitOptions): Promise<RestOrder>;
    /** How the shared socket is doing: last message, ping RTT, sockets held for this key. */
    stats(): Promise<LinkStats>;
    /** Drops the shared socket (every tab's) and opens a new one at once, skipping any backoff wait. */
    reconnect(): Promise<null>;
    /**
     * Auto-claim: the bot engine runs in the worker on this socket (its wasm loaded on the
     * first `start`); its claims are de-duplicated with the tabs'. Rejects with an
     * `LpError` (`invalid_argument`) for refused settings or an unknown command.
     */
    autoClaim(request: AutoClaimRequest): Promise<AutoClaimReport>;
    /** The open orders, newest first. */
    openOrders(): Order[];
    /** The shared connection's state. */
    readonly state: ConnectionState;
    /** Our LP id, once known. */
    readonly lpId: number | undefined;
    /** Detaches this handle; the socket closes when no handle in any tab is left. */
    close(): void;
    /** Same as `close()`. */
    free(): void;
    [Symbol.dispose](): void;
}
