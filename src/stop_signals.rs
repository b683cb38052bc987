//! The signals that stop the pipeline commands cleanly (SIGINT, SIGTERM, SIGHUP), as
//! `simulate` handles them: each sets a stop flag and records which signal came; a second
//! one while the first is being handled ends the process at once (128 + the signal's number).
//! The handlers are removed again on drop, so a library caller's process is left as it was
//! (apart from signal-hook's own handler, which then passes the signal on to nothing).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::SigId;

/// The signals that stop `run` and `simulate`.
pub const STOP_SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// Handlers of [`STOP_SIGNALS`], installed until dropped.
#[derive(Debug)]
pub struct StopSignals {
    received: Arc<AtomicUsize>,
    flag: Arc<AtomicBool>,
    ids: Vec<SigId>,
}

impl StopSignals {
    /// Installs the handlers: from now on a stop signal is recorded (see
    /// [`StopSignals::received`]) and sets [`StopSignals::flag`].
    pub fn install() -> std::io::Result<Self> {
        let received = Arc::new(AtomicUsize::new(0));
        let flag = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in STOP_SIGNALS {
            // Registered before the flag is set by this signal: the first signal finds the
            // flag clear; a second one finds it set and ends the process.
            let code = 128 + sig as u32;
            ids.push(signal_hook::flag::register_conditional_shutdown(
                sig,
                code as i32,
                flag.clone(),
            )?);
            ids.push(signal_hook::flag::register_usize(
                sig,
                received.clone(),
                sig as usize,
            )?);
            ids.push(signal_hook::flag::register(sig, flag.clone())?);
        }
        Ok(Self {
            received,
            flag,
            ids,
        })
    }

    /// Also sets `stop` on each stop signal, and at once if one came already.
    pub fn forward_to(&mut self, stop: &Arc<AtomicBool>) -> std::io::Result<()> {
        for sig in STOP_SIGNALS {
            self.ids
                .push(signal_hook::flag::register(sig, stop.clone())?);
        }
        if self.flag.load(Ordering::SeqCst) {
            stop.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    /// The flag every stop signal sets.
    pub fn flag(&self) -> &Arc<AtomicBool> {
        &self.flag
    }

    /// The last stop signal received, if any.
    pub fn received(&self) -> Option<i32> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n as i32),
        }
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// The conventional name of a stop signal ("SIGINT").
pub fn name(sig: i32) -> String {
    match sig {
        SIGINT => "SIGINT".into(),
        SIGTERM => "SIGTERM".into(),
        SIGHUP => "SIGHUP".into(),
        n => format!("signal {n}"),
    }
}

/// The exit status of a command stopped by `sig`: 128 + its number, as a shell reports it.
pub fn exit_status(sig: i32) -> u8 {
    (128 + sig).clamp(0, 255) as u8
}
