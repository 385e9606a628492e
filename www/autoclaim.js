// The dashboard's auto-claim panel. The rules are the bot engine's policy language
// (src/bot/settings.rs: ALLOWED_CURRENCIES, MAX_AMOUNT, MAX_OPEN_CLAIMS, DAILY_USD_CAP,
// DRY_RUN); the engine itself runs in the shared worker (`client.autoClaim`), which decides
// every claim: this file only writes the rules, sends the operator's commands and shows the
// bot's status. A new bot starts in dry run; going live is an explicit, confirmed step; a
// start after a stop or a restart resumes the mode the bot's journal kept (the button says so).

import { el } from "./format.js";

/** How often the panel asks the worker for the bot's status while it runs. */
const POLL_MS = 1500;
const STORE = "rampwire.autoclaim.rules";
/** The mode the panel last saw the bot of an LP id run in: a start resumes its journal's mode. */
const MODE_STORE = "rampwire.autoclaim.mode";

/** The mode the panel last saw LP `lp`'s bot in (`live`, `dry_run`), or null. */
function lastMode(lp) {
  try {
    const m = JSON.parse(localStorage.getItem(MODE_STORE) ?? "null");
    return m && m.lp === lp ? m.mode : null;
  } catch {
    return null;
  }
}

/** Why auto-claim is refused here, or null: only a context never frozen nor throttled with a hidden tab may claim. */
export function autoClaimRefusal() {
  if (typeof SharedWorker === "function") return null;
  if (globalThis.navigator?.locks && typeof Worker === "function" && typeof BroadcastChannel === "function") return null;
  return "Auto-claim is not available in this browser: it needs SharedWorker, or Web Locks with Worker, so that claims come from a worker that keeps running while this tab is hidden. Claim by hand instead.";
}

function field(id, label, input, help) {
  const i = el("input", { id, ...input });
  if (help) i.setAttribute("aria-describedby", `${id}-help`);
  return el("div", { class: "field" }, el("label", { for: id, text: label }), i, ...(help ? [el("small", { id: `${id}-help`, class: "muted", text: help })] : []));
}

/**
 * The rules as the engine's settings text, or throws a message for the operator.
 * `limits`: "KES:50000, NGN:1000000" (the currencies, each with its largest amount).
 */
export function settingsText({ limits, maxOpen, dailyCap }) {
  const pairs = limits.split(",").map((p) => p.trim()).filter(Boolean);
  if (!pairs.length) throw new Error("Give at least one currency with its largest amount, e.g. KES:50000.");
  const currencies = pairs.map((p) => p.split(":")[0].trim().toUpperCase());
  const lines = [`ALLOWED_CURRENCIES=${currencies.join(",")}`, `MAX_AMOUNT=${pairs.map((p) => p.replace(/\s+/g, "").toUpperCase()).join(",")}`, `MAX_OPEN_CLAIMS=${maxOpen.trim()}`];
  if (dailyCap.trim()) lines.push(`DAILY_USD_CAP=${dailyCap.trim()}`);
  // A new journal starts in dry run; the switch to live is a command (kept across restarts).
  lines.push("DRY_RUN=true");
  return lines.join("\n");
}

/** Mounts the panel in `root`; `attach(client)` once connected, `detach()` on disconnect. */
export function mountAutoClaim(root, { toast = () => {} } = {}) {
  const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const saved = (() => { try { return JSON.parse(localStorage.getItem(STORE) ?? "null") ?? {}; } catch { return {}; } })();
  const limits = field("ac-limits", "Currencies and largest amounts", { type: "text", spellcheck: "false", placeholder: "KES:50000, NGN:1000000" }, "CURRENCY:MAX, comma-separated: only these are claimed.");
  const maxOpen = field("ac-max-open", "Max open claims", { type: "number", min: "1", max: "1000", step: "1", inputmode: "numeric" });
  const dailyCap = field("ac-daily-cap", "Daily cap (USD)", { type: "number", min: "0", step: "any", inputmode: "decimal", placeholder: "none" });
  const inputs = { limits: limits.querySelector("input"), maxOpen: maxOpen.querySelector("input"), dailyCap: dailyCap.querySelector("input") };
  inputs.limits.value = saved.limits ?? "";
  inputs.maxOpen.value = saved.maxOpen ?? "3";
  inputs.dailyCap.value = saved.dailyCap ?? "";
  const status = el("p", { id: "ac-status", class: "ac-status", role: "status", "aria-live": "polite", text: "Off" });
  const start = el("button", { id: "ac-start", type: "button", class: "primary", text: "Start in dry run" });
  const live = el("button", { id: "ac-live", type: "button", text: "Go live…", hidden: "" });
  const dry = el("button", { id: "ac-dry", type: "button", text: "Back to dry run", hidden: "" });
  const pause = el("button", { id: "ac-pause", type: "button", text: "Pause", hidden: "", "aria-keyshortcuts": "Alt+P" });
  const stop = el("button", { id: "ac-stop", type: "button", text: "Stop", hidden: "" });
  const confirmBox = el("div", { id: "ac-confirm", class: "confirm", role: "group", "aria-label": "Confirm going live", hidden: "" });
  const refusal = autoClaimRefusal();
  const note = el("p", { id: "ac-refused", class: "field-error", hidden: "" });
  root.replaceChildren(
    el("h2", { id: "autoclaim-title", text: "Auto-claim" }),
    note, limits, maxOpen, dailyCap,
    el("div", { class: "actions" }, start, live, dry, pause, stop),
    confirmBox, status);

  let client = null;
  let timer = null;
  let last = { running: false };

  function show(r) {
    last = r ?? { running: false };
    const s = last.status;
    const on = last.running && s;
    // A start keeps the mode in the bot's journal (a restart keeps the mode it had): the
    // button must not promise a dry run to a bot that was last seen live.
    if (on && s.lp_id != null && lastMode(s.lp_id) !== s.mode) {
      try { localStorage.setItem(MODE_STORE, JSON.stringify({ lp: s.lp_id, mode: s.mode })); } catch { /* private mode: the label falls back */ }
    }
    start.textContent = on ? "Apply rules" : client && lastMode(client.lpId) === "live" ? "Start: resumes live claiming" : "Start in dry run";
    for (const b of [pause, stop]) b.hidden = !on;
    live.hidden = !on || s.mode === "live";
    dry.hidden = !on || s.mode !== "live";
    pause.textContent = s?.paused ? "Resume" : "Pause";
    root.dataset.mode = on ? s.mode : "off";
    root.dataset.paused = on && s.paused ? "true" : "false";
    if (!on) {
      status.textContent = "Off";
      return;
    }
    const cap = s.daily_usd_cap == null ? "no daily cap" : `${usd.format(s.daily_usd ?? 0)} of ${usd.format(s.daily_usd_cap)} today`;
    const mode = s.stopped ? `Stopped: ${s.stopped.reason}` : s.mode === "live" ? "Live: claiming" : "Dry run: no claim is sent";
    const would = s.mode === "live" ? "" : ` · would have claimed ${s.dry_run_usage?.open_claims ?? 0}`;
    status.textContent = `${mode}${s.paused ? " · paused" : ""} · ${s.open_claims}/${s.max_open_claims} open claims · ${cap}${would}`;
  }

  async function ask(req) {
    if (!client) return toast("Connect first: auto-claim runs on the connection.");
    try {
      show(await client.autoClaim(req));
    } catch (e) {
      toast(`Auto-claim: ${e.message}`);
    }
  }

  function poll() {
    clearInterval(timer);
    timer = setInterval(() => client && last.running && ask({ op: "status" }), POLL_MS);
  }

  start.addEventListener("click", () => {
    let text;
    try {
      text = settingsText({ limits: inputs.limits.value, maxOpen: inputs.maxOpen.value, dailyCap: inputs.dailyCap.value });
    } catch (e) {
      return toast(e.message);
    }
    localStorage.setItem(STORE, JSON.stringify({ limits: inputs.limits.value, maxOpen: inputs.maxOpen.value, dailyCap: inputs.dailyCap.value }));
    ask({ op: "start", settings: text }).then(poll);
  });
  live.addEventListener("click", () => {
    const yes = el("button", { id: "ac-live-yes", type: "button", class: "primary", text: "Yes, claim for real" });
    const no = el("button", { type: "button", text: "Cancel" });
    confirmBox.replaceChildren(el("p", { text: "Claims lock collateral and commit you to pay each payee. Claim for real with these rules?" }), el("div", { class: "actions" }, yes, no));
    confirmBox.hidden = false;
    yes.focus();
    no.addEventListener("click", () => { confirmBox.hidden = true; live.focus(); });
    yes.addEventListener("click", () => { confirmBox.hidden = true; ask({ op: "command", command: "go_live" }).then(() => dry.focus()); });
  });
  dry.addEventListener("click", () => ask({ op: "command", command: "go_dry_run" }).then(() => live.focus()));
  pause.addEventListener("click", () => ask({ op: "command", command: last.status?.paused ? "resume" : "pause" }).then(() => pause.focus()));
  stop.addEventListener("click", () => ask({ op: "stop" }).then(() => start.focus()));

  if (refusal) {
    note.textContent = refusal;
    note.hidden = false;
    for (const b of [start, live, dry, pause, stop]) b.disabled = true;
  }

  return {
    /** A connected client (the panel asks whether a bot already runs for it). */
    attach(c) {
      if (refusal || client === c) return;
      client = c;
      c.on("autoclaim", (m) => {
        // What the operator must act on; won claims show in the claims queue.
        const n = m.notice;
        if (n && (n.kind === "stopped" || n.kind === "claim_gone" || n.kind === "refused")) toast(`Auto-claim: ${n.kind.replace("_", " ")}${n.id ? ` #${n.id}` : ""}: ${typeof n.reason === "string" ? n.reason : JSON.stringify(n.reason)}`);
        ask({ op: "status" });
      });
      ask({ op: "status" }).then(poll);
    },
    detach() {
      client = null;
      clearInterval(timer);
      show({ running: false });
    },
  };
}
