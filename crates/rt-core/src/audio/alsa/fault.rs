//! A test-only fault switch around a capture PCM: the application arms it (see the app's
//! `faults` module) so that integration tests can stall the real-time loop or make a read fail
//! with an xrun (`EPIPE`), which the engine's own recovery in [`super::AlsaSource`] then handles
//! (counted, the real PCM prepared and restarted). Unarmed, it forwards every call.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use nix::errno::Errno;

use super::CapturePcm;

/// The switches, set from outside the real-time thread (by signal handlers in the app).
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch {
    /// While set, every read blocks: the loop stops making progress.
    pub stall: Arc<AtomicBool>,
    /// When set, the next read fails with `EPIPE` (and clears it).
    pub xrun: Arc<AtomicBool>,
}

/// A capture PCM with an optional [`FaultSwitch`].
#[derive(Debug)]
pub struct FaultPcm<P> {
    inner: P,
    faults: Option<FaultSwitch>,
}

impl<P> FaultPcm<P> {
    /// Wraps `inner`; `faults: None` forwards everything.
    pub fn new(inner: P, faults: Option<FaultSwitch>) -> Self {
        Self { inner, faults }
    }
}

impl<P: CapturePcm> CapturePcm for FaultPcm<P> {
    fn readi(&mut self, buf: &mut [i16]) -> Result<usize, i32> {
        if let Some(f) = &self.faults {
            while f.stall.load(Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            if f.xrun.swap(false, Relaxed) {
                return Err(Errno::EPIPE as i32);
            }
        }
        self.inner.readi(buf)
    }

    fn prepare(&mut self) -> Result<(), i32> {
        self.inner.prepare()
    }

    fn resume(&mut self) -> Result<(), i32> {
        self.inner.resume()
    }

    fn start_if_stopped(&mut self) {
        self.inner.start_if_stopped()
    }

    fn delay(&mut self) -> Option<i64> {
        self.inner.delay()
    }
}
