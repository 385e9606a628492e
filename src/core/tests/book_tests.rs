//! The order book: snapshot, insert, dedupe, remove, resync diff, bound.

use super::harness::order;
use crate::book::{Inserted, OrderBook, INIT_LIMIT};

fn ids(b: &OrderBook) -> Vec<u64> {
    b.iter().map(|o| o.id).collect()
}

#[test]
fn snapshot_insert_dedupe_remove_newest_first() {
    let mut b = OrderBook::new(100);
    let r = b.resync(vec![order(3), order(1), order(2)]);
    assert_eq!(r.appeared.len(), 3);
    assert_eq!(ids(&b), [3, 2, 1]);
    assert_eq!(b.insert(order(5)), Inserted::Added { evicted: None });
    assert_eq!(
        b.insert(order(5)),
        Inserted::Duplicate,
        "duplicate ids are ignored"
    );
    assert_eq!(ids(&b), [5, 3, 2, 1]);
    assert!(b.remove(3));
    assert!(!b.remove(3));
    assert_eq!(ids(&b), [5, 2, 1]);
}

#[test]
fn bounded_by_capacity_oldest_evicted() {
    let mut b = OrderBook::new(INIT_LIMIT);
    for id in 1..=INIT_LIMIT as u64 {
        b.insert(order(id));
    }
    assert_eq!(b.insert(order(100)), Inserted::Added { evicted: Some(1) });
    assert_eq!(b.len(), INIT_LIMIT);
    // An order older than everything in a full book is evicted at once.
    assert_eq!(b.insert(order(0)), Inserted::Added { evicted: Some(0) });
    assert_eq!(b.len(), INIT_LIMIT);
}

#[test]
fn resync_with_short_init_is_complete() {
    let mut b = OrderBook::new(100);
    b.resync(vec![order(10), order(9), order(8)]);
    // Offline: 9 taken, 11 created.
    let r = b.resync(vec![order(11), order(10), order(8)]);
    assert_eq!(r.appeared.iter().map(|o| o.id).collect::<Vec<_>>(), [11]);
    assert_eq!(r.vanished, [9]);
    assert!(r.unverified.is_empty());
    assert_eq!(ids(&b), [11, 10, 8]);
}

#[test]
fn resync_with_full_init_keeps_older_orders_unverified() {
    let mut b = OrderBook::new(100);
    b.resync((1..=20).rev().map(order).collect());
    // Offline: 25 new orders arrived (ids 21..=45), order 30 was taken; init holds the 20 newest open.
    let snapshot: Vec<_> = (25..=45)
        .rev()
        .filter(|&i| i != 30)
        .take(20)
        .map(order)
        .collect();
    assert_eq!(snapshot.len(), 20);
    let horizon = snapshot.iter().map(|o| o.id).min().unwrap();
    let r = b.resync(snapshot);
    assert_eq!(horizon, 25);
    // 1..=20 are older than the horizon: cannot be proven gone.
    assert_eq!(r.unverified, (1..=20).rev().collect::<Vec<_>>());
    assert!(r.vanished.is_empty());
    assert!(b.is_unverified(1) && !b.is_unverified(45));
    assert_eq!(b.len(), 40);
    // A later snapshot that includes an unverified order confirms it again.
    let mut again: Vec<_> = (27..=45).rev().filter(|&i| i != 30).map(order).collect();
    again.push(order(20));
    let r = b.resync(again);
    assert!(!b.is_unverified(20));
    assert!(
        r.vanished.contains(&25) && r.vanished.contains(&26),
        "inside the horizon, missing = gone"
    );
}

#[test]
fn resync_within_a_full_init_horizon_is_proof() {
    let mut b = OrderBook::new(100);
    b.resync((1..=20).rev().map(order).collect());
    // Order 15 missing from a full snapshot that reaches down to 1: it is gone.
    let snap: Vec<_> = (0..=21)
        .rev()
        .filter(|&i| i != 15 && i != 21)
        .take(20)
        .map(order)
        .collect();
    let r = b.resync(snap);
    assert_eq!(r.vanished, [15]);
}

#[test]
fn sort_newest_first_sorts_any_order() {
    use crate::id_map::sort_newest_first;
    let mut seed = 7u64;
    for n in [0usize, 1, 2, 3, 10, 101, 1000] {
        for shape in 0..3 {
            let mut v: Vec<u64> = (0..n as u64).collect();
            match shape {
                0 => v.reverse(),
                1 => {
                    for i in (1..n).rev() {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        v.swap(i, (seed >> 33) as usize % (i + 1));
                    }
                }
                _ => v.iter_mut().for_each(|x| *x %= 7),
            }
            let mut want = v.clone();
            want.sort_by(|a, b| b.cmp(a));
            sort_newest_first(&mut v, |&x| x);
            assert_eq!(v, want, "n {n} shape {shape}");
        }
    }
}
