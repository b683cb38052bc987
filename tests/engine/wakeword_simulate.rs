//! End to end through the lead's pipeline (`simulate`, the library function the CLI calls)
//! with our detector from `build_detector` (own-thread placement, the default): for wake-word
//! files of the test set, each detected utterance gives a stream whose decoded Opus, aligned
//! with the input, holds the wake word between start_index and end_index and the 500 ms of
//! pre-roll before it (checked by correlation against the clean input and by energy).

use std::path::PathBuf;

use ama_engine::config::{Config, WakeWordConfig};
use ama_engine::simulate::{simulate, GateMode, SimulateArgs};
use rt_core::wakeword::build_detector;
use test_support::wakeword as wakeword_support;

use crate::support;

struct Case {
    noisy: PathBuf,
    clean: PathBuf,
    wake_start: u64,
    wake_end: u64,
}

fn cases() -> Vec<Case> {
    let dir = wakeword_support::installed("data/wakeword");
    let text = std::fs::read_to_string(dir.join("labels.tsv")).expect("labels.tsv");
    // Two voices, clean and at 20 dB SNR (the decoded stream is compared with the clean take).
    text.lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let keep = c.first().is_some_and(|n| {
                (n.starts_with("pos-en-gb-x-rp_m3-s165-p40") || n.starts_with("pos-en-us-s190-p70"))
                    && (n.ends_with("clean.wav") || n.ends_with("snr20.wav"))
            });
            keep.then(|| {
                let base = c[0].rsplit_once('-').map_or(c[0], |(b, _)| b);
                Case {
                    noisy: dir.join(c[0]),
                    clean: dir.join(format!("{base}-clean.wav")),
                    wake_start: c[2].parse().expect("start"),
                    wake_end: c[3].parse().expect("end"),
                }
            })
        })
        .collect()
}

/// The lag of `stream` behind `input` (either sign, within `max`) that maximises the
/// normalised correlation, and that correlation.
fn align(stream: &[f32], input: &[f32], max: usize) -> (i64, f64) {
    let (fwd, cf) = support::best_lag(stream, input, max);
    let (back, cb) = support::best_lag(input, stream, max);
    if cb > cf {
        (back as i64, cb)
    } else {
        (-(fwd as i64), cf)
    }
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

#[test]
fn streams_carry_the_wake_word_between_the_indices() {
    let cases = cases();
    assert_eq!(cases.len(), 4, "test set files missing");
    let config = Config {
        wakeword: WakeWordConfig {
            model: wakeword_support::installed("models/alexa.json"),
            runtime: wakeword_support::installed("models/libtensorflowlite_c.so"),
            ..WakeWordConfig::default()
        },
        ..Config::default()
    };
    let preroll = u64::from(config.gate.preroll_ms) * 16;
    for case in &cases {
        let out = tempfile::tempdir().expect("tempdir");
        let args = SimulateArgs::new(config.clone(), &case.noisy, out.path()).gate(GateMode::Auto);
        let detector = build_detector(&config.wakeword.options()).expect("detector");
        let report = simulate(&args, Some(detector)).expect("simulate");
        let name = case
            .noisy
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?");
        assert_eq!(report.streams.len(), 1, "{name}: one utterance, one stream");
        let st = &report.streams[0];
        let wake = st.wake_word.expect("a wake-word stream");
        let (si, ei) = (
            u64::from(wake.start_index_in_samples),
            u64::from(wake.end_index_in_samples),
        );
        assert_eq!(si, preroll, "{name}: start index is the pre-roll");

        // Decode and align the stream with the clean input.
        let decoded = support::decode_libopus(&out.path().join(&st.file));
        let clean: Vec<f32> = wakeword_support::read_wav(&case.clean)
            .iter()
            .map(|&s| f32::from(s))
            .collect();
        let s0 = st.first_input_sample as usize;
        let seg_end = (ei as usize + 8000).min(decoded.len());
        let (lag, corr) = align(&decoded[..seg_end], &clean[s0..], 1600);
        // Where the truth lies in stream coordinates (the stream lags the input by `lag`
        // samples of processing delay).
        let ws = case.wake_start as i64 - s0 as i64 + lag;
        let we = case.wake_end as i64 - s0 as i64 + lag;
        let word = &decoded[si as usize..(ei as usize).min(decoded.len())];
        let before = &decoded[..si as usize];
        let clean_word = &clean[case.wake_start as usize..case.wake_end as usize];
        println!(
            "{name}: stream from input {:.3} s, indices {si}..{ei}; wake word truth in stream \
             {ws}..{we} (lag {lag} samples, corr {corr:.2}); rms word {:.0} vs pre-roll {:.0} \
             (clean word {:.0})",
            st.start_seconds,
            rms(word),
            rms(before),
            rms(clean_word)
        );
        assert!(
            corr > 0.6,
            "{name}: the stream does not match the input (corr {corr:.2})"
        );
        // The wake word lies between the indices (start errs early by design; the end
        // estimate is within ~130 ms on the test set).
        assert!(
            ws >= si as i64 - 1600,
            "{name}: word starts {ws}, before index {si}"
        );
        assert!(
            we <= ei as i64 + 2400,
            "{name}: word ends {we}, after index {ei}"
        );
        assert!(
            we > si as i64 && ws < ei as i64,
            "{name}: indices miss the word"
        );
        // The word is loud between the indices and the 500 ms before them are there.
        assert_eq!(before.len() as u64, preroll);
        assert!(
            rms(word) > 0.3 * rms(clean_word),
            "{name}: the indices hold no speech"
        );
    }
}
