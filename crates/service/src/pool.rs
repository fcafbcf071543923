//! The key pool: RSA-2048 keys generated ahead of demand, so that GenerateClientCertificate takes a
//! ready key instead of waiting tens of milliseconds (with a long tail) for a fresh one.
//!
//! Keys are made by dedicated OS threads, never by the async runtime's threads or its blocking pool,
//! so a refill never competes with requests for a runtime thread. Pooled keys live only in this
//! process's memory: they are never written anywhere until a request takes one, and a key dropped
//! from the pool (at shutdown) is zeroized like any other `PrivateKey`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use certgate_pki::{PkiError, PrivateKey};

/// How long a worker waits after a failed generation before it tries again, so that a broken
/// crypto library shows up as a few log lines, not as a spinning core.
const FAILURE_BACKOFF: Duration = Duration::from_millis(200);

/// Where keys come from; tests give the pool a cheap or counting generator.
pub type Generator = Arc<dyn Fn() -> Result<PrivateKey, PkiError> + Send + Sync>;

/// A bounded queue of ready keys and the threads that keep it full.
pub struct KeyPool {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a key is taken (there is room again) or the pool stops.
    room: Condvar,
    capacity: usize,
    /// The number of ready keys, readable without the lock (for health and metrics).
    depth: AtomicUsize,
}

struct State {
    keys: VecDeque<PrivateKey>,
    /// Keys being generated right now; counted so that workers never overfill the queue.
    in_progress: usize,
    stopping: bool,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    // The lock is never held across anything that can panic, and the state stays consistent
    // between statements, so a poisoned lock is still safe to use.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl KeyPool {
    /// Starts `workers` threads (at least one) that fill a pool of `capacity` keys with
    /// `PrivateKey::generate`. `capacity` must be at least one: a pool of none is no pool.
    pub fn start(capacity: usize, workers: usize) -> std::io::Result<Arc<KeyPool>> {
        Self::start_with(capacity, workers, Arc::new(PrivateKey::generate))
    }

    /// Like [`KeyPool::start`], with keys from `generate`.
    pub fn start_with(
        capacity: usize,
        workers: usize,
        generate: Generator,
    ) -> std::io::Result<Arc<KeyPool>> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                keys: VecDeque::with_capacity(capacity),
                in_progress: 0,
                stopping: false,
            }),
            room: Condvar::new(),
            capacity: capacity.max(1),
            depth: AtomicUsize::new(0),
        });
        let pool = Arc::new(KeyPool {
            shared: shared.clone(),
            workers: Mutex::new(Vec::new()),
        });
        let mut handles = Vec::new();
        for n in 0..workers.max(1) {
            let (shared, generate) = (shared.clone(), generate.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("certgate-keygen-{n}"))
                .spawn(move || fill(&shared, &*generate));
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    // Stop the workers already started before reporting the failure.
                    pool.stop();
                    return Err(e);
                }
            }
        }
        *pool.workers.lock().unwrap_or_else(PoisonError::into_inner) = handles;
        Ok(pool)
    }

    /// A ready key, or `None` when the pool is empty (the caller then generates one itself). Never
    /// blocks on key generation, and never hands the same key out twice: the key moves out of the
    /// queue under the lock.
    pub fn take(&self) -> Option<PrivateKey> {
        let mut state = lock(&self.shared.state);
        let key = state.keys.pop_front()?;
        self.shared.depth.store(state.keys.len(), Ordering::Relaxed);
        drop(state);
        self.shared.room.notify_one();
        Some(key)
    }

    /// Keys ready right now. Cheap (one atomic load), for health checks and metrics.
    pub fn depth(&self) -> usize {
        self.shared.depth.load(Ordering::Relaxed)
    }

    /// How many keys the pool keeps ready when it is full.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// Tells the workers to stop after the key each is making, and drops (zeroizes) the pooled keys.
    /// Does not wait for the workers; [`KeyPool::join`] does.
    pub fn stop(&self) {
        let mut state = lock(&self.shared.state);
        state.stopping = true;
        state.keys.clear();
        self.shared.depth.store(0, Ordering::Relaxed);
        drop(state);
        self.shared.room.notify_all();
    }

    /// Stops the pool and waits for its workers to exit.
    pub fn join(&self) {
        self.stop();
        let handles =
            std::mem::take(&mut *self.workers.lock().unwrap_or_else(PoisonError::into_inner));
        for handle in handles {
            let _ = handle.join();
        }
    }
}

impl Drop for KeyPool {
    fn drop(&mut self) {
        // Workers hold only the shared state, so they notice this and exit on their own; waiting
        // for them here could block an async thread for a whole key generation.
        self.stop();
    }
}

impl std::fmt::Debug for KeyPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPool")
            .field("depth", &self.depth())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// How much a refill worker yields to everything else (Linux nice value). Refilling is work for
/// later: while requests are waiting for a core, they should get it first, and the pool should use
/// what is left over. When nothing else runs, the workers still get every idle core.
#[cfg(target_os = "linux")]
const WORKER_NICENESS: i32 = 10;

/// Lowers the calling thread's scheduling priority (on Linux, `setpriority` on a thread id applies
/// to that thread only). Failing to is harmless: the pool then competes as an equal.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority take plain integers and touch no memory of ours.
        let failed = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, WORKER_NICENESS) != 0
        };
        if failed {
            tracing::debug!("key pool: could not lower the worker's priority");
        }
    }
}

/// A worker's loop: wait for room, make a key outside the lock, queue it.
fn fill(shared: &Shared, generate: &(dyn Fn() -> Result<PrivateKey, PkiError> + Send + Sync)) {
    lower_priority();
    loop {
        {
            let mut state = lock(&shared.state);
            while !state.stopping && state.keys.len() + state.in_progress >= shared.capacity {
                state = shared
                    .room
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if state.stopping {
                return;
            }
            state.in_progress += 1;
        }
        let made = generate();
        let mut state = lock(&shared.state);
        state.in_progress -= 1;
        match made {
            Ok(key) if !state.stopping => {
                state.keys.push_back(key);
                shared.depth.store(state.keys.len(), Ordering::Relaxed);
            }
            // Stopping: the key is dropped, and zeroized, right here.
            Ok(_) => return,
            Err(e) => {
                drop(state);
                tracing::warn!(error = %e, "key pool: key generation failed");
                std::thread::sleep(FAILURE_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests;

/// The pool's size and workers as configured (`--key-pool-size`, `--key-pool-workers`).
#[derive(Debug, Clone)]
pub struct KeyPoolConfig {
    /// RSA keys kept ready in memory so that GenerateClientCertificate need not wait for one; 0
    /// turns the pool off (every Generate then makes its key on the spot).
    pub key_pool_size: usize,

    /// Threads that refill the key pool; defaults to the number of CPU cores.
    pub key_pool_workers: Option<usize>,
}

impl KeyPoolConfig {
    /// Starts the pool these flags ask for, or none for a size of 0.
    pub fn start(&self) -> std::io::Result<Option<Arc<KeyPool>>> {
        self.start_observed(|_| {})
    }

    /// Like [`KeyPoolConfig::start`], telling `observe` how long each key took to make.
    pub fn start_observed(
        &self,
        observe: impl Fn(std::time::Duration) + Send + Sync + 'static,
    ) -> std::io::Result<Option<Arc<KeyPool>>> {
        if self.key_pool_size == 0 {
            return Ok(None);
        }
        let workers = self
            .key_pool_workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let generate: Generator = Arc::new(move || {
            let started = std::time::Instant::now();
            let key = PrivateKey::generate();
            observe(started.elapsed());
            key
        });
        KeyPool::start_with(self.key_pool_size, workers, generate).map(Some)
    }
}
