//! Wake-word detectors behind one trait.
//!
//! The pipeline pushes every 10 ms block of 16 kHz audio (160 samples, 16-bit scale) into the
//! detector, in order, with the absolute index of the block's first sample on the 16 kHz
//! timeline of the capture. A detector reports a [`Detection`] once per wake word.

use crate::BLOCK_16K;

/// One wake word found in the audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Absolute 16 kHz sample index where the detector estimates the wake word began.
    pub start_sample: u64,
    /// Absolute 16 kHz sample index where the wake word ended (exclusive).
    pub end_sample: u64,
    /// The score that crossed the cutoff (0..=1).
    pub score: f32,
}

/// A streaming wake-word detector.
///
/// Implementations allocate in their constructor; `process` is real-time safe unless the
/// implementation's doc says it is not (then the engine runs it on its own thread).
pub trait WakeWordDetector: Send {
    /// Feeds one 10 ms block whose first sample has absolute index `first_sample`.
    fn process(&mut self, first_sample: u64, block: &[f32; BLOCK_16K]) -> Option<Detection>;

    /// Forgets the streaming state (after a stream ends, or when detection is re-enabled).
    fn reset(&mut self);

    /// Worst-case delay in 16 kHz samples between the end of a wake word and its detection;
    /// the engine sizes its pre-roll ring with it.
    fn max_lag_samples(&self) -> u32;
}
