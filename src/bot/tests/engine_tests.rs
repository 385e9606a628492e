//! The engine's rules, one by one, and a test for each defect of the old JS bot
//! (`edge/bot.mjs`) that the engine makes impossible.

use super::support::*;
use crate::*;

fn claimed(b: &mut Bot, id: u64) {
    let t = b.claim_kes(id);
    b.feed(Input::ClaimOutcome {
        id,
        token: t,
        outcome: ClaimOutcome::Claimed {
            lp_id: Some(ME),
            order: None,
        },
    });
    assert_eq!(b.state(id), Some(EntryState::Claimed));
}

// ---- the old JS bot's defects ----------------------------------------------------------

/// Old: a claim committed on the server was journaled `failed` when the client was freed
/// mid-claim (`POST /pause`), and never looked at again.
#[test]
fn defect_claim_freed_mid_claim_is_reconciled_not_failed() {
    for kind in [
        FailureKind::Unknown,
        FailureKind::Closed,
        FailureKind::Other,
        FailureKind::Protocol,
    ] {
        let mut b = Bot::new(&[]);
        let t = b.claim_kes(7);
        b.feed(Input::Command(Command::Pause));
        b.feed(Input::ClaimOutcome {
            id: 7,
            token: t,
            outcome: ClaimOutcome::Failed {
                kind,
                status: None,
                message: "claim of order 7: outcome unknown (the client was freed while it ran)"
                    .into(),
            },
        });
        assert_eq!(b.state(7), Some(EntryState::Pending), "{kind:?}");
        assert_eq!(b.gets().len(), 1, "looked up at once (even paused)");
        b.answer_get(7, body(7, "claimed", "12"));
        assert_eq!(b.state(7), Some(EntryState::Claimed), "{kind:?}");
        assert!(b
            .notices()
            .iter()
            .any(|n| matches!(n, Notice::ClaimWon { id: 7, .. })));
    }
}

/// Old: a restart during fiat-sent left the entry `claimed` for good while the server
/// said `completed`: a collateral slot gone.
#[test]
fn defect_restart_during_fiat_sent_is_settled_by_lookup() {
    let mut b = Bot::new(&[]);
    claimed(&mut b, 7);
    b.take();
    b.feed(Input::Command(Command::FiatSent { id: 7 }));
    assert_eq!(b.fiat_sents().len(), 1);
    assert!(
        b.store[&7].fiat_sent_requested_at.is_some(),
        "persisted before the request"
    );
    b.restart();
    b.feed(Input::Connected { lp_id: Some(ME) });
    assert_eq!(
        b.gets().len(),
        1,
        "non-final entries are looked up at start"
    );
    b.answer_get(7, body(7, "completed", "12"));
    assert_eq!(b.state(7), Some(EntryState::Completed));
    assert_eq!(b.open_claims(), 0);
}

/// Old: `lp_id` answered as the string "12" turned our own claim into `lost`.
#[test]
fn defect_numeric_string_owner_is_ours() {
    let mut b = Bot::new(&[]);
    let t = b.claim_kes(7);
    b.feed(Input::ClaimOutcome {
        id: 7,
        token: t,
        outcome: ClaimOutcome::Failed {
            kind: FailureKind::Timeout,
            status: None,
            message: "no answer".into(),
        },
    });
    b.answer_get(7, body(7, "claimed", "\"12\""));
    assert_eq!(b.state(7), Some(EntryState::Claimed));
    // And an id as a string too.
    let mut b = Bot::new(&[]);
    claimed(&mut b, 8);
    b.run_for(5_000);
    b.answer_get(
        8,
        GetAnswer::Order {
            body: r#"{"id":"8","status":"fiat_sent","lp_id":"12"}"#.into(),
        },
    );
    assert_eq!(b.state(8), Some(EntryState::FiatSent));
}

/// Old: an unreadable amount passed MAX_AMOUNT (4 of 4 orders of 50,000 KES claimed
/// against 20,000) and added nothing to DAILY_USD_CAP.
#[test]
fn defect_unreadable_amount_is_never_claimed() {
    let mut b = Bot::new(&[("DAILY_USD_CAP", "100")]);
    for (id, fiat, usd) in [
        (1, None, Some(400.0)),
        (2, Some(5000.0), None),
        (3, None, None),
    ] {
        b.take();
        b.feed(Input::Order {
            order: order(id, "KES", fiat, usd, b.now),
        });
        assert!(b.claims().is_empty(), "order {id}");
        let seen = b.logs("order_seen");
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0].get("rule"),
            Some(&Value::Str("amount_unreadable".into()))
        );
    }
    // From JSON: a formatted string is unreadable, a plain numeric string is read.
    let (_, input) = Input::from_json(
        r#"{"type":"order","now":1,"order":{"id":4,"currency":"KES","amount_fiat":"50,000","amount_usd":"385.1","received_at":1}}"#,
    )
    .unwrap();
    let Input::Order { order } = input else {
        panic!()
    };
    assert_eq!(order.amount_fiat, None);
    assert_eq!(order.amount_usd, Some(385.1));
    assert_eq!(
        Policy::new(&b.settings).check_order(&order),
        Verdict::Skip(SkipRule::AmountUnreadable)
    );
    assert_eq!(b.engine.status(b.now).daily_usd, 0.0);
}

/// Old: `claimed` and `fiat_sent` entries were never re-checked: an expired, cancelled or
/// foreign order held a collateral slot forever.
#[test]
fn defect_claimed_entries_are_rechecked_and_free_their_slot() {
    let cases = [
        (body(7, "expired", "12"), GoneReason::Expired),
        (body(7, "cancelled", "null"), GoneReason::Cancelled),
        (
            body(7, "claimed", "13"),
            GoneReason::OtherOwner { lp_id: 13 },
        ),
        (GetAnswer::NotFound, GoneReason::NotFound),
        (body(7, "open", "null"), GoneReason::Reopened),
    ];
    for (answer, reason) in cases {
        let mut b = Bot::new(&[]);
        claimed(&mut b, 7);
        assert_eq!(b.open_claims(), 1);
        b.take();
        b.run_for(4_000);
        assert!(b.gets().is_empty(), "not before the interval");
        b.run_for(1_500);
        b.answer_get(7, answer);
        assert_eq!(b.state(7), Some(EntryState::Gone));
        assert_eq!(b.store[&7].gone, Some(reason.clone()));
        assert_eq!(b.open_claims(), 0, "{reason:?}");
        assert!(b
            .notices()
            .iter()
            .any(|n| matches!(n, Notice::ClaimGone { id: 7, .. })));
    }
}

/// Old: a rejected key was retried on every `/status` request and every alarm.
#[test]
fn defect_rejected_key_stops_until_resume() {
    let mut b = Bot::new(&[]);
    claimed(&mut b, 7);
    b.take();
    b.feed(Input::Fatal {
        kind: FailureKind::Unauthorized,
        message: "the server refused the LP key: Invalid lp_key".into(),
    });
    assert_eq!(b.count(|a| matches!(a, Action::Disconnect)), 1);
    assert!(b
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::Stopped { .. })));
    b.take();
    for _ in 0..10 {
        let s = b.engine.status(b.now);
        assert_eq!(s.state, "stopped");
        assert!(s.stopped.unwrap().reason.contains("Invalid lp_key"));
        b.advance(30_000);
    }
    assert_eq!(
        b.count(|a| matches!(
            a,
            Action::Connect | Action::GetOrder { .. } | Action::Claim { .. }
        )),
        0
    );
    b.feed(Input::Order {
        order: order(9, "KES", Some(1.0), Some(1.0), b.now),
    });
    assert!(b.claims().is_empty());
    b.feed(Input::Command(Command::Resume));
    assert_eq!(
        b.count(|a| matches!(a, Action::Connect)),
        1,
        "one attempt on resume"
    );
    assert_eq!(b.gets().len(), 1, "reconciliation resumes");
    assert_eq!(b.engine.status(b.now).state, "live");
}

/// Old: a bad setting answered `/status` with HTTP 500. Now the engine is stopped and
/// says which setting and why; it never connects.
#[test]
fn defect_bad_setting_stops_with_a_reason() {
    let err = Settings::from_pairs([
        ("ALLOWED_CURRENCIES", "KES"),
        ("MAX_AMOUNT", "KES:20000"),
        ("MAX_OPEN_CLAIMS", "3"),
        ("HEARTBEAT_MS", "5"),
    ]);
    let mut e = Engine::from_settings(err);
    e.handle(
        START,
        Input::Load {
            entries: vec![],
            modes: vec![],
        },
    );
    e.handle(START + 1, Input::Command(Command::Resume));
    let mut actions = vec![];
    while let Some(a) = e.poll_action() {
        actions.push(a);
    }
    assert!(!actions.iter().any(|a| matches!(a, Action::Connect)));
    assert!(actions.iter().any(|a| matches!(a, Action::Notify { notice: Notice::Stopped { reason } } if reason.contains("HEARTBEAT_MS"))));
    let s = e.status(START);
    assert_eq!(s.state, "stopped");
    let stop = s.stopped.clone().unwrap();
    assert_eq!(stop.kind, StopKind::Settings);
    assert!(stop
        .reason
        .contains("HEARTBEAT_MS: must be a whole number from 100 to 600000"));
    e.handle(
        START + 2,
        Input::Order {
            order: order(1, "KES", Some(1.0), Some(1.0), START),
        },
    );
    assert!(std::iter::from_fn(|| e.poll_action()).all(|a| !matches!(a, Action::Claim { .. })));
    assert!(s.to_json().contains("HEARTBEAT_MS"));
}

// ---- claims and reconciliation -------------------------------------------------------

#[test]
fn pending_is_persisted_before_the_claim() {
    let mut b = Bot::new(&[]);
    b.take();
    b.feed(Input::Order {
        order: order(7, "KES", Some(5000.0), Some(40.0), b.now),
    });
    let persist = b.actions.iter().position(|a| matches!(a, Action::Persist { entry } if entry.id == 7 && entry.state == EntryState::Pending));
    let claim = b
        .actions
        .iter()
        .position(|a| matches!(a, Action::Claim { id: 7, .. }));
    assert!(persist.unwrap() < claim.unwrap());
    assert_eq!(b.store[&7].claim_started_at, Some(b.now));
}

#[test]
fn duplicates_never_claim_twice() {
    let mut b = Bot::new(&[]);
    b.claim_kes(7);
    for _ in 0..3 {
        b.feed(Input::Order {
            order: order(7, "KES", Some(5000.0), Some(40.0), b.now),
        });
    }
    b.restart();
    b.feed(Input::Connected { lp_id: Some(ME) });
    b.feed(Input::Order {
        order: order(7, "KES", Some(5000.0), Some(40.0), b.now),
    });
    assert_eq!(b.claims().len(), 0);
}

/// "open" proves the claim never landed only once no request of ours can land any more.
#[test]
fn open_releases_only_after_the_landing_window() {
    let mut b = Bot::new(&[]);
    let t = b.claim_kes(7);
    b.feed(Input::ClaimOutcome {
        id: 7,
        token: t,
        outcome: ClaimOutcome::Failed {
            kind: FailureKind::Network,
            status: None,
            message: "cut".into(),
        },
    });
    b.answer_get(7, body(7, "open", "null"));
    assert_eq!(
        b.state(7),
        Some(EntryState::Pending),
        "too early to prove anything"
    );
    // 2 × REQUEST_TIMEOUT_MS (1000) on the guard clock.
    b.run_for(1_900);
    assert!(
        b.gets().is_empty(),
        "no lookup that could not prove anything"
    );
    b.run_for(200);
    b.answer_get(7, body(7, "open", "null"));
    assert_eq!(
        b.store[&7].state,
        EntryState::Pending,
        "released, then claimed again"
    );
    assert_eq!(b.store[&7].attempts, 2);
    assert_eq!(b.claims().len(), 1, "the second claim, after the proof");
    let t2 = b.claims()[0].1;
    // A 409 on the second attempt may be the first landing late: looked up.
    b.take();
    b.feed(Input::ClaimOutcome {
        id: 7,
        token: t2,
        outcome: ClaimOutcome::Taken,
    });
    assert_eq!(b.state(7), Some(EntryState::Pending));
    b.answer_get(7, body(7, "claimed", "12"));
    assert_eq!(b.state(7), Some(EntryState::Claimed));
}

/// A forward jump of the wall clock cannot make a travelling request look landed-or-lost.
#[test]
fn clock_jump_forward_does_not_release_early() {
    let mut b = Bot::new(&[]);
    let t = b.claim_kes(7);
    b.feed(Input::ClaimOutcome {
        id: 7,
        token: t,
        outcome: ClaimOutcome::Failed {
            kind: FailureKind::Timeout,
            status: None,
            message: "t".into(),
        },
    });
    b.answer_get(7, body(7, "open", "null"));
    b.now += 3_600_000; // +1 h in one step
    b.engine.handle_timeout(b.now);
    b.drain();
    if b.asked.contains_key(&7) {
        b.answer_get(7, body(7, "open", "null"));
    }
    assert_eq!(b.state(7), Some(EntryState::Pending));
    assert!(b.claims().is_empty());
    // Backwards: timers keep their pace.
    b.now -= 7_200_000;
    b.advance(0);
    b.run_for(3_000);
    b.answer_get(7, body(7, "open", "null"));
    assert_eq!(b.store[&7].attempts, 2);
}

#[test]
fn restart_with_pending_waits_then_settles() {
    let mut b = Bot::new(&[]);
    b.claim_kes(7);
    b.restart();
    assert_eq!(
        b.gets().len(),
        1,
        "at start, at once (it may be ours or another's already)"
    );
    b.feed(Input::Connected { lp_id: Some(ME) });
    b.answer_get(7, body(7, "claimed", "13"));
    assert_eq!(b.state(7), Some(EntryState::Lost));
    assert_eq!(b.store[&7].owner, Some(13));
    // Pending, restarted, still open: only after the window.
    let mut b = Bot::new(&[]);
    b.claim_kes(8);
    b.restart();
    b.feed(Input::Connected { lp_id: Some(ME) });
    b.answer_get(8, body(8, "open", "null"));
    assert_eq!(b.state(8), Some(EntryState::Pending));
    b.run_for(2_100);
    b.answer_get(8, body(8, "open", "null"));
    assert_eq!(b.claims().len(), 1);
    assert_eq!(b.store[&8].attempts, 2);
}

#[test]
fn definite_refusals_and_not_found() {
    let mut b = Bot::new(&[]);
    let t = b.claim_kes(7);
    b.feed(Input::ClaimOutcome {
        id: 7,
        token: t,
        outcome: ClaimOutcome::Failed {
            kind: FailureKind::RateLimited,
            status: Some(429),
            message: "".into(),
        },
    });
    // A refusal of the last request proves nothing about the client's earlier ones
    // (its checked re-claims): looked up, and `failed` only once proven untouched.
    assert_eq!(b.state(7), Some(EntryState::Pending));
    b.answer_get(7, body(7, "open", "null"));
    b.run_for(2_100);
    b.answer_get(7, body(7, "open", "null"));
    assert_eq!(b.state(7), Some(EntryState::Failed));
    assert!(b.claims().is_empty(), "a refused claim is not tried again");
    let t = b.claim_kes(8);
    b.feed(Input::ClaimOutcome {
        id: 8,
        token: t,
        outcome: ClaimOutcome::Failed {
            kind: FailureKind::NotFound,
            status: Some(404),
            message: "".into(),
        },
    });
    assert_eq!(b.state(8), Some(EntryState::Gone));
    let t = b.claim_kes(9);
    b.feed(Input::ClaimOutcome {
        id: 9,
        token: t,
        outcome: ClaimOutcome::Taken,
    });
    assert_eq!(b.state(9), Some(EntryState::Lost));
    assert_eq!(b.open_claims(), 0);
    // A stale or invented outcome changes nothing.
    b.feed(Input::ClaimOutcome {
        id: 9,
        token: t,
        outcome: ClaimOutcome::Claimed {
            lp_id: None,
            order: None,
        },
    });
    b.feed(Input::ClaimOutcome {
        id: 10,
        token: 99,
        outcome: ClaimOutcome::Claimed {
            lp_id: None,
            order: None,
        },
    });
    assert_eq!(b.state(9), Some(EntryState::Lost));
    assert_eq!(b.state(10), None);
}

#[test]
fn limits_are_derived_from_the_journal() {
    let mut b = Bot::new(&[("MAX_OPEN_CLAIMS", "2"), ("DAILY_USD_CAP", "100")]);
    b.claim_kes(1);
    b.claim_kes(2);
    b.take();
    b.feed(Input::Order {
        order: order(3, "KES", Some(1.0), Some(1.0), b.now),
    });
    assert!(b.claims().is_empty());
    assert_eq!(
        b.logs("order_seen")[0].get("rule"),
        Some(&Value::Str("max_open".into()))
    );
    let s = b.engine.status(b.now);
    assert_eq!((s.open_claims, s.daily_usd), (2, 80.0));
    assert_eq!(
        b.engine.journal().usage(Mode::Live, b.now),
        b.engine.journal().recount(Mode::Live, b.now)
    );
    // Daily cap: 80 used, 40 more is too much even with a free slot.
    let mut b = Bot::new(&[("DAILY_USD_CAP", "100")]);
    b.claim_kes(1);
    b.claim_kes(2);
    b.take();
    b.feed(Input::Order {
        order: order(3, "KES", Some(1.0), Some(40.0), b.now),
    });
    assert!(b.claims().is_empty());
    b.feed(Input::Order {
        order: order(4, "KES", Some(1.0), Some(20.0), b.now),
    });
    assert_eq!(b.claims().len(), 1, "exactly up to the cap");
    // Next UTC day: the cap is fresh.
    b.now += 86_400_000;
    b.take();
    b.feed(Input::Order {
        order: order(5, "KES", Some(1.0), Some(40.0), b.now),
    });
    assert!(b.claims().is_empty(), "3 open claims still hold collateral");
}

#[test]
fn lookups_are_bounded() {
    let mut b = Bot::new(&[
        ("MAX_OPEN_CLAIMS", "50"),
        ("MAX_GETS_IN_FLIGHT", "2"),
        ("MAX_GETS_PER_MINUTE", "5"),
    ]);
    for id in 1..=20 {
        claimed(&mut b, id);
    }
    b.take();
    b.run_for(5_100);
    assert_eq!(b.gets().len(), 2, "in flight at once");
    // Answer everything as it comes for two minutes: at most 5 a minute.
    let mut sent = 0;
    let end = b.now + 120_000;
    while b.now < end {
        let gets = b.gets();
        sent += gets.len();
        b.take();
        for (id, token) in gets {
            b.feed(Input::OrderState {
                id,
                token,
                answer: body(id, "claimed", "12"),
            });
        }
        b.advance(1_000);
    }
    assert!((9..=10).contains(&sent), "{sent} lookups in 2 minutes");
}

#[test]
fn fiat_sent_flow() {
    let mut b = Bot::new(&[]);
    claimed(&mut b, 7);
    b.take();
    b.feed(Input::Command(Command::FiatSent { id: 7 }));
    let (_, token) = b.fiat_sents()[0];
    b.feed(Input::Command(Command::FiatSent { id: 7 }));
    assert_eq!(b.fiat_sents().len(), 1, "one at a time");
    b.feed(Input::FiatSentOutcome {
        id: 7,
        token,
        outcome: FiatSentOutcome::Order {
            body: r#"{"id":7,"status":"fiat_sent","lp_id":12}"#.into(),
        },
    });
    assert_eq!(b.state(7), Some(EntryState::FiatSent));
    assert_eq!(b.open_claims(), 1, "fiat sent still holds collateral");
    b.take();
    b.run_for(5_100);
    b.answer_get(7, body(7, "completed", "12"));
    assert_eq!(b.state(7), Some(EntryState::Completed));
    assert_eq!(b.open_claims(), 0);
    assert_eq!(
        b.engine.status(b.now).daily_usd,
        40.0,
        "completed still counts for the day"
    );
    // Refused: unknown entry, a pending one.
    b.take();
    b.feed(Input::Command(Command::FiatSent { id: 99 }));
    assert!(b.fiat_sents().is_empty());
    assert!(matches!(
        b.notices()[0],
        Notice::Refused {
            command: "fiat_sent",
            ..
        }
    ));
}

#[test]
fn release_never_without_proof() {
    let mut b = Bot::new(&[]);
    claimed(&mut b, 7);
    b.take();
    b.feed(Input::Command(Command::Release { id: 7 }));
    assert_eq!(b.gets().len(), 1, "looked up at once");
    b.answer_get(7, body(7, "claimed", "12"));
    assert_eq!(b.state(7), Some(EntryState::Claimed), "ours: not released");
    let t = b.claim_kes(8);
    b.feed(Input::Command(Command::Release { id: 8 }));
    assert!(matches!(
        b.notices().last(),
        Some(Notice::Refused {
            command: "release",
            ..
        })
    ));
    let _ = t;
}

// ---- dry run and modes ----------------------------------------------------------------

#[test]
fn dry_run_never_claims_and_observes_fates() {
    let mut b = Bot::new(&[("DRY_RUN", "1")]);
    b.feed(Input::RttSample { ms: 300 });
    for id in 1..=3 {
        b.feed(Input::Order {
            order: order(id, "KES", Some(5000.0), Some(40.0), b.now),
        });
    }
    assert_eq!(b.claims().len(), 0);
    assert_eq!(b.state(1), Some(EntryState::WouldClaim));
    assert_eq!(b.open_claims(), 0, "dry entries never count for live");
    b.now += 120;
    b.feed(Input::OrderTaken { id: 1 });
    assert_eq!(b.store[&1].outcome, Some(DryOutcome::Taken { at: b.now }));
    b.take();
    b.run_for(400);
    let gets = b.gets();
    assert_eq!(gets.len(), 2);
    b.answer_get(2, body(2, "claimed", "13"));
    assert!(matches!(
        b.store[&2].outcome,
        Some(DryOutcome::ClaimedByOther {
            lp_id: Some(13),
            ..
        })
    ));
    b.answer_get(3, body(3, "open", "null"));
    assert!(b.store[&3].open_seen_at.is_some());
    // Operator commands that would send something are refused in a dry run.
    b.feed(Input::Command(Command::FiatSent { id: 3 }));
    assert!(b.fiat_sents().is_empty());
    // Keep it open: the checks run out, it ends still_open.
    for _ in 0..20 {
        b.run_for(5_000);
        if let Some((id, token)) = b.gets().first().copied() {
            b.take();
            b.feed(Input::OrderState {
                id,
                token,
                answer: body(3, "open", "null"),
            });
        }
    }
    assert!(matches!(
        b.store[&3].outcome,
        Some(DryOutcome::StillOpen { .. })
    ));
    let sum = b.engine.summary(b.now);
    assert_eq!(sum.would_claim, 3);
    assert_eq!(sum.fiat_volume.get("KES"), Some(&15000.0));
    assert_eq!(sum.likely_lost, 1, "taken after 120 ms < 300 ms round trip");
    assert_eq!(sum.likely_won, 1, "still open for long");
    assert!(sum.banner.starts_with("DRY RUN"));
    assert!(b.engine.status(b.now).banner.is_some());
    assert!(b
        .actions
        .iter()
        .all(|a| !matches!(a, Action::Claim { .. } | Action::FiatSent { .. })));
}

#[test]
fn mode_switches_are_journaled_and_survive_restart() {
    let mut b = Bot::new(&[("DRY_RUN", "1")]);
    assert_eq!(b.engine.mode(), Mode::DryRun);
    // The setting's mode for a new journal, then our LP id once the socket said it.
    let first: Vec<_> = b
        .modes
        .values()
        .map(|m| (m.source, m.mode, m.lp_id))
        .collect();
    assert_eq!(
        first,
        [
            (ModeSource::Setting, Mode::DryRun, None),
            (ModeSource::Connection, Mode::DryRun, Some(ME))
        ]
    );
    b.feed(Input::Command(Command::GoLive));
    assert_eq!(b.engine.mode(), Mode::Live);
    let last = b.modes.values().last().unwrap().clone();
    assert_eq!((last.mode, last.source), (Mode::Live, ModeSource::Command));
    b.restart();
    assert_eq!(
        b.engine.mode(),
        Mode::Live,
        "a restart keeps the mode it had"
    );
    // The unchanged setting does not override a command...
    b.feed(Input::Command(Command::GoDryRun));
    b.restart();
    assert_eq!(b.engine.mode(), Mode::DryRun);
    // ...a changed one does (an explicit act), journaled with source "setting".
    b.settings = settings(&[("DRY_RUN", "0")]);
    b.restart();
    assert_eq!(b.engine.mode(), Mode::Live);
    let last = b.modes.values().last().unwrap();
    assert_eq!((last.mode, last.source), (Mode::Live, ModeSource::Setting));
    b.restart();
    assert_eq!(b.engine.mode(), Mode::Live);
    // Pause survives a restart too, and keeps the socket closed.
    b.feed(Input::Command(Command::Pause));
    b.restart();
    assert_eq!(b.engine.status(b.now).state, "paused");
    assert_eq!(b.count(|a| matches!(a, Action::Connect)), 0);
}

#[test]
fn switching_modes_keeps_entries_apart() {
    let mut b = Bot::new(&[("DRY_RUN", "1")]);
    b.feed(Input::Order {
        order: order(1, "KES", Some(5000.0), Some(40.0), b.now),
    });
    b.feed(Input::Command(Command::GoLive));
    b.take();
    b.feed(Input::Order {
        order: order(1, "KES", Some(5000.0), Some(40.0), b.now),
    });
    assert!(b.claims().is_empty(), "one entry per order: the dry one");
    b.claim_kes(2);
    b.feed(Input::Command(Command::GoDryRun));
    let s = b.engine.status(b.now);
    assert_eq!((s.open_claims, s.dry_run_usage.open_claims), (1, 1));
}

// ---- journal ----------------------------------------------------------------------------

#[test]
fn compaction_never_drops_non_final() {
    let mut b = Bot::new(&[("JOURNAL_RETENTION_DAYS", "1"), ("MAX_OPEN_CLAIMS", "5")]);
    claimed(&mut b, 1);
    let t = b.claim_kes(2);
    b.feed(Input::ClaimOutcome {
        id: 2,
        token: t,
        outcome: ClaimOutcome::Taken,
    });
    b.claim_kes(3); // pending, never answered
    b.take();
    b.now += 3 * 86_400_000;
    b.restart();
    assert!(b.store.contains_key(&1) && b.store.contains_key(&3));
    assert!(!b.store.contains_key(&2), "final and past retention");
    assert!(b
        .actions
        .iter()
        .any(|a| matches!(a, Action::Forget { id: 2 })));
    // The hard cap: the oldest final ones go first, never a non-final one.
    let mut j = Journal::new();
    for id in 0..10u64 {
        let mut e = b.store[&1].clone();
        e.id = id;
        e.state = if id % 2 == 0 {
            EntryState::Lost
        } else {
            EntryState::Pending
        };
        e.final_at = (id % 2 == 0).then_some(id);
        j.put(e);
    }
    let dropped = j.compact(100, 1_000_000, 3);
    assert_eq!(dropped, vec![0, 2, 4, 6, 8]);
    assert_eq!(j.len(), 5);
    assert!(j.iter().all(|e| !e.is_final()));
}

#[test]
fn json_in_and_out() {
    let inputs = [
        r#"{"type":"load","now":1,"entries":[],"modes":[]}"#,
        r#"{"type":"connected","now":1,"lp_id":12}"#,
        r#"{"type":"disconnected","now":1}"#,
        r#"{"type":"order_taken","now":1,"id":7}"#,
        r#"{"type":"claim_outcome","now":1,"id":7,"token":3,"outcome":{"result":"claimed"}}"#,
        r#"{"type":"claim_outcome","now":1,"id":7,"token":3,"outcome":{"result":"failed","kind":"some_new_kind","status":503}}"#,
        r#"{"type":"order_state","now":1,"id":7,"token":4,"answer":{"result":"order","body":{"id":7,"status":"claimed","lp_id":"12"}}}"#,
        r#"{"type":"order_state","now":1,"id":7,"token":4,"answer":{"result":"not_found"}}"#,
        r#"{"type":"fiat_sent_outcome","now":1,"id":7,"token":5,"outcome":{"result":"failed","kind":"timeout"}}"#,
        r#"{"type":"fatal","now":1,"kind":"unauthorized","message":"Invalid lp_key"}"#,
        r#"{"type":"command","now":1,"command":"fiat_sent","id":7}"#,
        r#"{"type":"command","now":1,"command":"go_live"}"#,
        r#"{"type":"rtt_sample","now":1,"ms":3}"#,
        r#"{"type":"timeout","now":1}"#,
    ];
    for text in inputs {
        let (now, input) = Input::from_json(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(now, 1);
        let again = Input::from_json(&input.to_json(now)).unwrap();
        assert_eq!(again.1, input, "{text}");
    }
    let (_, i) = Input::from_json(inputs[5]).unwrap();
    assert!(matches!(
        i,
        Input::ClaimOutcome {
            outcome: ClaimOutcome::Failed {
                kind: FailureKind::Other,
                ..
            },
            ..
        }
    ));
    for bad in [
        r#"{"type":"order_taken","id":7}"#,
        r#"{"type":"nope","now":1}"#,
        r#"{"type":"connected","now":1,"lp_idd":1}"#,
        "[]",
        "{",
    ] {
        assert!(Input::from_json(bad).is_err(), "{bad}");
    }
    let mut b = Bot::new(&[]);
    b.claim_kes(7);
    for a in &b.actions {
        let v: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
        assert!(v["type"].is_string());
    }
    let e = &b.store[&7];
    assert_eq!(&Entry::from_json(&e.to_json()).unwrap(), e);
    let m = b.modes.values().next().unwrap();
    assert_eq!(&ModeRecord::from_json(&m.to_json()).unwrap(), m);
    let st: serde_json::Value = serde_json::from_str(&b.engine.status(b.now).to_json()).unwrap();
    assert_eq!(st["state"], "live");
    assert_eq!(st["open_claims"], 1);
    assert_eq!(st["day"], "2026-01-01");
    let _: serde_json::Value = serde_json::from_str(&b.engine.summary(b.now).to_json()).unwrap();
}

#[test]
fn no_input_panics() {
    // Answers for unknown orders, tokens, garbage bodies, huge ids: nothing panics.
    let mut b = Bot::new(&[]);
    let t = b.claim_kes(7);
    for body in [
        "",
        "null",
        "[]",
        "{\"id\":7}",
        "{\"id\":\"x\",\"status\":1}",
        "{\"id\":99,\"status\":\"claimed\",\"lp_id\":12}",
    ] {
        b.feed(Input::OrderState {
            id: 7,
            token: t,
            answer: GetAnswer::Order { body: body.into() },
        });
    }
    b.feed(Input::Order {
        order: order(u64::MAX, "KES", Some(1.0), Some(1.0), b.now),
    });
    b.feed(Input::Order {
        order: order(8, "KES", Some(f64::NAN), Some(f64::INFINITY), b.now),
    });
    b.feed(Input::Order {
        order: order(9, "KES", Some(-5.0), Some(1.0), b.now),
    });
    b.feed(Input::Command(Command::Release { id: u64::MAX }));
    b.feed(Input::Load {
        entries: vec![],
        modes: vec![],
    });
    b.now = 0;
    b.advance(0);
    b.now = u64::MAX - 10;
    b.advance(5);
    assert_eq!(b.claims().len(), 1, "only the first, valid order");
}

#[test]
fn lp_id_is_journaled_for_a_paused_restart() {
    let mut b = Bot::new(&[]);
    claimed(&mut b, 7);
    b.feed(Input::Command(Command::Pause));
    b.restart();
    assert_eq!(b.engine.status(b.now).state, "paused");
    assert_eq!(
        b.engine.lp_id(),
        Some(ME),
        "from the mode journal: no socket while paused"
    );
    b.answer_get(7, body(7, "completed", "\"12\""));
    assert_eq!(b.state(7), Some(EntryState::Completed));
    assert_eq!(b.count(|a| matches!(a, Action::Connect)), 0);
}

#[test]
fn a_claim_on_an_order_cancelled_since_is_not_won() {
    let mut b = Bot::new(&[]);
    let t = b.claim_kes(7);
    b.feed(Input::ClaimOutcome {
        id: 7,
        token: t,
        outcome: ClaimOutcome::Claimed {
            lp_id: None,
            order: Some(r#"{"id":7,"status":"cancelled","lp_id":12}"#.into()),
        },
    });
    assert_eq!(b.state(7), Some(EntryState::Gone));
    assert_eq!(b.store[&7].gone, Some(GoneReason::Cancelled));
    assert!(!b
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::ClaimWon { .. })));
    // From JSON, with the order object as the client resolves it.
    let (_, i) = Input::from_json(
        r#"{"type":"claim_outcome","now":1,"id":8,"token":1,"outcome":{"result":"claimed","lp_id":12,"order":{"id":8,"status":"claimed","lp_id":12}}}"#,
    )
    .unwrap();
    assert!(matches!(
        i,
        Input::ClaimOutcome {
            outcome: ClaimOutcome::Claimed { order: Some(_), .. },
            ..
        }
    ));
}

#[test]
fn timers_count_from_the_last_input() {
    let mut b = Bot::new(&[]);
    claimed(&mut b, 7);
    let d = b.engine.poll_delay().unwrap();
    assert!(d <= 60_000);
    assert_eq!(b.engine.poll_timeout(), Some(b.now + d));
    // The wall clock jumps back an hour before the timer fires: the timer (monotonic)
    // fires after `d` anyway, and the engine does what was due.
    b.now -= 3_600_000;
    b.advance(d);
    b.advance(0);
    b.take();
    b.run_for(5_100);
    assert_eq!(
        b.gets().len(),
        1,
        "the re-check happens on time despite the jump"
    );
}
