//! The vendored libopus (vendor/opusic-sys, see its README-FORK.md) runs SILK's AVX2
//! delayed-decision quantizer for 2 states too (upstream: 3 or 4 only). This test encodes the
//! same speech-like signal with the AVX2 version kept off (the C version, upstream's choice
//! for these complexities) and with it taking every state count, at every complexity, and
//! requires every packet to be byte-identical: the fork changes the cost, never the stream.
//!
//! The setting is process-wide, so this file holds a single test.

use dsp::codec::{OpusBitrate, OpusEncoder, MAX_PACKET};
use dsp::OPUS_FRAME_16K;

/// 6 s at 16 kHz: voiced segments (harmonics of a gliding pitch, a syllable envelope), an
/// unvoiced noise burst, digital silence, and background noise throughout.
fn speech_like() -> Vec<f32> {
    let n = 16_000 * 6;
    let mut seed: u32 = 0x2468_ace1;
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / 16_000.0;
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f64 / (1u32 << 24) as f64 * 2.0 - 1.0;
            if (4.0..4.4).contains(&t) {
                return 0.0;
            }
            let f0 = 100.0 + 140.0 * (0.5 + 0.5 * (t * 0.7).sin());
            phase += 2.0 * std::f64::consts::PI * f0 / 16_000.0;
            let syllable = (std::f64::consts::PI * t / 0.25).sin().abs();
            let voiced = if (3.0..=4.6).contains(&t) {
                0.0
            } else {
                syllable
            };
            let voice: f64 = (1..=20).map(|h| (h as f64 * phase).sin() / h as f64).sum();
            let burst = if (3.2..3.6).contains(&t) {
                4000.0
            } else {
                300.0
            };
            (5000.0 * voiced * voice + burst * noise) as f32
        })
        .collect()
}

fn encode_all(input: &[f32], complexity: i32) -> Vec<Vec<u8>> {
    let mut enc = OpusEncoder::new(OpusBitrate::Kbps32, complexity).unwrap();
    let mut frame = [0.0f32; OPUS_FRAME_16K];
    let mut out = [0u8; MAX_PACKET];
    input
        .chunks_exact(OPUS_FRAME_16K)
        .map(|chunk| {
            frame.copy_from_slice(chunk);
            let n = enc.encode(&frame, &mut out).unwrap();
            out[..n].to_vec()
        })
        .collect()
}

/// Sets the fork's threshold, returning the previous one.
fn set_min_states(n: i32) -> i32 {
    // SAFETY: a plain store of an int in the vendored libopus; no encoder runs concurrently
    // (this file's single test is the only code in its process that encodes).
    unsafe { opusic_sys::opus_fork_set_nsq_del_dec_avx2_min_states(n) }
}

#[test]
fn avx2_quantizer_for_every_state_count_gives_the_c_versions_packets() {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if !std::arch::is_x86_feature_detected!("avx2") {
        eprintln!("no AVX2 on this CPU: both runs use libopus's C quantizer");
    }
    let input = speech_like();
    assert_eq!(
        set_min_states(5),
        2,
        "the fork's default threshold is 2 states"
    );
    let c_only: Vec<_> = (0..=10).map(|c| encode_all(&input, c)).collect();
    set_min_states(1);
    let avx2_all: Vec<_> = (0..=10).map(|c| encode_all(&input, c)).collect();
    set_min_states(2);
    for (complexity, (c, a)) in c_only.iter().zip(&avx2_all).enumerate() {
        assert_eq!(c.len(), input.len() / OPUS_FRAME_16K);
        for (i, (pc, pa)) in c.iter().zip(a).enumerate() {
            assert_eq!(pc, pa, "complexity {complexity}: packet {i} differs");
        }
    }
    // The signal reaches SILK's quantizer: the packets are not all alike.
    let distinct: std::collections::HashSet<_> = c_only[4].iter().collect();
    assert!(distinct.len() > c_only[4].len() / 2);
}
