//! What the echo-canceller examples (`aec_tune`, `aec_cost`) share: reading the generated
//! WAVs, the engine's 48 -> 16 kHz decimator, energies in dB. Not real-time code.

use std::path::Path;

use dsp::resample::Decimator;
use dsp::{BLOCK_16K, FRAME_48K};

/// Samples of a 16-bit mono WAV (enough of RIFF for sox's files).
pub fn read_wav(path: &Path) -> Vec<f32> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut i = 12;
    while i + 8 <= b.len() {
        let id = &b[i..i + 4];
        let len = u32::from_le_bytes([b[i + 4], b[i + 5], b[i + 6], b[i + 7]]) as usize;
        if id == b"data" {
            let end = (i + 8 + len).min(b.len());
            return b[i + 8..end]
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])))
                .collect();
        }
        i += 8 + len + (len & 1);
    }
    panic!("{}: no data chunk", path.display());
}

pub fn to_16k(x: &[f32]) -> Vec<f32> {
    let mut d = Decimator::new();
    let mut out = Vec::with_capacity(x.len() / 3);
    let mut block = [0.0f32; BLOCK_16K];
    for c in x.chunks_exact(FRAME_48K) {
        d.process(c.try_into().unwrap(), &mut block);
        out.extend_from_slice(&block);
    }
    out
}

pub fn energy(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v).powi(2)).sum()
}

pub fn db(num: f64, den: f64) -> f64 {
    10.0 * (num / den.max(1e-9)).log10()
}
