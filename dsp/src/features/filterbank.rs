//! Mel filterbank over FFT energies, with the triangular weights quantised to 12 bits the way
//! the TFLite-Micro front end does (each FFT bin is shared between two neighbouring channels
//! through a weight and its complement), followed by an integer square root.
//!
//! **Real-time safe** after [`Filterbank::new`].

use super::fft::Cpx;

/// Fractional bits of the channel weights.
pub const FILTERBANK_BITS: u32 = 12;
const INDEX_ALIGNMENT: usize = 2; // 4-byte alignment of 16-bit indices
const BLOCK: usize = 4;

/// One channel's slice of the energy spectrum and of the weight tables.
#[derive(Debug, Clone, Copy)]
struct Channel {
    freq_start: usize,
    weight_start: usize,
    width: usize,
}

/// The mel filterbank.
#[derive(Debug, Clone)]
pub struct Filterbank {
    num_channels: usize,
    start_index: usize,
    end_index: usize,
    channels: Vec<Channel>,
    weights: Vec<i16>,
    unweights: Vec<i16>,
    energy: Vec<u32>,
    work: Vec<u64>,
}

fn freq_to_mel(freq: f32) -> f32 {
    1127.0 * (freq / 700.0).ln_1p()
}

impl Filterbank {
    /// Builds `num_channels` channels between `lower_hz` and `upper_hz` for a spectrum of
    /// `spectrum_size` bins (fft_size / 2 + 1). Allocates.
    pub fn new(
        num_channels: usize,
        lower_hz: f32,
        upper_hz: f32,
        sample_rate: u32,
        spectrum_size: usize,
    ) -> Self {
        let n1 = num_channels + 1;
        let mel_low = freq_to_mel(lower_hz);
        let mel_hi = freq_to_mel(upper_hz);
        // The reference spaces n + 1 centres over the band (the last one is only an edge).
        let mel_spacing = (mel_hi - mel_low) / n1 as f32;
        let centers: Vec<f32> = (0..n1)
            .map(|i| mel_low + mel_spacing * (i + 1) as f32)
            .collect();

        let hz_per_bin = 0.5 * sample_rate as f32 / (spectrum_size as f32 - 1.0);
        // DC is always excluded.
        let start_index = (1.5 + lower_hz / hz_per_bin) as usize;

        let mut channels = Vec::with_capacity(n1);
        let mut actual = Vec::with_capacity(n1); // (first bin, number of bins)
        let mut chan_start = start_index;
        let mut weight_index = 0usize;
        let mut needs_zeros = false;
        for &center in &centers {
            let mut freq_index = chan_start;
            while freq_to_mel(freq_index as f32 * hz_per_bin) <= center {
                freq_index += 1;
            }
            let width = freq_index - chan_start;
            actual.push((chan_start, width));
            if width == 0 {
                // An empty channel reads a block of zero weights kept at the front.
                channels.push(Channel {
                    freq_start: 0,
                    weight_start: 0,
                    width: BLOCK,
                });
                if !needs_zeros {
                    needs_zeros = true;
                    for c in channels.iter_mut().rev().skip(1) {
                        c.weight_start += BLOCK;
                    }
                    weight_index += BLOCK;
                }
            } else {
                let aligned_start = (chan_start / INDEX_ALIGNMENT) * INDEX_ALIGNMENT;
                let aligned_width = chan_start - aligned_start + width;
                let padded = (aligned_width - 1) / BLOCK * BLOCK + BLOCK;
                channels.push(Channel {
                    freq_start: aligned_start,
                    weight_start: weight_index,
                    width: padded,
                });
                weight_index += padded;
            }
            chan_start = freq_index;
        }

        let mut weights = vec![0i16; weight_index];
        let mut unweights = vec![0i16; weight_index];
        let mut end_index = 0usize;
        let scale = (1u32 << FILTERBANK_BITS) as f32;
        for (chan, (&(first, count), ch)) in actual.iter().zip(&channels).enumerate() {
            let offset = first - ch.freq_start;
            let denom = if chan == 0 {
                mel_low
            } else {
                centers[chan - 1]
            };
            let mut freq = first;
            for j in 0..count {
                let w = (centers[chan] - freq_to_mel(freq as f32 * hz_per_bin))
                    / (centers[chan] - denom);
                let idx = ch.weight_start + offset + j;
                weights[idx] = (w * scale + 0.5).floor() as i16;
                unweights[idx] = ((1.0 - w) * scale + 0.5).floor() as i16;
                freq += 1;
            }
            end_index = end_index.max(freq);
        }
        let energy_len = channels
            .iter()
            .map(|c| c.freq_start + c.width)
            .max()
            .unwrap_or(0)
            .max(spectrum_size);
        Self {
            num_channels,
            start_index,
            end_index,
            channels,
            weights,
            unweights,
            energy: vec![0; energy_len],
            work: vec![0; n1],
        }
    }

    /// Squared magnitudes of the FFT bins, accumulated into the channels; then the square root
    /// of each channel, shifted down by `scale_down_shift`, written to `out`. Real-time safe.
    pub fn apply(&mut self, spectrum: &[Cpx], scale_down_shift: u32, out: &mut [u32]) {
        for (e, c) in self.energy[self.start_index..self.end_index]
            .iter_mut()
            .zip(&spectrum[self.start_index..self.end_index])
        {
            let r = i32::from(c.r);
            let i = i32::from(c.i);
            *e = (r * r).wrapping_add(i * i) as u32;
        }
        let mut weight_acc: u64 = 0;
        let mut unweight_acc: u64 = 0;
        for (slot, ch) in self.work.iter_mut().zip(&self.channels) {
            let mags = &self.energy[ch.freq_start..ch.freq_start + ch.width];
            let ws = &self.weights[ch.weight_start..ch.weight_start + ch.width];
            let us = &self.unweights[ch.weight_start..ch.weight_start + ch.width];
            for ((&m, &w), &u) in mags.iter().zip(ws).zip(us) {
                // The reference reads energies as signed 32-bit and widens them with sign
                // extension; weights are never negative.
                let m = i64::from(m as i32) as u64;
                weight_acc = weight_acc.wrapping_add((i64::from(w) as u64).wrapping_mul(m));
                unweight_acc = unweight_acc.wrapping_add((i64::from(u) as u64).wrapping_mul(m));
            }
            *slot = weight_acc;
            weight_acc = unweight_acc;
            unweight_acc = 0;
        }
        for (o, &w) in out[..self.num_channels].iter_mut().zip(&self.work[1..]) {
            *o = sqrt64(w) >> scale_down_shift;
        }
    }

    /// Forgets nothing that matters (the filterbank has no state between frames); kept for
    /// symmetry with the other stages. Real-time safe.
    pub fn reset(&mut self) {
        self.work.fill(0);
        self.energy.fill(0);
    }
}

fn msb32(n: u32) -> u32 {
    32 - n.leading_zeros()
}

fn msb64(n: u64) -> u32 {
    64 - n.leading_zeros()
}

/// Bitwise integer square root, rounded to nearest when the bits allow.
fn sqrt32(mut num: u32) -> u16 {
    if num == 0 {
        return 0;
    }
    let mut res: u32 = 0;
    let max_bit = (32 - msb32(num)) | 1;
    let mut bit: u32 = 1 << (31 - max_bit);
    let iterations = (31 - max_bit) / 2 + 1;
    for _ in 0..iterations {
        if num >= res.wrapping_add(bit) {
            num = num.wrapping_sub(res.wrapping_add(bit));
            res = (res >> 1).wrapping_add(bit);
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if num > res && res != 0xFFFF {
        res += 1;
    }
    res as u16
}

/// 64-bit variant; numbers below 2^32 take the 32-bit path, exactly like the reference.
fn sqrt64(mut num: u64) -> u32 {
    if num >> 32 == 0 {
        return u32::from(sqrt32(num as u32));
    }
    let mut res: u64 = 0;
    let max_bit = (64 - msb64(num)) | 1;
    let mut bit: u64 = 1 << (63 - max_bit);
    let iterations = (63 - max_bit) / 2 + 1;
    for _ in 0..iterations {
        if num >= res.wrapping_add(bit) {
            num = num.wrapping_sub(res.wrapping_add(bit));
            res = (res >> 1).wrapping_add(bit);
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if num > res && res != 0xFFFF_FFFF {
        res += 1;
    }
    res as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_square_roots_round_to_nearest() {
        for n in [
            0u64,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            99,
            1 << 20,
            123_456_789,
            (1 << 40) + 12345,
        ] {
            let exact = (n as f64).sqrt();
            let got = f64::from(sqrt64(n));
            assert!(
                (got - exact).abs() <= 0.5 + 1e-9,
                "sqrt({n}) = {got}, exact {exact}"
            );
        }
    }

    #[test]
    fn channels_cover_the_band_in_order() {
        let fb = Filterbank::new(40, 125.0, 7500.0, 16000, 257);
        assert_eq!(fb.start_index, 5); // 125 Hz / 31.25 Hz per bin, DC excluded
        assert!(fb.end_index <= 257 && fb.end_index > 200);
        let starts: Vec<usize> = fb.channels.iter().map(|c| c.freq_start).collect();
        assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    }
}
