//! Ducking (`[aec] duck_db`, issue 9): the board's music is lowered by `duck_db` while a
//! speech stream to the phone is open, and brought back afterwards.
//!
//! [`Ducker`] is the policy, pure apart from the [`VolumeControl`] it is given (ALSA's
//! [`AlsaVolume`] in `run`, a double in the tests). The AMA sender drives it from events it
//! already sees: the real-time thread's `StreamStarted` ducks, and `StreamEnded` (a stream
//! that ends or is aborted), the link going down, the capture ending and the sender stopping
//! (SIGINT/SIGTERM/SIGHUP in `run`) restore. Dropping a ducked `Ducker` restores too, so a
//! sender cut short by the link runtime's stop timeout still gives the level back.
//!
//! **Guarantees**: the level is read once per duck, when the first stream opens; further
//! opens while ducked change nothing (ducks never stack). A restore sets exactly the saved
//! level, unless the level is no longer the one the duck left: then someone (a volume key,
//! `amixer`, the phone over AVRCP) chose a level while ducked, and their choice is kept. A
//! failed restore is returned (the caller logs it), never a panic, and the `Ducker` stays
//! ducked so the next close, link loss or the exit tries again. Not real-time safe (mixer
//! ioctls); never called by the real-time thread.

use rt_core::audio::alsa::mixer::{AlsaVolume, MixerError, VolumeControl};
use tracing::{info, warn};

use crate::config::Config;

/// Why the level is being restored (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreCause {
    /// The speech stream ended (endpoint, release, stop, or an abort).
    StreamEnded,
    /// The phone's link went down.
    LinkLost,
    /// The engine is stopping (signal, capture ended).
    Exit,
}

/// What a restore did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restored {
    /// Nothing was ducked.
    NotDucked,
    /// The saved level (hundredths of a dB) was set again.
    Level(i64),
    /// The level was changed by someone else while ducked; it was left as they set it.
    KeptUserLevel(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    /// `saved`: the level before the duck; `applied`: the level the control took for the duck.
    Ducked {
        saved: i64,
        applied: i64,
    },
}

/// The ducking policy over one volume control.
pub struct Ducker {
    volume: Box<dyn VolumeControl + Send>,
    depth: i64,
    state: State,
}

impl std::fmt::Debug for Ducker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ducker")
            .field("depth", &self.depth)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Ducker {
    /// Ducks `volume` by `duck_db` dB.
    pub fn new(volume: Box<dyn VolumeControl + Send>, duck_db: u32) -> Self {
        Self {
            volume,
            depth: i64::from(duck_db) * 100,
            state: State::Idle,
        }
    }

    /// `[aec] duck_*` of `cfg`: `None` when `duck_db` is 0; an error naming the key when the
    /// card or control cannot be used (`run` then refuses to start, as for a bad device).
    pub fn from_config(cfg: &Config) -> anyhow::Result<Option<Self>> {
        let Some((card, control, db)) = cfg.aec.ducking() else {
            return Ok(None);
        };
        let volume = AlsaVolume::open(card, control)
            .map_err(|e| anyhow::anyhow!("key `aec.duck_control` / `aec.duck_card`: {e}"))?;
        info!(card, control, duck_db = db, range = ?volume.range(), "ducking on");
        Ok(Some(Self::new(Box::new(volume), db)))
    }

    /// Whether the control is lowered now.
    pub fn is_ducked(&self) -> bool {
        matches!(self.state, State::Ducked { .. })
    }

    /// A speech stream opened: the level is saved and lowered by the depth. Already ducked:
    /// nothing happens. On an error nothing is ducked (and nothing is to be restored).
    pub fn stream_opened(&mut self) -> Result<(), MixerError> {
        if self.is_ducked() {
            return Ok(());
        }
        let saved = self.volume.get()?;
        let applied = self.volume.set(saved.saturating_sub(self.depth))?;
        self.state = State::Ducked { saved, applied };
        Ok(())
    }

    /// The stream ended, the link was lost or the engine stops: the saved level is set again
    /// (see the module doc for a level changed while ducked). On an error the `Ducker` stays
    /// ducked, so a later restore tries again.
    pub fn restore(&mut self, _cause: RestoreCause) -> Result<Restored, MixerError> {
        let State::Ducked { saved, applied } = self.state else {
            return Ok(Restored::NotDucked);
        };
        // A failed read is no reason to leave the music down: restore.
        let now = self.volume.get().unwrap_or(applied);
        if now != applied {
            self.state = State::Idle;
            return Ok(Restored::KeptUserLevel(now));
        }
        self.volume.set(saved)?;
        self.state = State::Idle;
        Ok(Restored::Level(saved))
    }

    /// [`Ducker::stream_opened`], logging a failure (the stream goes on undiminished).
    pub fn on_open(&mut self) {
        let was = self.is_ducked();
        match self.stream_opened() {
            Ok(()) => {
                if let (false, State::Ducked { saved, applied }) = (was, self.state) {
                    info!(
                        from_db = saved as f64 / 100.0,
                        to_db = applied as f64 / 100.0,
                        "ducking: volume lowered"
                    );
                }
            }
            Err(e) => warn!("ducking: cannot lower the volume: {e}"),
        }
    }

    /// [`Ducker::restore`], logging what happened.
    pub fn on_restore(&mut self, cause: RestoreCause) {
        match self.restore(cause) {
            Ok(Restored::NotDucked) => {}
            Ok(Restored::Level(l)) => info!(
                ?cause,
                level_db = l as f64 / 100.0,
                "ducking: volume restored"
            ),
            Ok(Restored::KeptUserLevel(l)) => info!(
                ?cause,
                level_db = l as f64 / 100.0,
                "ducking: the volume was changed while ducked; kept"
            ),
            Err(e) => warn!(?cause, "ducking: cannot restore the volume: {e}"),
        }
    }
}

impl Drop for Ducker {
    fn drop(&mut self) {
        self.on_restore(RestoreCause::Exit);
    }
}

#[cfg(test)]
#[path = "duck_tests.rs"]
mod tests;
