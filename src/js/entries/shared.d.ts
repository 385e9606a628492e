/* `rampwire-lp/shared`: LpClient's API for pages open in many tabs. One client per
   browser profile (in a SharedWorker, or in a leader tab's Worker where SharedWorker is
   missing) holds the socket and the timers; each `LpClient` here is a handle on it. */
import type { LpClientOptions, LpClientEvents, InitEvent, ClaimResult, WsClaimResult, RestOrder, Order, OrderStatus, WaitOptions, ConnectionState } from "./rampwire_lp.js";
import { LpError } from "./rampwire_lp.js";

export { LpError };
export type * from "./rampwire_lp.js";

/** LpClient's options, but `WebSocket` (the socket is opened in the worker). */
export type SharedLpClientOptions = Omit<LpClientOptions, "WebSocket">;

/** A claim's outcome, heard by every handle of the same options, whichever tab claimed. */
export interface SharedClaimEvent {
    orderId: number;
    result: ClaimResult | WsClaimResult;
}

/** LpClient's events, plus `claim`. */
export interface SharedLpClientEvents extends LpClientEvents {
    claim: SharedClaimEvent;
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
