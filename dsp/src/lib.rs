//! Pure signal processing for the AMA engine.
//!
//! **Guarantees**: this crate does no I/O, starts no threads and contains no `unsafe` code
//! ([`ogg_opus`] writes into any `std::io::Write` its caller gives it).
//! Every processor allocates in `new` and never again: the `process` methods are real-time
//! safe unless their doc says otherwise.
//!
//! Samples are `f32` in 16-bit scale (-32768.0 ..= 32767.0), the scale nnnoiseless expects.
#![forbid(unsafe_code)]

pub mod aec;
pub mod codec;
pub mod denoise;
pub mod features;
pub mod ogg_opus;
pub mod resample;
pub mod vad;
pub mod wakeword;

/// Samples per 10 ms at 48 kHz: one ALSA period and one nnnoiseless frame.
pub const FRAME_48K: usize = 480;
/// Samples per 10 ms at 16 kHz.
pub const BLOCK_16K: usize = 160;
/// Samples per 20 ms Opus frame at 16 kHz.
pub const OPUS_FRAME_16K: usize = 320;

/// Converts signed 16-bit PCM to `f32` in 16-bit scale. Real-time safe.
pub fn i16_to_f32(input: &[i16], out: &mut [f32]) {
    for (o, &i) in out.iter_mut().zip(input) {
        *o = f32::from(i);
    }
}

/// Converts `f32` in 16-bit scale to signed 16-bit PCM, saturating. Real-time safe.
pub fn f32_to_i16(input: &[f32], out: &mut [i16]) {
    for (o, &i) in out.iter_mut().zip(input) {
        // `as` saturates for floats (and maps NaN to 0): no panic path.
        *o = i.round() as i16;
    }
}
