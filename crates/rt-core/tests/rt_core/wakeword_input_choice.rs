//! Which 16 kHz signal should feed the wake-word detector: before noise suppression (`raw`) or
//! after it (`denoised`)? DESIGN.md leaves the default to a measurement on the project's
//! wake-word test set; this is it. Each file goes through the pipeline's own stages
//! (16 -> 48 kHz interpolation, nnnoiseless, 48 -> 16 kHz decimation) and the detector, once
//! per input choice; recall per condition and false wakes are printed, and the configured
//! default must do at least as well as the alternative.
//!
//! It processes the whole set twice through nnnoiseless, so it is slow in a debug build and
//! ignored there: run `cargo test --release -p rt-core --test rt_core -- wakeword_input_choice
//! --nocapture` (the numbers are in ARCHITECTURE.md).

use std::collections::BTreeMap;

use dsp::denoise::Denoiser;
use dsp::resample::{Decimator, Interpolator};
use dsp::wakeword::WakeWordDetector;
use dsp::{BLOCK_16K, FRAME_48K};
use rt_core::options::{PipelineOptions, WakeWordInput};
use rt_core::wakeword::MicroWakeWord;
use rt_core::wakeword::{WakeWordOptions, WakeWordPlacement};
use test_support::wakeword::*;

/// Detections in one file for each input choice: (raw, denoised).
fn detections(det: &mut MicroWakeWord, samples: &[i16]) -> (u32, u32) {
    let mut interp = Interpolator::new();
    let mut denoiser = Denoiser::new(true);
    let (mut dec_raw, mut dec_den) = (Decimator::new(), Decimator::new());
    let (mut x16, mut x48, mut d48) = ([0f32; BLOCK_16K], [0f32; FRAME_48K], [0f32; FRAME_48K]);
    let (mut raw16, mut den16) = ([0f32; BLOCK_16K], [0f32; BLOCK_16K]);
    let mut raw_blocks = Vec::new();
    let mut den_blocks = Vec::new();
    for c in samples.chunks_exact(BLOCK_16K) {
        dsp::i16_to_f32(c, &mut x16);
        interp.process(&x16, &mut x48);
        denoiser.process(&x48, &mut d48);
        dec_raw.process(&x48, &mut raw16);
        dec_den.process(&d48, &mut den16);
        raw_blocks.push(raw16);
        den_blocks.push(den16);
    }
    let mut count = |blocks: &[[f32; BLOCK_16K]]| {
        det.reset_full();
        blocks
            .iter()
            .enumerate()
            .filter(|(i, b)| det.process((i * BLOCK_16K) as u64, b).is_some())
            .count() as u32
    };
    (count(&raw_blocks), count(&den_blocks))
}

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug: run with --release")]
fn default_detector_input_is_the_better_one() {
    let dir = installed("data/wakeword");
    let labels = std::fs::read_to_string(dir.join("labels.tsv")).expect("labels.tsv");
    let mut det = MicroWakeWord::from_options(&WakeWordOptions {
        model: installed("models/alexa.json"),
        runtime: installed("models/libtensorflowlite_c.so"),
        placement: WakeWordPlacement::Realtime,
        ..WakeWordOptions::default()
    })
    .expect("detector");
    // condition -> (files, raw hits, denoised hits); negatives count false wakes.
    let mut pos: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    let (mut false_raw, mut false_den, mut neg_s) = (0u32, 0u32, 0f64);
    for line in labels.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let samples = read_wav(&dir.join(c[0]));
        let (r, d) = detections(&mut det, &samples);
        if c[1] == "pos" {
            let cond = c[0]
                .rsplit('-')
                .next()
                .unwrap_or("")
                .trim_end_matches(".wav");
            let e = pos.entry(cond.to_owned()).or_default();
            e.0 += 1;
            e.1 += u32::from(r > 0);
            e.2 += u32::from(d > 0);
        } else {
            false_raw += r;
            false_den += d;
            neg_s += samples.len() as f64 / 16000.0;
        }
    }
    let (mut n, mut hr, mut hd) = (0, 0, 0);
    for (cond, (f, r, d)) in &pos {
        println!("recall {cond:>5}: raw {r}/{f}, denoised {d}/{f}");
        (n, hr, hd) = (n + f, hr + r, hd + d);
    }
    println!("recall   all: raw {hr}/{n}, denoised {hd}/{n}");
    println!(
        "false wakes in {neg_s:.0} s of negative speech: raw {false_raw}, denoised {false_den}"
    );
    let default = PipelineOptions::default().wakeword_input;
    let (best, other, fw_best, fw_other) = match default {
        WakeWordInput::Raw => (hr, hd, false_raw, false_den),
        WakeWordInput::Denoised => (hd, hr, false_den, false_raw),
    };
    println!("configured default: {default:?}");
    assert!(
        best >= other && fw_best <= fw_other,
        "the default input {default:?} does worse than the alternative"
    );
}
