//! What the AMA sender publishes for the watchdog and the exporter: a heartbeat counter
//! bumped on every turn of its poll loop, whether a phone is linked, and the session's counters.
//! Written by the sender task on the async side only (never the real-time thread).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use ama_proto::session::{Session, SessionStats};

static TICKS: AtomicU64 = AtomicU64::new(0);
static LINKED: AtomicBool = AtomicBool::new(false);
static STATS: Mutex<Option<SessionStats>> = Mutex::new(None);

/// Called by the sender on each tick of its loop.
pub fn heartbeat(session: &Session) {
    crate::faults::link_stuck_if_asked();
    TICKS.fetch_add(1, Relaxed);
    LINKED.store(session.is_linked(), Relaxed);
    if let Ok(mut s) = STATS.lock() {
        *s = Some(session.stats());
    }
}

/// Ticks of the sender loop so far (advances about every 4 ms while the link task is alive).
pub fn ticks() -> u64 {
    TICKS.load(Relaxed)
}

/// Whether a phone is linked now.
pub fn linked() -> bool {
    LINKED.load(Relaxed)
}

/// The session's counters as of the last tick (None before the sender ran).
pub fn stats() -> Option<SessionStats> {
    STATS.lock().ok().and_then(|s| *s)
}
