//! The 48 -> 16 kHz decimator meets its response spec on sine sweeps: passband to 7 kHz with
//! at most 0.1 dB ripple; at least 60 dB rejection of every tone from 8 kHz up (its aliases
//! land in the 16 kHz band).

use dsp::resample::Decimator;
use dsp::{BLOCK_16K, FRAME_48K};

/// Output/input RMS ratio in dB for a sine at `hz`, measured after the filter settles.
fn gain_db(hz: f64) -> f64 {
    let mut d = Decimator::new();
    let amp = 10_000.0;
    let mut input = [0.0f32; FRAME_48K];
    let mut out = [0.0f32; BLOCK_16K];
    let (mut e_out, mut n_out) = (0.0f64, 0usize);
    for block in 0..60 {
        for (i, s) in input.iter_mut().enumerate() {
            let t = (block * FRAME_48K + i) as f64 / 48_000.0;
            *s = (amp * (2.0 * std::f64::consts::PI * hz * t).sin()) as f32;
        }
        d.process(&input, &mut out);
        if block >= 10 {
            e_out += out.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>();
            n_out += BLOCK_16K;
        }
    }
    let rms_out = (e_out / n_out as f64).sqrt();
    let rms_in = amp / 2f64.sqrt();
    20.0 * (rms_out / rms_in).log10()
}

#[test]
fn passband_ripple_is_within_a_tenth_of_a_db() {
    let gains: Vec<f64> = (1..=70).map(|k| gain_db(k as f64 * 100.0)).collect();
    let hi = gains.iter().cloned().fold(f64::MIN, f64::max);
    let lo = gains.iter().cloned().fold(f64::MAX, f64::min);
    println!("passband 100-7000 Hz: {lo:.4} .. {hi:.4} dB");
    assert!(hi - lo <= 0.1, "ripple {:.4} dB", hi - lo);
    assert!(
        hi.abs() < 0.1 && lo.abs() < 0.1,
        "gain off unity: {lo:.4}..{hi:.4}"
    );
}

#[test]
fn every_tone_from_8_khz_up_is_60_db_down() {
    let mut worst = f64::MIN;
    for k in 0..=159 {
        let hz = 8_000.0 + k as f64 * 100.0 + 37.0; // off the bin grid
        let g = gain_db(hz.min(23_990.0));
        worst = worst.max(g);
        assert!(g <= -60.0, "{hz} Hz only {g:.1} dB down");
    }
    println!("stopband 8-24 kHz: worst {worst:.1} dB");
}
