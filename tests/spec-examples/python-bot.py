# The provider's "Full automation example — Python (websockets)", verbatim from the
# LP WebSocket automation page (shared/spec). Tests change only the API and WebSocket base URLs.
import asyncio
import json
import os

import httpx
import websockets

API = "https://api.rampwire.app"
LP_KEY = os.environ["LP_KEY"]
MAX_KES = 20_000
ALLOWED = {"KES"}


async def claim_http(order_id: int):
    async with httpx.AsyncClient() as c:
        r = await c.post(
            f"{API}/api/orders/{order_id}/claim",
            headers={"Authorization": f"Bearer {LP_KEY}"},
            json={},
            timeout=30.0,
        )
        r.raise_for_status()
        return r.json()


async def fiat_sent_http(order_id: int):
    async with httpx.AsyncClient() as c:
        r = await c.post(
            f"{API}/api/orders/{order_id}/fiat-sent",
            headers={"Authorization": f"Bearer {LP_KEY}"},
            json={},
            timeout=30.0,
        )
        r.raise_for_status()
        return r.json()


async def run_socket():
    uri = f"wss://api.rampwire.app/ws/orders?lp_key={LP_KEY}&currencies=KES"
    async with websockets.connect(uri) as ws:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") != "new_order":
                continue
            o = msg["order"]
            if o["currency"] not in ALLOWED:
                continue
            if o["amount_fiat"] >= MAX_KES:
                continue
            try:
                print("claim", await claim_http(o["id"]))
                print("fiat_sent", await fiat_sent_http(o["id"]))
            except Exception as e:
                print("claim race failed", e)


async def main():
    while True:
        try:
            await run_socket()
        except Exception:
            await asyncio.sleep(2)


asyncio.run(main())
