// Types of `rampwire-lp/edge` (edge/bot.mjs): the LP bot as a Durable Object class, for a
// Worker that re-exports it and binds it (see the package README, "The edge bot").

/** What the object is constructed with (Workers' `DurableObjectState`). */
export interface LpBotState {
  readonly storage: object;
  readonly id: object;
}

/** The Worker's bindings: the bot's vars and secrets (strings), and any others. */
export type LpBotEnv = Record<string, unknown>;

type FetchRequest = typeof globalThis extends { Request: { prototype: infer R } } ? R : never;
type FetchResponse = typeof globalThis extends { Response: { prototype: infer R } } ? R : never;

/**
 * The LP bot: holds one LpClient socket, claims orders by policy over HTTP, journals every
 * claim in Durable Object storage, reconciles unknown outcomes after a restart.
 */
export declare class LpBot {
  constructor(ctx: LpBotState, env: LpBotEnv);
  /** The operator endpoints: GET /status, GET /claims, POST /claims/{id}/fiat-sent, POST /pause, POST /resume. */
  fetch(request: FetchRequest): Promise<FetchResponse>;
  /** The watchdog (a Durable Object alarm). */
  alarm(): Promise<void>;
  /** Starts the bot if it is not running (call it from a cron trigger). */
  kick(): Promise<unknown>;
}
