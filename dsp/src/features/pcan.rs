//! Per-channel energy normalisation (PCAN) gain control: each channel is divided by a power of
//! its noise estimate (through a piecewise-quadratic lookup table), then compressed.
//! Details: Wang et al., "Trainable frontend for robust and far-field keyword spotting".
//!
//! **Real-time safe** after [`PcanGainControl::new`].

/// Fractional bits of the signal-to-noise ratio.
pub const PCAN_SNR_BITS: u32 = 12;
/// Fractional bits of the output.
pub const PCAN_OUTPUT_BITS: u32 = 6;
const WIDE_DYNAMIC_FUNCTION_BITS: u32 = 32;
const LUT_SIZE: usize = 4 * WIDE_DYNAMIC_FUNCTION_BITS as usize - 3;

/// Gain control tuning (the microWakeWord values are the defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PcanConfig {
    pub strength: f32,
    pub offset: f32,
    pub gain_bits: u32,
}

impl Default for PcanConfig {
    fn default() -> Self {
        Self {
            strength: 0.95,
            offset: 80.0,
            gain_bits: 21,
        }
    }
}

/// The gain control stage.
#[derive(Debug, Clone)]
pub struct PcanGainControl {
    gain_lut: [i16; LUT_SIZE],
    snr_shift: u32,
}

fn gain_lookup(cfg: &PcanConfig, input_bits: u32, x: u32) -> i16 {
    let x = x as f32 / (1u32 << input_bits) as f32;
    let gain = (1u32 << cfg.gain_bits) as f32 * (x + cfg.offset).powf(-cfg.strength);
    if gain > f32::from(i16::MAX) {
        i16::MAX
    } else {
        (gain + 0.5) as i16
    }
}

fn msb32(n: u32) -> u32 {
    32 - n.leading_zeros()
}

impl PcanGainControl {
    /// Builds the gain table. `smoothing_bits` is the noise estimate's scale and
    /// `input_correction_bits` the FFT's.
    pub fn new(cfg: &PcanConfig, smoothing_bits: u32, input_correction_bits: u32) -> Self {
        let mut lut = [0i16; LUT_SIZE];
        let input_bits = smoothing_bits - input_correction_bits;
        lut[0] = gain_lookup(cfg, input_bits, 0);
        lut[1] = gain_lookup(cfg, input_bits, 1);
        for interval in 2..=WIDE_DYNAMIC_FUNCTION_BITS {
            let x0: u32 = 1 << (interval - 1);
            let x1 = x0 + (x0 >> 1);
            let x2 = if interval == WIDE_DYNAMIC_FUNCTION_BITS {
                x0 + (x0 - 1)
            } else {
                2 * x0
            };
            let y0 = gain_lookup(cfg, input_bits, x0);
            let y1 = gain_lookup(cfg, input_bits, x1);
            let y2 = gain_lookup(cfg, input_bits, x2);
            let diff1 = i32::from(y1) - i32::from(y0);
            let diff2 = i32::from(y2) - i32::from(y0);
            let a1 = 4 * diff1 - diff2;
            let a2 = diff2 - a1;
            let base = 4 * interval as usize - 6;
            lut[base] = y0;
            lut[base + 1] = a1 as i16;
            lut[base + 2] = a2 as i16;
        }
        Self {
            gain_lut: lut,
            snr_shift: cfg.gain_bits - input_correction_bits - PCAN_SNR_BITS,
        }
    }

    fn wide_dynamic_function(&self, x: u32) -> i16 {
        if x <= 2 {
            return self.gain_lut[x as usize];
        }
        let interval = msb32(x);
        let lut = &self.gain_lut[4 * interval as usize - 6..];
        let frac = (if interval < 11 {
            x << (11 - interval)
        } else {
            x >> (interval - 11)
        } & 0x3FF) as i32;
        let mut result = (i32::from(lut[2]) * frac) >> 5;
        result = result.wrapping_add((i32::from(lut[1]) as u32).wrapping_shl(5) as i32);
        result = result.wrapping_mul(frac);
        result = result.wrapping_add(1 << 14) >> 15;
        result = result.wrapping_add(i32::from(lut[0]));
        result as i16
    }

    /// Normalises `signal` in place by the noise `estimate`. Real-time safe.
    pub fn apply(&self, signal: &mut [u32], estimate: &[u32]) {
        for (s, &e) in signal.iter_mut().zip(estimate) {
            let gain = i32::from(self.wide_dynamic_function(e)) as u32;
            let snr = ((u64::from(*s) * u64::from(gain)) >> self.snr_shift) as u32;
            *s = shrink(snr);
        }
    }
}

fn shrink(x: u32) -> u32 {
    if x < (2 << PCAN_SNR_BITS) {
        x.wrapping_mul(x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS)
    } else {
        (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)).wrapping_sub(1 << PCAN_OUTPUT_BITS)
    }
}
