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
 * The LP bot: the bot engine (policy, journal, reconciliation) with one LpClient socket,
 * its journal in Durable Object storage; a new bot runs in DRY RUN until told to go live.
 */
export declare class LpBot {
  constructor(ctx: LpBotState, env: LpBotEnv);
  /**
   * The operator endpoints (`Authorization: Bearer <OPERATOR_TOKEN>`): GET /status,
   * GET /summary, GET /claims?state=&since=&cursor=&limit=&format=csv,
   * POST /claims/{id}/fiat-sent, POST /claims/{id}/release, POST /pause, POST /resume,
   * POST /go-live, POST /go-dry-run.
   */
  fetch(request: FetchRequest): Promise<FetchResponse>;
  /** The watchdog (a Durable Object alarm). */
  alarm(): Promise<void>;
  /** Starts the bot if it is not running (call it from a cron trigger). */
  kick(): Promise<unknown>;
}
