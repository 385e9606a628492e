//! The provider's socket side and its own life: auth and `init`, pings, broadcasts
//! (duplicated at times), and orders created, claimed by rivals, expired, cancelled.

use super::*;

impl World {
    pub(super) fn server_send(&mut self, key: (u32, u32), text: String) {
        let lat = self.lat();
        let Some(s) = self.sockets.get_mut(&key) else {
            return;
        };
        let at = (self.t + lat).max(s.last + 1);
        s.last = at;
        let d = at - self.t;
        self.at(
            d,
            Ev::SockFrame {
                inst: key.0,
                sock: SocketId(key.1),
                text,
            },
        );
    }

    pub(super) fn server_recv(&mut self, inst: u32, sock: SocketId, text: &str) {
        let key = (inst, sock.0);
        if !self.sockets.contains_key(&key) {
            return;
        }
        if text.contains("\"type\":\"auth\"") {
            if self.model.key_rejected {
                self.server_send(
                    key,
                    r#"{"type":"error","message":"Invalid lp_key"}"#.to_owned(),
                );
                self.server_close(key, 5);
                return;
            }
            let filter = self
                .sockets
                .get(&key)
                .map(|s| s.currencies.clone())
                .unwrap_or_default();
            let mut open: Vec<u64> = self
                .model
                .orders
                .values()
                .filter(|o| o.status == Status::Open)
                .filter(|o| filter.is_empty() || filter.iter().any(|c| c == o.currency))
                .map(|o| o.id)
                .collect();
            open.sort_unstable_by(|a, b| b.cmp(a));
            open.truncate(20);
            let mut parts = Vec::new();
            for id in open {
                if let Some(o) = self.model.orders.get(&id).cloned() {
                    parts.push(self.model.frame_order(&o, &mut self.rng));
                }
            }
            let lp = if self.rng.chance(0.3) {
                format!("\"{ME}\"")
            } else {
                ME.to_string()
            };
            let init = format!(
                r#"{{"type":"init","orders":[{}],"lp_id":{lp},"currencies":["KES","NGN"]}}"#,
                parts.join(",")
            );
            if let Some(s) = self.sockets.get_mut(&key) {
                s.authed = true;
            }
            self.server_send(key, init);
        } else if text.contains("\"type\":\"ping\"") {
            self.server_send(key, format!(r#"{{"type":"pong","ts":{}}}"#, self.t));
        }
    }

    pub(super) fn server_close(&mut self, key: (u32, u32), delay: u64) {
        if self.sockets.remove(&key).is_some() {
            self.at(
                delay,
                Ev::SockClosed {
                    inst: key.0,
                    sock: SocketId(key.1),
                },
            );
        }
    }

    pub(super) fn broadcast(&mut self, text: &str, currency: Option<&str>) {
        let keys: Vec<(u32, u32)> = self
            .sockets
            .iter()
            .filter(|(_, s)| s.authed)
            .filter(|(_, s)| {
                currency.map_or(true, |c| {
                    s.currencies.is_empty() || s.currencies.iter().any(|x| x == c)
                })
            })
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.server_send(k, text.to_owned());
            if self.faults && self.rng.chance(0.05) {
                self.server_send(k, text.to_owned());
            }
        }
    }

    pub(super) fn model_event(&mut self, ev: ModelEv) {
        let open: Vec<u64> = self
            .model
            .orders
            .values()
            .filter(|o| o.status == Status::Open)
            .map(|o| o.id)
            .collect();
        match ev {
            ModelEv::NewOrder => {
                let id = self.model.create(&mut self.rng);
                if let Some(o) = self.model.orders.get(&id).cloned() {
                    let frame = format!(
                        r#"{{"type":"new_order","order":{}}}"#,
                        self.model.frame_order(&o, &mut self.rng)
                    );
                    self.note(format!(
                        "model: new order {id} {} {} usd {}{}",
                        o.currency,
                        o.fiat,
                        o.usd,
                        if o.unreadable { " (unreadable)" } else { "" }
                    ));
                    self.broadcast(&frame, Some(o.currency));
                    // A rival races for it: our claim may land second (409), or its
                    // order_taken may arrive while our claim is under way.
                    if self.rng.chance(0.3) {
                        let d = self.rng.range(1, 30);
                        let ws = self.rng.chance(0.5);
                        self.at(d, Ev::Race { id, ws });
                    }
                }
            }
            ModelEv::WsRival | ModelEv::HttpRival => {
                let Some(&id) = self.rng.pick(&open) else {
                    return;
                };
                let ws = matches!(ev, ModelEv::WsRival);
                if let Some(o) = self.model.orders.get_mut(&id) {
                    o.status = Status::Claimed;
                    o.owner = Some(if ws { WS_RIVAL } else { HTTP_RIVAL });
                }
                self.note(format!(
                    "model: {id} claimed by a rival over {}",
                    if ws { "ws" } else { "http" }
                ));
                if ws {
                    let frame = if self.rng.chance(0.1) {
                        format!(r#"{{"type":"order_taken","order_id":"{id}"}}"#)
                    } else {
                        format!(r#"{{"type":"order_taken","order_id":{id}}}"#)
                    };
                    self.broadcast(&frame, None);
                }
            }
            ModelEv::Expire => {
                let Some(&id) = self.rng.pick(&open) else {
                    return;
                };
                let status = if self.rng.chance(0.5) {
                    Status::Expired
                } else {
                    Status::Cancelled
                };
                if let Some(o) = self.model.orders.get_mut(&id) {
                    o.status = status;
                }
                self.note(format!("model: {id} {}", status.as_str()));
            }
            ModelEv::CancelClaimed => {
                let held: Vec<u64> = self
                    .model
                    .orders
                    .values()
                    .filter(|o| matches!(o.status, Status::Claimed | Status::FiatSent))
                    .map(|o| o.id)
                    .collect();
                let Some(&id) = self.rng.pick(&held) else {
                    return;
                };
                let mut owner = None;
                if let Some(o) = self.model.orders.get_mut(&id) {
                    o.status = Status::Cancelled;
                    owner = o.owner;
                }
                self.note(format!(
                    "model: claimed order {id} (owner {owner:?}) cancelled"
                ));
            }
        }
    }
}
