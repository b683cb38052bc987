//! A playback volume control of an ALSA simple mixer (`amixer`'s "Master", "PCM", ...), in
//! dB, for ducking the board's music while a speech stream is open (`[aec] duck_db`).
//!
//! **Not real-time safe**: every call is an ioctl on the card's control device (a few us), and
//! [`AlsaVolume::open`] allocates. Only the application's async side uses it, never the
//! real-time loop. Levels are in hundredths of a dB (ALSA's `MilliBel` unit), read from the
//! first playback channel and written to all channels (a control whose channels differ has
//! them set equal by a duck and its restore).

use alsa::mixer::{Mixer, Selem, SelemChannelId, SelemId};
use alsa::Round;

/// Failures of a volume control. Construction allocates its message; none of this runs on
/// the real-time thread.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MixerError {
    /// The card's mixer could not be opened (wrong card name, no permission). Ducking cannot
    /// work; the caller should refuse to start or run without it.
    #[error("ALSA mixer `{card}`: {message}")]
    Open { card: String, message: String },
    /// The card has no simple control of that name with a playback volume in dB.
    #[error("ALSA mixer `{card}`: {message}")]
    Control { card: String, message: String },
    /// A read or write of the level failed (the card went away). The level may be unchanged;
    /// the caller should report it and go on.
    #[error("volume `{control}`: {message}")]
    Io { control: String, message: String },
}

/// A volume in dB that can be read and set. The ALSA implementation is [`AlsaVolume`];
/// tests use a double.
pub trait VolumeControl {
    /// The current level, in hundredths of a dB (0 = full scale on most controls).
    fn get(&mut self) -> Result<i64, MixerError>;
    /// Sets the level (hundredths of a dB, clamped to the control's range) and returns the
    /// level the control actually took (controls move in steps).
    fn set(&mut self, centi_db: i64) -> Result<i64, MixerError>;
}

/// One playback volume control of a card, by simple-mixer name (index 0).
pub struct AlsaVolume {
    mixer: Mixer,
    id: SelemId,
    control: String,
    channel: SelemChannelId,
    range: (i64, i64),
}

impl std::fmt::Debug for AlsaVolume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlsaVolume")
            .field("control", &self.control)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl AlsaVolume {
    /// Opens `card`'s mixer (`"default"`, `"hw:0"`, `"hw:Dummy"`) and finds the simple control
    /// `control` with a playback volume in dB. A missing control lists the card's playback
    /// controls in the error.
    pub fn open(card: &str, control: &str) -> Result<Self, MixerError> {
        let mixer = Mixer::new(card, false).map_err(|e| MixerError::Open {
            card: card.to_string(),
            message: e.to_string(),
        })?;
        let id = SelemId::new(control, 0);
        let (channel, range) = {
            let Some(selem) = mixer.find_selem(&id).filter(Selem::has_playback_volume) else {
                let names: Vec<String> = mixer
                    .iter()
                    .filter_map(Selem::new)
                    .filter(Selem::has_playback_volume)
                    .filter_map(|s| s.get_id().get_name().ok().map(str::to_string))
                    .collect();
                return Err(MixerError::Control {
                    card: card.to_string(),
                    message: format!(
                        "no playback volume control `{control}` (playback volumes: {})",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                });
            };
            let channel = first_channel(&selem);
            let (lo, hi) = selem.get_playback_db_range();
            if hi.0 <= lo.0 || selem.get_playback_vol_db(channel).is_err() {
                return Err(MixerError::Control {
                    card: card.to_string(),
                    message: format!("control `{control}` has no dB scale"),
                });
            }
            (channel, (lo.0, hi.0))
        };
        Ok(Self {
            mixer,
            id,
            control: control.to_string(),
            channel,
            range,
        })
    }

    /// The control's dB range, hundredths of a dB (min, max).
    pub fn range(&self) -> (i64, i64) {
        self.range
    }

    fn selem(&self) -> Result<Selem<'_>, MixerError> {
        // Pick up changes made by others (amixer, a volume key) since the last call.
        self.mixer.handle_events().map_err(|e| self.io(e))?;
        self.mixer
            .find_selem(&self.id)
            .ok_or_else(|| MixerError::Io {
                control: self.control.clone(),
                message: "the control is gone".into(),
            })
    }

    fn io(&self, e: alsa::Error) -> MixerError {
        MixerError::Io {
            control: self.control.clone(),
            message: e.to_string(),
        }
    }
}

impl VolumeControl for AlsaVolume {
    fn get(&mut self) -> Result<i64, MixerError> {
        let selem = self.selem()?;
        selem
            .get_playback_vol_db(self.channel)
            .map(|v| v.0)
            .map_err(|e| self.io(e))
    }

    fn set(&mut self, centi_db: i64) -> Result<i64, MixerError> {
        let v = centi_db.clamp(self.range.0, self.range.1);
        let selem = self.selem()?;
        // Rounded down: a duck is never shallower than asked; a restored level is one of the
        // control's own steps, which it takes exactly.
        selem
            .set_playback_db_all(alsa::mixer::MilliBel(v), Round::Floor)
            .map_err(|e| self.io(e))?;
        selem
            .get_playback_vol_db(self.channel)
            .map(|v| v.0)
            .map_err(|e| self.io(e))
    }
}

fn first_channel(selem: &Selem<'_>) -> SelemChannelId {
    if selem.is_playback_mono() {
        return SelemChannelId::mono();
    }
    [
        SelemChannelId::FrontLeft,
        SelemChannelId::FrontRight,
        SelemChannelId::FrontCenter,
        SelemChannelId::RearLeft,
        SelemChannelId::RearRight,
        SelemChannelId::Woofer,
        SelemChannelId::SideLeft,
        SelemChannelId::SideRight,
        SelemChannelId::RearCenter,
    ]
    .into_iter()
    .find(|&c| selem.has_playback_channel(c))
    .unwrap_or(SelemChannelId::mono())
}
