//! The order book: open orders we have heard of, newest first, bounded.
//!
//! What it can and cannot know: `init` holds at most the 20 newest open orders
//! ([`INIT_LIMIT`]), and competitors' HTTP claims are never broadcast. So after a
//! reconnect, an order missing from a *short* `init` (fewer than 20) is proof it is no
//! longer open, and so is a missing order *newer* than the oldest order of a full
//! `init`. An order older than everything in a full `init` may still be open: it is
//! kept, marked unverified, and listed in the [`Resync`] report so the application can
//! check it with `GET /api/orders/{id}` if it matters. Ids are assumed to grow with
//! creation time (they are the provider's primary key).

use super::id_map::IdMap;
use super::wire::{Order, OrderId};

/// The most orders a server puts in `init` (spec: "up to 20 most recent").
pub const INIT_LIMIT: usize = 20;

/// What [`OrderBook::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The id was already held; the book is unchanged.
    Duplicate,
    /// Added. `evicted`: the oldest order, dropped to make room in a full book (the
    /// new order itself if it is older than everything held).
    Added {
        /// The order dropped, if any.
        evicted: Option<OrderId>,
    },
}

/// Why an order left the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// Another LP claimed it (`order_taken`, or our HTTP claim got 409).
    Taken,
    /// We claimed it (our `claimed`, or our HTTP claim succeeded).
    ClaimedByUs,
    /// Gone from the snapshot after a reconnect: taken or closed while we were offline.
    Vanished,
    /// Pushed out by newer orders when the book was full.
    Evicted,
}

impl RemovalReason {
    /// The name used in events (`"taken"`, `"claimed"`, `"vanished"`, `"evicted"`).
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalReason::Taken => "taken",
            RemovalReason::ClaimedByUs => "claimed",
            RemovalReason::Vanished => "vanished",
            RemovalReason::Evicted => "evicted",
        }
    }
}

/// What changed when a fresh `init` was merged into the book.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resync {
    /// Orders in the snapshot that the book did not have (appeared while offline).
    pub appeared: Vec<Order>,
    /// Orders the snapshot proves are no longer open; removed.
    pub vanished: Vec<OrderId>,
    /// Orders older than a full snapshot can vouch for; kept, but unconfirmed.
    pub unverified: Vec<OrderId>,
    /// Orders evicted to stay within capacity.
    pub evicted: Vec<OrderId>,
}

#[derive(Debug, Clone)]
struct Entry {
    order: Order,
    verified: bool,
}

/// Open orders keyed by id; iteration is newest (highest id) first.
#[derive(Debug, Clone)]
pub struct OrderBook {
    orders: IdMap<Entry>,
    capacity: usize,
}

impl OrderBook {
    /// An empty book holding at most `capacity` orders (at least [`INIT_LIMIT`]).
    pub fn new(capacity: usize) -> Self {
        OrderBook {
            orders: IdMap::new(),
            capacity: capacity.max(INIT_LIMIT),
        }
    }

    /// Number of orders held.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// The order with this id, if held.
    pub fn get(&self, id: OrderId) -> Option<&Order> {
        self.orders.get(id).map(|e| &e.order)
    }

    /// True when the last snapshot could not confirm this order is still open.
    pub fn is_unverified(&self, id: OrderId) -> bool {
        self.orders.get(id).is_some_and(|e| !e.verified)
    }

    /// Orders, newest first.
    pub fn iter(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().rev().map(|(_, e)| &e.order)
    }

    /// Inserts a new order (at frame rate: nothing allocated beyond the order itself).
    pub fn insert(&mut self, order: Order) -> Inserted {
        if self.orders.contains(order.id) {
            return Inserted::Duplicate;
        }
        self.orders.insert(
            order.id,
            Entry {
                order,
                verified: true,
            },
        );
        // The book is never over capacity between calls: one eviction makes room.
        let evicted = if self.orders.len() > self.capacity {
            self.orders.pop_first().map(|(id, _)| id)
        } else {
            None
        };
        Inserted::Added { evicted }
    }

    /// Removes an order; true if it was held.
    pub fn remove(&mut self, id: OrderId) -> bool {
        self.orders.remove(id).is_some()
    }

    /// Empties the book.
    pub fn clear(&mut self) {
        self.orders.clear();
    }

    /// Merges a fresh snapshot (an `init`) and reports the difference. Linear in the
    /// sizes of the book and the snapshot (a hostile `init` may hold ~70,000 orders): one
    /// sort (a check, for the spec's newest-first `init`), then one merge, newest first,
    /// which also applies the capacity; no search or removal inside a loop.
    pub fn resync(&mut self, mut snapshot: Vec<Order>) -> Resync {
        let mut report = Resync::default();
        let full = snapshot.len() >= INIT_LIMIT;
        super::id_map::sort_newest_first(&mut snapshot, |o| o.id);
        let horizon = snapshot.last().map(|o| o.id);
        let mut merged: Vec<(OrderId, Entry)> = Vec::new();
        let mut held = self.orders.take().rev();
        let mut next_held = held.next();
        let mut last = None;
        let capacity = self.capacity;
        // Keeps an entry, or evicts it once the book is full (the oldest go).
        let keep = |merged: &mut Vec<(OrderId, Entry)>, report: &mut Resync, id, entry| {
            if merged.len() < capacity {
                merged.push((id, entry));
                true
            } else {
                report.evicted.push(id);
                false
            }
        };
        for order in snapshot {
            if last == Some(order.id) {
                continue; // a duplicate id
            }
            last = Some(order.id);
            let mut held_too = false;
            // Held orders newer than this one are missing from the snapshot.
            while let Some((id, entry)) = next_held.take() {
                if id < order.id {
                    next_held = Some((id, entry));
                    break;
                }
                next_held = held.next();
                if id == order.id {
                    held_too = true;
                    break;
                }
                if let Some(entry) = held_entry(id, entry, full, horizon, &mut report) {
                    keep(&mut merged, &mut report, id, entry);
                }
            }
            let id = order.id;
            let entry = Entry {
                order,
                verified: true,
            };
            let appeared = (!held_too).then(|| entry.order.clone());
            if keep(&mut merged, &mut report, id, entry) {
                report.appeared.extend(appeared);
            }
        }
        // Older than every snapshot order.
        for (id, entry) in next_held.into_iter().chain(held) {
            if let Some(entry) = held_entry(id, entry, full, horizon, &mut report) {
                keep(&mut merged, &mut report, id, entry);
            }
        }
        self.orders = IdMap::from_newest_first(merged);
        report
    }
}

/// What becomes of a held order the snapshot does not list: proven gone (reported
/// `vanished`, `None`), or kept unverified when it is older than a full snapshot can
/// vouch for.
fn held_entry(
    id: OrderId,
    mut entry: Entry,
    full: bool,
    horizon: Option<OrderId>,
    report: &mut Resync,
) -> Option<Entry> {
    if full && horizon.is_some_and(|h| id < h) {
        entry.verified = false;
        report.unverified.push(id);
        Some(entry)
    } else {
        report.vanished.push(id);
        None
    }
}
