// The floor of the latency benchmark: the least JavaScript can do between a `new_order`
// frame and a claim's bytes on the wire. `ws` with URL auth, JSON.parse, and one raw
// keep-alive TCP socket to the API that writes a prebuilt HTTP/1.1 request (answers are
// read and dropped). The socket is re-opened as soon as the server closes it (idle
// timeout), so the floor is warm too. Run as a script: API_URL, LP_KEY (and CURRENCY, the
// one subscribed to: KES unless set) in the environment.
import net from "node:net";
import { WebSocket } from "ws";

const api = new URL(process.env.API_URL);
const key = process.env.LP_KEY;
const head = `HTTP/1.1\r\nHost: ${api.host}\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
let socket = null;
function open() {
  const s = net.connect({ host: api.hostname, port: Number(api.port), noDelay: true });
  s.on("data", () => {});
  s.on("error", () => {});
  s.on("close", () => {
    if (socket === s) socket = null;
    setTimeout(() => socket ?? (socket = open()), 0);
  });
  return s;
}
socket = open();
const ws = new WebSocket(`${api.origin.replace("http", "ws")}/ws/orders?lp_key=${encodeURIComponent(key)}&currencies=${process.env.CURRENCY ?? "KES"}`);
ws.on("message", (raw) => {
  const msg = JSON.parse(raw.toString());
  if (msg.type !== "new_order") return;
  socket ??= open();
  socket.write(`POST /api/orders/${msg.order.id}/claim ${head}`);
});
