//! TypeScript declarations for the public surface (merged into the generated `.d.ts`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = r#"
/** Options of `new LpClient(options)`. Durations are in milliseconds. */
export interface LpClientOptions {
  /** REST base, e.g. "https://api.rampwire.app". The socket URL is derived (wss://…/ws/orders). */
  apiUrl: string;
  /** The LP key. Validated, never echoed, never put in a URL unless `auth: "query"`. */
  lpKey: string;
  /** Only orders in these currencies (empty: all). */
  currencies?: string[];
  /** Override the derived socket URL. */
  wsUrl?: string;
  /** "deferred" (default: key sent in an `auth` frame) or "query" (key in the URL: opt-in). */
  auth?: "deferred" | "query";
  /** Ping interval while live (default 30000). */
  heartbeatMs?: number;
  /** Silence after a ping that declares the socket dead (default 10000). */
  pongTimeoutMs?: number;
  /** First reconnect delay (default 1000). */
  backoffInitialMs?: number;
  /** Reconnect delay cap, also used after "too many connections" (default 30000). */
  backoffMaxMs?: number;
  /** Live time after which the backoff resets (default: heartbeatMs). */
  stableAfterMs?: number;
  /** Limit for opening and authenticating the socket (default 15000). */
  connectTimeoutMs?: number;
  /**
   * Limit for one HTTP request and a WebSocket claim's answer (default 10000). Over
   * `fetch` (browsers, Workers) a request is aborted at the client's next timer tick past
   * it: ticks are a quarter of this apart (10 ms to 1 s).
   */
  requestTimeoutMs?: number;
  /** Largest REST answer body read, in bytes (default 1048576, 1 MiB); a longer one is an error. */
  maxBodyBytes?: number;
  /** Most orders kept in the book (default 1000). */
  bookCapacity?: number;
  /** Permit ws:// and http:// to hosts other than loopback (default false). */
  allowInsecure?: boolean;
  /**
   * Orders to keep; the rest never enter the book nor reach a callback (checked in wasm;
   * a `new_order` frame that cannot hold an allowed currency is dropped unread before it).
   */
  orderFilter?: OrderFilter;
  /**
   * Claim over HTTP every order `orderFilter` keeps (required), as its frame is read and
   * before the `order` event reaches your code: the claim's bytes leave first (default
   * false). `claim(order.id)` in an `order` listener then returns that claim's promise
   * (one claim per order per client). At most 32 claims per frame (a resync's init may
   * announce more orders; those reach `order` listeners unclaimed).
   */
  autoClaim?: boolean;
  /**
   * The WebSocket class to use (default: the global one). On Node, e.g. the `ws`
   * package's `WebSocket`: Node 20 has a global one only behind a flag. It needs what
   * browsers have: `onopen`, `onmessage` (text frames as strings), `onclose`, `onerror`,
   * `send`, `close`, `readyState`.
   */
  WebSocket?: new (url: string) => unknown;
}

/** A client-side order policy. Empty parts accept everything. */
export interface OrderFilter {
  currencies?: string[];
  /** Largest amount_fiat per currency, e.g. { KES: 20000 }; unlisted currencies: no limit. */
  maxAmountFiat?: Record<string, number>;
  minAmountUsd?: number;
  maxAmountUsd?: number;
}

/**
 * An order's status. The lifecycle is `open → claimed → fiat_sent → completed`; `expired`
 * and `cancelled` may occur.
 */
export type OrderStatus = "open" | "claimed" | "fiat_sent" | "completed" | "expired" | "cancelled";

/** A sell order, with the provider's wire field names. */
export interface Order {
  id: number;
  /** `null`: the server sent something unreadable (such an order never passes an amount limit). */
  amount_fiat: number | null;
  currency: string;
  /** `null`: the server sent something unreadable (such an order never passes an amount limit). */
  amount_usd: number | null;
  crypto_symbol: string;
  crypto_chain: string;
  /** One of `OrderStatus`, or a status this version does not know (kept as sent). */
  status: OrderStatus | (string & {});
  created_at: string;
}

/** How the fiat is paid: the rails seen so far, or another the server names. */
export type PayeeRail = "mpesa" | "mobile_money" | "bank_transfer" | (string & {});

/** Who gets the fiat (present for the LP that claimed the order). */
export interface Payee {
  name: string;
  account: string;
  rail: PayeeRail;
}

/** An order as the REST API returns it; extra server fields are kept. */
export interface RestOrder extends Order {
  lp_id: number | null;
  payee?: Payee | null;
  lp_receive_address?: string | null;
  [field: string]: unknown;
}

export type ConnectionState =
  | "idle" | "connecting" | "authenticating" | "live" | "reconnecting" | "closed" | "failed";

/**
 * What class of failure an `LpError` is. `unknown`: a claim or fiat-sent whose outcome
 * could not be established (check `GET /api/orders/{id}`, e.g. `getOrder(id)`: the server
 * may well have done it). `not_initialized`: `new LpClient` before `await init()`.
 */
export type LpErrorKind =
  | "unauthorized" | "rate_limited" | "not_owner" | "conflict" | "not_found" | "network"
  | "timeout" | "server" | "protocol" | "invalid_argument" | "closed" | "unknown"
  | "not_initialized";

/**
 * Every error this package throws or reports: an `Error` with `name === "LpError"`
 * (`e instanceof LpError` works). Its message never contains the key.
 */
export class LpError extends Error {
  constructor(kind: LpErrorKind, message: string, status?: number, orderId?: number);
  name: "LpError";
  kind: LpErrorKind;
  /** HTTP status, when the error came from an HTTP answer. */
  status?: number;
  /** The order concerned, if any. */
  orderId?: number;
}

/** What changed while offline, reported with the `init` that follows a reconnect. */
export interface Resync {
  appeared: number[];
  /** Proven gone (taken or closed while offline). */
  vanished: number[];
  /** Older than a full 20-order snapshot can vouch for: kept, unconfirmed. */
  unverified: number[];
  evicted: number[];
}

export interface InitEvent {
  orders: Order[];
  lpId: number | null;
  currencies: string[];
  /** null for the first snapshot. */
  resync: Resync | null;
}

export interface StateEvent {
  state: ConnectionState;
  attempt: number;
  retryInMs: number | null;
  reason: LpError | null;
}

export interface OrderTakenEvent { orderId: number; }
export interface OrderRemovedEvent {
  orderId: number;
  reason: "taken" | "claimed" | "vanished" | "evicted";
}
export interface ClaimedEvent { orderId: number; }

export interface LpClientEvents {
  init: InitEvent;
  order: Order;
  order_taken: OrderTakenEvent;
  order_removed: OrderRemovedEvent;
  claimed: ClaimedEvent;
  state: StateEvent;
  error: LpError;
}

/** `claim()`'s outcome: when ours, the order as the server answered it. */
export type ClaimResult =
  | { status: "claimed"; order: RestOrder }
  | { status: "taken"; orderId: number };

/**
 * `claimWs()`'s outcome: the socket's `claimed` carries only the id; `order` is there when
 * the outcome had to be established over HTTP.
 */
export type WsClaimResult =
  | { status: "claimed"; orderId?: number; order?: RestOrder }
  | { status: "taken"; orderId: number };

export interface WaitOptions {
  intervalMs?: number;
  timeoutMs?: number;
}

/** `WebAssembly.Module` where the project's libraries declare it (DOM, Workers, Node), else `object`. */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : object;
/** `WebAssembly.Memory` where the project's libraries declare it, else `object`. */
export type WasmMemory = typeof globalThis extends { WebAssembly: { Memory: { prototype: infer M } } } ? M : object;
/** Bytes of a module (what DOM calls `BufferSource`). */
export type BufferSourceLike = ArrayBuffer | ArrayBufferView;
/** Where `init()` fetches the module from: a URL or a `Response` (types from the project's libraries). */
export type RequestLike =
  | string
  | (typeof globalThis extends { URL: { prototype: infer U } } ? U : never)
  | (typeof globalThis extends { Request: { prototype: infer R } } ? R : never)
  | (typeof globalThis extends { Response: { prototype: infer R } } ? R : never);

declare global {
  interface SymbolConstructor {
    /** `Symbol.dispose` (lib esnext.disposable), declared so the types need no such lib. */
    readonly dispose: unique symbol;
  }
}

export interface LpClient {
  /** Subscribes to an event; returns a function that unsubscribes. */
  on<K extends keyof LpClientEvents>(event: K, listener: (payload: LpClientEvents[K]) => void): () => void;
}
"#;
