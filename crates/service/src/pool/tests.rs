use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certgate_core::SecretBytes;
use certgate_pki::{PkiError, PrivateKey};

use super::{Generator, KeyPool};

/// Waits (without asserting on time: the deadline only turns a hang into a failure) until the pool
/// holds `n` keys.
fn wait_for_depth(pool: &KeyPool, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while pool.depth() < n {
        assert!(Instant::now() < deadline, "pool never reached {n} keys");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `n` distinct real keys, as PKCS#8, made once: reading one back is cheap, generating is not.
fn distinct_keys(n: usize) -> Vec<SecretBytes> {
    let keys: Vec<SecretBytes> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|half| {
                s.spawn(move || {
                    (0..n)
                        .filter(|i| i % 2 == half)
                        .map(|_| PrivateKey::generate().unwrap().pkcs8().clone())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(keys.len(), n);
    keys
}

/// A generator that hands out each of `keys` once and then fails.
fn from_list(keys: Vec<SecretBytes>) -> (Generator, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let keys = Mutex::new(keys);
    let counted = calls.clone();
    let generate: Generator = Arc::new(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        let next = keys.lock().unwrap().pop();
        match next {
            Some(pkcs8) => PrivateKey::from_pkcs8(pkcs8),
            None => Err(PkiError::KeyGeneration),
        }
    });
    (generate, calls)
}

#[test]
fn a_real_pool_fills_to_capacity_with_distinct_keys() {
    let pool = KeyPool::start(4, 2).unwrap();
    assert_eq!(pool.capacity(), 4);
    wait_for_depth(&pool, 4);
    let mut seen = HashSet::new();
    for _ in 0..4 {
        let key = pool.take().expect("a ready key");
        assert!(
            seen.insert(key.public_key_der().to_vec()),
            "a key came twice"
        );
    }
    pool.join();
}

#[test]
fn workers_make_no_more_keys_than_the_capacity() {
    let (generate, calls) = from_list(distinct_keys(6));
    let pool = KeyPool::start_with(3, 3, generate).unwrap();
    wait_for_depth(&pool, 3);
    // Three workers, room for three keys: once full, nobody starts a fourth.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(pool.depth(), 3);
    // Taking one makes room for exactly one more.
    assert!(pool.take().is_some());
    wait_for_depth(&pool, 3);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    pool.join();
}

#[test]
fn an_empty_pool_answers_none_at_once_and_serves_again_when_refilled() {
    // The generator blocks until the test lets one key through, so the pool is empty for as long as
    // the test wants.
    let (release, gate) = mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    let generate: Generator = Arc::new(move || {
        gate.lock()
            .unwrap()
            .recv()
            .map_err(|_| PkiError::KeyGeneration)?;
        PrivateKey::generate()
    });
    let pool = KeyPool::start_with(2, 1, generate).unwrap();
    assert_eq!(pool.depth(), 0);
    assert!(
        pool.take().is_none(),
        "an empty pool must not wait for a key"
    );
    release.send(()).unwrap();
    wait_for_depth(&pool, 1);
    assert!(pool.take().is_some());
    assert!(pool.take().is_none());
    pool.stop();
    drop(release);
    pool.join();
}

#[test]
fn no_key_is_handed_out_twice_to_concurrent_takers() {
    const KEYS: usize = 48;
    let keys = distinct_keys(KEYS);
    let expected: HashSet<Vec<u8>> = keys.iter().map(|k| k.expose().to_vec()).collect();
    let (generate, _) = from_list(keys);
    // A small pool with many takers keeps workers and takers racing on the queue the whole time.
    let pool = KeyPool::start_with(4, 2, generate).unwrap();
    let taken = Mutex::new(Vec::new());
    let total = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let deadline = Instant::now() + Duration::from_secs(120);
                while total.load(Ordering::SeqCst) < KEYS {
                    assert!(Instant::now() < deadline, "takers never got every key");
                    match pool.take() {
                        Some(key) => {
                            total.fetch_add(1, Ordering::SeqCst);
                            taken.lock().unwrap().push(key.pkcs8().expose().to_vec());
                        }
                        None => std::thread::yield_now(),
                    }
                }
            });
        }
    });
    let taken = taken.into_inner().unwrap();
    assert_eq!(taken.len(), KEYS);
    let unique: HashSet<Vec<u8>> = taken.into_iter().collect();
    assert_eq!(unique.len(), KEYS, "a pooled key was handed out twice");
    assert_eq!(unique, expected);
    pool.join();
}

#[test]
fn a_failing_generator_leaves_the_pool_empty_not_stuck() {
    let generate: Generator = Arc::new(|| Err(PkiError::KeyGeneration));
    let pool = KeyPool::start_with(2, 1, generate).unwrap();
    assert!(pool.take().is_none());
    assert_eq!(pool.depth(), 0);
    pool.join();
}

#[test]
fn stopping_drops_the_pooled_keys() {
    let (generate, _) = from_list(distinct_keys(2));
    let pool = KeyPool::start_with(2, 1, generate).unwrap();
    wait_for_depth(&pool, 2);
    pool.join();
    assert_eq!(pool.depth(), 0);
    assert!(pool.take().is_none());
}
