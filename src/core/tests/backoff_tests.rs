//! Backoff: 1 s, 2 s, 4 s … capped, jittered downwards, deterministic for a seed.

use crate::backoff::Backoff;

#[test]
fn doubles_from_initial_to_the_cap() {
    let mut b = Backoff::new(1_000, 30_000, 1);
    let bases: Vec<u64> = (0..8)
        .map(|_| {
            let base = b.base_delay_ms();
            let d = b.next_delay_ms();
            assert!(
                d <= base && d >= base * 8 / 10,
                "{d} outside jitter band of {base}"
            );
            base
        })
        .collect();
    assert_eq!(
        bases,
        [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
    );
}

#[test]
fn jitter_is_injected_and_spreads_clients() {
    let seq = |seed| {
        let mut b = Backoff::new(1_000, 30_000, seed);
        (0..6).map(|_| b.next_delay_ms()).collect::<Vec<_>>()
    };
    assert_eq!(seq(42), seq(42), "same seed, same delays");
    assert_ne!(seq(1), seq(2), "different seeds spread out");
}

#[test]
fn reset_returns_to_initial_and_cap_delay_is_the_cap() {
    let mut b = Backoff::new(1_000, 30_000, 3);
    for _ in 0..4 {
        b.next_delay_ms();
    }
    b.reset();
    assert_eq!(b.base_delay_ms(), 1_000);
    let d = b.cap_delay_ms();
    assert!((24_000..=30_000).contains(&d), "{d}");
}

#[test]
fn survives_absurd_attempt_counts() {
    let mut b = Backoff::new(1, 86_400_000, 0);
    for _ in 0..10_000 {
        assert!(b.next_delay_ms() <= 86_400_000);
    }
}
