use std::time::Duration;

use super::*;

fn account(n: u64) -> AccountId {
    AccountId::for_access_key(&format!("{n:012}"))
}

#[test]
fn a_burst_then_the_rate() {
    let t = Throttle::new(Limit::AWS);
    let start = Instant::now();
    let a = account(1);
    for i in 0..40 {
        assert_eq!(t.admit(&a, start), Ok(()), "request {i} of the burst");
    }
    assert_eq!(t.admit(&a, start), Err(1));
    // 10 per second: after 100 ms exactly one more.
    let later = start + Duration::from_millis(100);
    assert_eq!(t.admit(&a, later), Ok(()));
    assert_eq!(t.admit(&a, later), Err(1));
    // After a quiet spell the bucket is full again, but never fuller than the burst.
    let quiet = start + Duration::from_secs(3600);
    for _ in 0..40 {
        assert_eq!(t.admit(&a, quiet), Ok(()));
    }
    assert!(t.admit(&a, quiet).is_err());
}

#[test]
fn accounts_have_their_own_buckets() {
    let t = Throttle::new(Limit {
        rate: 1.0,
        burst: 1,
    });
    let now = Instant::now();
    assert_eq!(t.admit(&account(1), now), Ok(()));
    assert!(t.admit(&account(1), now).is_err());
    assert_eq!(t.admit(&account(2), now), Ok(()));
}

#[test]
fn retry_after_is_the_wait_for_one_token_rounded_up() {
    let t = Throttle::new(Limit {
        rate: 0.25,
        burst: 1,
    });
    let now = Instant::now();
    t.admit(&account(1), now).unwrap();
    assert_eq!(t.admit(&account(1), now), Err(4));
    assert_eq!(t.admit(&account(1), now + Duration::from_secs(3)), Err(1));
    assert_eq!(t.admit(&account(1), now + Duration::from_secs(4)), Ok(()));
}

#[test]
fn a_clock_that_goes_back_takes_nothing_away() {
    let t = Throttle::new(Limit {
        rate: 1.0,
        burst: 2,
    });
    let now = Instant::now() + Duration::from_secs(10);
    t.admit(&account(1), now).unwrap();
    t.admit(&account(1), now - Duration::from_secs(5)).unwrap();
    assert!(t.admit(&account(1), now).is_err());
}

#[test]
fn idle_buckets_are_forgotten_when_there_are_many() {
    let t = Throttle::new(Limit {
        rate: 100.0,
        burst: 1,
    });
    let now = Instant::now();
    for n in 0..=PRUNE_ABOVE as u64 + 1 {
        t.admit(&account(n), now).unwrap();
    }
    t.admit(&account(0), now + Duration::from_secs(1)).unwrap();
    assert!(t.stats().0 <= 2);
}

#[test]
fn limits_parse() {
    assert_eq!(Limit::parse("off"), Ok(None));
    assert_eq!(Limit::parse("aws"), Ok(Some(Limit::AWS)));
    assert_eq!(
        Limit::parse("2.5,7"),
        Ok(Some(Limit {
            rate: 2.5,
            burst: 7
        }))
    );
    for bad in ["", "10", "0,5", "5,0", "-1,3", "x,y", "NaN,3", "inf,3"] {
        assert!(Limit::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn many_busy_accounts_are_not_scanned_on_every_request_and_memory_is_bounded() {
    let t = Throttle::new(Limit::AWS);
    let now = Instant::now();
    // 32,000 accounts busy at once: none of their buckets is full, so pruning frees nothing.
    for n in 0..32_000 {
        assert_eq!(t.admit(&account(n), now), Ok(()));
    }
    let (len, passes) = t.stats();
    assert_eq!(len, 32_000);
    // Passes at 10,000, 20,000 (twice what was left), then none before 40,000: not one per
    // request past 10,000 as before.
    assert!(passes <= 3, "{passes} pruning passes");
    // Far more busy accounts than the bound: the map stays within it.
    for n in 32_000..250_000 {
        let _ = t.admit(&account(n), now);
    }
    let (len, passes) = t.stats();
    assert!(len <= MAX_BUCKETS, "{len} buckets");
    assert!(passes < 20, "{passes} pruning passes");
    // Accounts still in the map keep their state: an exhausted bucket stays exhausted.
    let last = account(249_999);
    for _ in 0..39 {
        let _ = t.admit(&last, now);
    }
    assert!(t.admit(&last, now).is_err());
}
