// The provider's "Full automation example — Node.js", verbatim from the LP WebSocket
// automation page (shared/spec). Tests change only the API and WebSocket base URLs.
import WebSocket from "ws";

const API = "https://api.rampwire.app";
const LP_KEY = process.env.LP_KEY;
const MAX_KES = 20_000;
const ALLOWED = new Set(["KES"]);

async function claimHttp(orderId) {
  const res = await fetch(`${API}/api/orders/${orderId}/claim`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${LP_KEY}`,
    },
    body: "{}",
  });
  if (!res.ok) throw new Error(await res.text());
  return res.json();
}

async function fiatSentHttp(orderId) {
  const res = await fetch(`${API}/api/orders/${orderId}/fiat-sent`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${LP_KEY}`,
    },
    body: "{}",
  });
  if (!res.ok) throw new Error(await res.text());
  return res.json();
}

const ws = new WebSocket(
  `wss://api.rampwire.app/ws/orders?lp_key=${encodeURIComponent(LP_KEY)}&currencies=KES`,
);

ws.on("message", async (raw) => {
  const msg = JSON.parse(raw.toString());
  if (msg.type !== "new_order") return;
  const o = msg.order;
  if (!ALLOWED.has(o.currency)) return;
  if (o.amount_fiat >= MAX_KES) return;
  try {
    const claimed = await claimHttp(o.id);
    console.log("claimed", claimed);
    // Integrate M-Pesa (or other rail) using payee from GET /api/orders/{o.id}
    await fiatSentHttp(o.id);
    console.log("fiat marked sent");
  } catch (e) {
    console.error("race or validation failed", e.message);
  }
});

const ping = setInterval(() => {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
}, 30_000);

ws.on("close", () => clearInterval(ping));
