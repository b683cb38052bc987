//! Capture sources: real ALSA ([`alsa`]) and WAV files ([`wav`]).
//!
//! A source delivers mono 16-bit periods at 16 or 48 kHz to the real-time loop. Reading is
//! the one blocking call the loop makes; everything else a source does per period is
//! real-time safe.

pub mod alsa;
pub mod pace;
pub mod wav;

use crate::telemetry::Telemetry;
use engine_base::messages::Command;

/// A period was read, or the source has nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// `buf` holds one full period; its first sample was captured at `capture_ns`
    /// (CLOCK_MONOTONIC).
    Data { capture_ns: u64 },
    /// The source ended (files); no more periods follow.
    Ended,
}

/// Capture failures that the loop cannot recover from by itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The device could not be opened or configured; the message says which setting failed.
    #[error("ALSA device `{device}`: {message}")]
    Device { device: String, message: String },
    /// A file source could not be read.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// Recovery failed repeatedly; the device is gone.
    #[error("ALSA device `{device}` failed and could not be recovered: {message}")]
    Lost { device: String, message: String },
}

/// A source of mono 16-bit capture periods.
pub trait CaptureSource: Send {
    /// Sample rate in Hz (16000 or 48000).
    fn rate(&self) -> u32;

    /// Frames per period.
    fn period_frames(&self) -> usize;

    /// Waits for and reads one period into `buf` (exactly `period_frames()` samples).
    /// Recoverable faults (xruns, suspends) are recovered and counted in `tel`.
    /// Real-time safe apart from the blocking wait for data.
    fn read_period(&mut self, buf: &mut [i16], tel: &Telemetry) -> Result<Period, CaptureError>;

    /// The echo canceller's reference for the period just read (same rate and length as the
    /// period), when the source has one: a loopback channel of the capture device, or a
    /// second file/device. Real-time safe.
    fn reference(&self) -> Option<&[i16]> {
        None
    }

    /// Commands scripted at sample positions (simulate's `--tap-at` / `--hold`), due before
    /// the period that starts at source sample `period_start`. Real-time safe.
    fn due_commands(&mut self, _period_start: u64, _emit: &mut dyn FnMut(Command)) {}
}
