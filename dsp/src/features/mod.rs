//! The microWakeWord feature front end: a pure-Rust port of the TensorFlow Lite Micro audio
//! front end with the settings microWakeWord models are trained with (30 ms Hann window every
//! 10 ms, 512-point fixed-point FFT, 40 mel channels over 125-7500 Hz, noise reduction, PCAN
//! gain control, log scale), and the int8 quantisation of the model's input tensor.
//!
//! **Guarantees**: bit-exact with the reference C implementation (as shipped in the PyPI
//! package pymicro-features; `wakeword_features` in rt-core's test binary compares them
//! frame by frame); [`FrontEnd::new`] allocates, everything else is real-time safe.
//!
//! ```
//! use dsp::features::{FrontEnd, NUM_CHANNELS};
//! let mut fe = FrontEnd::new();
//! let block = [0i16; 160];
//! // The first 30 ms window is complete after the third 10 ms block.
//! assert!(fe.process(&block).is_none());
//! assert!(fe.process(&block).is_none());
//! let frame: &[u16; NUM_CHANNELS] = fe.process(&block).unwrap();
//! assert!(frame.iter().all(|&v| v == 0));
//! ```

mod fft;
mod filterbank;
mod log_scale;
mod noise;
mod pcan;
mod window;

pub use noise::NoiseReductionConfig;
pub use pcan::PcanConfig;

use crate::BLOCK_16K;

/// Mel channels per feature frame.
pub const NUM_CHANNELS: usize = 40;
/// Samples per analysis window (30 ms at 16 kHz).
pub const WINDOW_SAMPLES: usize = 480;
/// Samples between feature frames (10 ms at 16 kHz).
pub const STEP_SAMPLES: usize = BLOCK_16K;
/// The factor from the front end's integer output to the float features microWakeWord was
/// trained on (pymicro-features and ESPHome multiply by it).
pub const FEATURE_SCALE: f32 = 0.039_062_5;

const SAMPLE_RATE: u32 = 16_000;
const FFT_SIZE: usize = 512;
const LOWER_HZ: f32 = 125.0;
const UPPER_HZ: f32 = 7500.0;
const LOG_SCALE_SHIFT: u32 = 6;

/// Bits the FFT's 1/N scaling removes beyond the filterbank's fraction (3 for 512 points).
const fn input_correction_bits() -> i32 {
    (usize::BITS - FFT_SIZE.leading_zeros()) as i32 - 1 - (filterbank::FILTERBANK_BITS / 2) as i32
}

/// Streaming front end: 160 samples in, one 40-channel frame out (after the first 30 ms).
#[derive(Debug, Clone)]
pub struct FrontEnd {
    window: window::Window,
    fft_input: Vec<i16>,
    fft: fft::RealFft,
    spectrum: Vec<fft::Cpx>,
    filterbank: filterbank::Filterbank,
    noise: noise::NoiseReduction,
    pcan: pcan::PcanGainControl,
    channels: [u32; NUM_CHANNELS],
    output: [u16; NUM_CHANNELS],
}

impl Default for FrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl FrontEnd {
    /// The microWakeWord front end. Allocates (a few kilobytes); not real-time safe.
    pub fn new() -> Self {
        let nr = NoiseReductionConfig::default();
        let pcan_cfg = PcanConfig::default();
        let correction = input_correction_bits();
        Self {
            window: window::Window::new(WINDOW_SAMPLES, STEP_SAMPLES),
            fft_input: vec![0; FFT_SIZE],
            fft: fft::RealFft::new(FFT_SIZE),
            spectrum: vec![fft::Cpx::default(); FFT_SIZE / 2 + 1],
            filterbank: filterbank::Filterbank::new(
                NUM_CHANNELS,
                LOWER_HZ,
                UPPER_HZ,
                SAMPLE_RATE,
                FFT_SIZE / 2 + 1,
            ),
            noise: noise::NoiseReduction::new(&nr, NUM_CHANNELS),
            pcan: pcan::PcanGainControl::new(&pcan_cfg, nr.smoothing_bits, correction as u32),
            channels: [0; NUM_CHANNELS],
            output: [0; NUM_CHANNELS],
        }
    }

    /// Feeds one 10 ms block of 16-bit samples; returns the feature frame of the 30 ms window
    /// that ends with this block, or `None` while the first window is filling.
    /// Real-time safe.
    pub fn process(&mut self, block: &[i16; STEP_SAMPLES]) -> Option<&[u16; NUM_CHANNELS]> {
        let (_, ready) = self.window.push(block);
        if !ready {
            return None;
        }
        // Scale the frame up so the fixed-point FFT keeps as much resolution as possible.
        let msb = 16 - (self.window.max_abs() as u16).leading_zeros();
        let input_shift = 15 - msb;
        for (f, &x) in self.fft_input.iter_mut().zip(self.window.output()) {
            *f = ((x as u16 as u32) << input_shift) as u16 as i16;
        }
        self.fft_input[WINDOW_SAMPLES..].fill(0);
        self.fft.forward(&self.fft_input, &mut self.spectrum);
        self.filterbank
            .apply(&self.spectrum, input_shift, &mut self.channels);
        self.noise.apply(&mut self.channels);
        self.pcan.apply(&mut self.channels, self.noise.estimate());
        log_scale::apply(
            &self.channels,
            input_correction_bits(),
            LOG_SCALE_SHIFT,
            &mut self.output,
        );
        Some(&self.output)
    }

    /// Forgets all streaming state (window, noise estimate), as if new. Real-time safe.
    pub fn reset(&mut self) {
        self.window.reset();
        self.fft_input.fill(0);
        self.spectrum.fill(fft::Cpx::default());
        self.filterbank.reset();
        self.noise.reset();
        self.channels = [0; NUM_CHANNELS];
        self.output = [0; NUM_CHANNELS];
    }
}

/// Quantises one feature frame for an int8 model input with the given tensor quantisation,
/// the way the reference (pymicro-wakeword) does: `round_half_even(v * FEATURE_SCALE / scale)`
/// plus the zero point, computed in f64. Values outside -128..=127 saturate, as in ESPHome's
/// microWakeWord component (pymicro-wakeword's numpy cast would wrap them around; with the
/// alexa model that takes a feature above 26.0, i.e. a raw value above 666). Real-time safe.
pub fn quantize_frame(frame: &[u16; NUM_CHANNELS], scale: f32, zero_point: i32, out: &mut [i8]) {
    let scale = f64::from(scale);
    for (o, &v) in out.iter_mut().zip(frame) {
        let f = f64::from(f32::from(v) * FEATURE_SCALE);
        let q = (f / scale + f64::from(zero_point)).round_ties_even();
        *o = q.clamp(-128.0, 127.0) as i8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f32, amp: f32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|t| (amp * (2.0 * std::f32::consts::PI * freq * t as f32 / 16000.0).sin()) as i16)
            .collect()
    }

    fn run(samples: &[i16]) -> Vec<[u16; NUM_CHANNELS]> {
        let mut fe = FrontEnd::new();
        samples
            .chunks_exact(STEP_SAMPLES)
            .filter_map(|b| fe.process(b.try_into().unwrap()).copied())
            .collect()
    }

    /// A tone lights up the channel that holds its frequency more than far-away channels.
    #[test]
    fn tone_energy_lands_in_the_right_channel() {
        let frames = run(&tone(1000.0, 8000.0, 16000));
        assert_eq!(frames.len(), 100 - 2);
        let f = frames[10];
        let peak = (0..NUM_CHANNELS).max_by_key(|&c| f[c]).unwrap();
        // 1 kHz sits near channel 12 of 40 mel channels over 125-7500 Hz.
        assert!((10..=14).contains(&peak), "peak channel {peak}: {f:?}");
        assert!(f[peak] > f[35] + 100, "{f:?}");
    }

    /// Noise reduction adapts: a steady tone fades relative to its onset.
    #[test]
    fn steady_tone_is_suppressed_over_time() {
        let frames = run(&tone(1000.0, 8000.0, 16000 * 3));
        let peak = (0..NUM_CHANNELS).max_by_key(|&c| frames[0][c]).unwrap();
        assert!(
            frames[250][peak] < frames[0][peak],
            "{} vs {}",
            frames[250][peak],
            frames[0][peak]
        );
    }

    /// Reset makes the front end behave exactly as a new one.
    #[test]
    fn reset_is_like_new() {
        let audio = tone(440.0, 5000.0, 4800);
        let mut fe = FrontEnd::new();
        for b in audio.chunks_exact(STEP_SAMPLES) {
            fe.process(b.try_into().unwrap());
        }
        fe.reset();
        let again: Vec<_> = audio
            .chunks_exact(STEP_SAMPLES)
            .filter_map(|b| fe.process(b.try_into().unwrap()).copied())
            .collect();
        assert_eq!(again, run(&audio));
    }

    #[test]
    fn quantization_matches_the_model_scale() {
        let mut frame = [0u16; NUM_CHANNELS];
        frame[0] = 0;
        frame[1] = 666; // 26.01 -> just above the top of the int8 range
        frame[2] = 256; // 10.0 -> 10 / 0.10196 - 128 = -29.9 -> -30
        let mut q = [0i8; NUM_CHANNELS];
        quantize_frame(&frame, 0.101_960_786, -128, &mut q);
        assert_eq!(&q[..3], &[-128, 127, -30]);
    }
}
