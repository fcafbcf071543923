//! A log writer that takes stderr's `write(2)` off the request path. Every request logs one line;
//! written straight to stderr (unbuffered) that is one system call per request on the runtime's
//! threads. Here a line is appended to a shared buffer under a short lock, and one writer thread
//! writes whatever has accumulated in a single call: an idle server's line goes out at once, and
//! under load the thread pauses 2 ms after each write so that many lines go out per call.
//!
//! No line is lost at exit: `LogGuard::drop` closes the buffer and waits for the thread to write
//! what is left, and a line logged after that (a background thread finishing late) is written
//! directly. Both decisions are taken under the same lock, so no line can fall between them.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    /// The writer thread is asleep on the condvar; only then is a wake-up (a futex call) needed.
    waiting: bool,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock can only come from an allocation failure; the buffer
        // is still a valid byte string, so keep logging rather than losing every later line.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `MakeWriter` handed to tracing-subscriber: each event is formatted into a thread-local
/// buffer by the subscriber and arrives here as one `write_all`.
#[derive(Clone)]
pub struct BufferedStderr {
    shared: Arc<Shared>,
}

/// Keeps the writer thread alive; dropping it writes out every buffered line and stops the thread.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A writer and its guard. Returns `None` if the thread cannot be started (the caller then logs to
/// stderr directly).
pub fn buffered_stderr() -> Option<(BufferedStderr, LogGuard)> {
    let shared = Arc::new(Shared::default());
    let for_thread = shared.clone();
    let thread = std::thread::Builder::new()
        .name("certgate-log".into())
        .spawn(move || run(&for_thread))
        .ok()?;
    Some((
        BufferedStderr {
            shared: shared.clone(),
        },
        LogGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

fn run(shared: &Shared) {
    // Two buffers swap places, so that the lock is held only for the swap and neither allocates
    // once both have grown to the usual batch size.
    let mut batch = Vec::new();
    loop {
        let closed = {
            let mut state = shared.lock();
            while state.buffer.is_empty() && !state.closed {
                state.waiting = true;
                state = shared
                    .ready
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            state.waiting = false;
            std::mem::swap(&mut state.buffer, &mut batch);
            state.closed
        };
        // stderr is the last resort for diagnostics: if it fails there is nowhere to report that.
        // Locked only for the write: `eprintln!` elsewhere in the process takes the same lock.
        let mut out = std::io::stderr().lock();
        let _ = out.write_all(&batch);
        let _ = out.flush();
        drop(out);
        batch.clear();
        if closed {
            return;
        }
        // Waking this thread for every line would cost more system calls than writing each line
        // directly; a short pause after each write lets lines gather while requests keep coming,
        // and adds at most this much delay to a line.
        std::thread::sleep(BATCH_PAUSE);
    }
}

/// One event's writer: a borrow, so that making it per event costs nothing.
pub struct Line<'a>(&'a Shared);

impl Line<'_> {
    fn append(&self, line: &[u8]) {
        let mut state = self.0.lock();
        if state.closed {
            drop(state);
            let _ = std::io::stderr().write_all(line);
            return;
        }
        state.buffer.extend_from_slice(line);
        if state.waiting {
            state.waiting = false;
            drop(state);
            self.0.ready.notify_one();
        }
    }
}

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BufferedStderr {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line(&self.shared)
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
