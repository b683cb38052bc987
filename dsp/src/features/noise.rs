//! Per-channel stationary noise estimate and its subtraction (a one-pole low-pass of each
//! channel, with different smoothing for even and odd channels, and a floor that keeps a
//! fraction of the signal).
//!
//! **Real-time safe** after [`NoiseReduction::new`].

/// Fractional bits of the smoothing coefficients.
pub const NOISE_REDUCTION_BITS: u32 = 14;

/// Noise reduction tuning (the microWakeWord values are the defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseReductionConfig {
    pub smoothing_bits: u32,
    pub even_smoothing: f32,
    pub odd_smoothing: f32,
    pub min_signal_remaining: f32,
}

impl Default for NoiseReductionConfig {
    fn default() -> Self {
        Self {
            smoothing_bits: 10,
            even_smoothing: 0.025,
            odd_smoothing: 0.06,
            min_signal_remaining: 0.05,
        }
    }
}

/// The noise estimator and subtractor.
#[derive(Debug, Clone)]
pub struct NoiseReduction {
    smoothing_bits: u32,
    even_smoothing: u32,
    odd_smoothing: u32,
    min_signal_remaining: u32,
    estimate: Vec<u32>,
}

impl NoiseReduction {
    /// Allocates the estimate for `num_channels`.
    pub fn new(cfg: &NoiseReductionConfig, num_channels: usize) -> Self {
        let one = (1u32 << NOISE_REDUCTION_BITS) as f32;
        // The reference stores these in 16-bit fields: truncation, not rounding.
        Self {
            smoothing_bits: cfg.smoothing_bits,
            even_smoothing: u32::from((cfg.even_smoothing * one) as u16),
            odd_smoothing: u32::from((cfg.odd_smoothing * one) as u16),
            min_signal_remaining: u32::from((cfg.min_signal_remaining * one) as u16),
            estimate: vec![0; num_channels],
        }
    }

    /// The current noise estimate per channel (read by the gain control).
    pub fn estimate(&self) -> &[u32] {
        &self.estimate
    }

    /// Updates the estimate and subtracts it from `signal` in place. Real-time safe.
    pub fn apply(&mut self, signal: &mut [u32]) {
        for (i, (s, est)) in signal.iter_mut().zip(self.estimate.iter_mut()).enumerate() {
            let smoothing = if i & 1 == 0 {
                self.even_smoothing
            } else {
                self.odd_smoothing
            };
            let one_minus = (1u32 << NOISE_REDUCTION_BITS) - smoothing;
            let scaled_up = s.wrapping_shl(self.smoothing_bits);
            let mut e = ((u64::from(scaled_up) * u64::from(smoothing)
                + u64::from(*est) * u64::from(one_minus))
                >> NOISE_REDUCTION_BITS) as u32;
            *est = e;
            e = e.min(scaled_up);
            let floor = ((u64::from(*s) * u64::from(self.min_signal_remaining))
                >> NOISE_REDUCTION_BITS) as u32;
            let subtracted = (scaled_up - e) >> self.smoothing_bits;
            *s = subtracted.max(floor);
        }
    }

    /// Forgets the noise estimate. Real-time safe.
    pub fn reset(&mut self) {
        self.estimate.fill(0);
    }
}
