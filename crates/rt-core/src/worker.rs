//! Waiting for a thread beside the real-time loop (the wake-word worker, the echo delay
//! worker) to finish what it was handed: what a full-speed simulation does between periods so
//! that its runs repeat exactly. A leaf module: it knows no other module of the crate.

use std::thread::JoinHandle;

/// Wakes `worker` (parked in `park_timeout` when idle) and yields until `done` holds or the
/// worker has ended: how a full-speed simulation waits for the threads beside the loop
/// between periods. **Not real-time safe** (it waits); never called in real time.
pub fn wait_for_worker<T>(worker: &JoinHandle<T>, done: impl Fn() -> bool) {
    while !done() && !worker.is_finished() {
        worker.thread().unpark();
        std::thread::yield_now();
    }
}
