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

/// Most model outputs a [`SlidingCutoff`] can average.
pub const MAX_SLIDING_WINDOW: usize = 50;

/// The decision rule of microWakeWord models: a detection when the mean of the last
/// `sliding_window` model probabilities exceeds `cutoff`; then nothing for `refractory`
/// samples, and the window starts empty again (so one wake word gives one detection).
///
/// **Real-time safe**: fixed-size state, no allocation.
#[derive(Debug, Clone)]
pub struct SlidingCutoff {
    cutoff: f32,
    window: usize,
    refractory: u64,
    probs: [f32; MAX_SLIDING_WINDOW],
    len: usize,
    next: usize,
    quiet_until: Option<u64>,
}

impl SlidingCutoff {
    /// `sliding_window` is clamped to `1..=MAX_SLIDING_WINDOW`; `refractory` is in samples.
    pub fn new(cutoff: f32, sliding_window: usize, refractory: u64) -> Self {
        Self {
            cutoff,
            window: sliding_window.clamp(1, MAX_SLIDING_WINDOW),
            refractory,
            probs: [0.0; MAX_SLIDING_WINDOW],
            len: 0,
            next: 0,
            quiet_until: None,
        }
    }

    /// The mean of the window once it is full (what is compared with the cutoff).
    pub fn mean(&self) -> Option<f32> {
        (self.len == self.window)
            .then(|| self.probs[..self.window].iter().sum::<f32>() / self.window as f32)
    }

    /// Adds one model probability computed from audio that ends at sample `at`; returns the
    /// mean when it is a detection. Real-time safe.
    pub fn push(&mut self, prob: f32, at: u64) -> Option<f32> {
        self.probs[self.next] = prob;
        self.next = (self.next + 1) % self.window;
        self.len = (self.len + 1).min(self.window);
        if let Some(until) = self.quiet_until {
            if at < until {
                return None;
            }
            self.quiet_until = None;
        }
        let mean = self.mean()?;
        if mean > self.cutoff {
            self.len = 0;
            self.next = 0;
            self.quiet_until = Some(at.saturating_add(self.refractory));
            Some(mean)
        } else {
            None
        }
    }

    /// Empties the window and ends any refractory period. Real-time safe.
    pub fn reset(&mut self) {
        self.len = 0;
        self.next = 0;
        self.quiet_until = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_full_window_above_the_cutoff() {
        let mut s = SlidingCutoff::new(0.9, 3, 0);
        assert_eq!(s.push(1.0, 100), None);
        assert_eq!(s.push(1.0, 200), None);
        assert_eq!(s.push(1.0, 300), Some(1.0));
        // The window restarts empty after a detection.
        assert_eq!(s.push(1.0, 400), None);
        assert_eq!(s.push(0.7, 500), None);
        assert_eq!(s.push(0.95, 600), None); // mean 0.883
        assert_eq!(s.push(1.0, 700), None); // mean 0.883
        assert!(s.push(1.0, 800).is_some()); // mean 0.983
    }

    #[test]
    fn mean_equal_to_the_cutoff_is_not_a_detection() {
        let mut s = SlidingCutoff::new(0.5, 2, 0);
        s.push(0.5, 1);
        assert_eq!(s.push(0.5, 2), None);
    }

    #[test]
    fn refractory_period_suppresses_double_triggers() {
        let mut s = SlidingCutoff::new(0.5, 1, 1000);
        assert!(s.push(1.0, 0).is_some());
        assert_eq!(s.push(1.0, 500), None);
        assert_eq!(s.push(1.0, 999), None);
        assert!(s.push(1.0, 1000).is_some());
        s.reset();
        assert!(
            s.push(1.0, 1001).is_some(),
            "reset ends the refractory period"
        );
    }
}
