//! Our detector (dsp front end + TFLite via FFI + sliding-window cutoff) scored against the
//! reference, pymicro-wakeword itself, on the project's wake-word test set
//! (scripts/gen-test-audio.d/wakeword.sh): every utterance the reference finds must be found,
//! no more false wakes than the reference, per-step probabilities within 0.02. Prints recall,
//! false wakes per hour of negative speech, detection delay and the start/end estimates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dsp::wakeword::{Detection, WakeWordDetector};
use dsp::BLOCK_16K;
use rt_core::wakeword::{build_detector, MicroWakeWord};
use rt_core::wakeword::{WakeWordOptions, WakeWordPlacement};
use test_support::wakeword::*;

const MAX_PROB_DIFF: f32 = 0.02;

struct Label {
    path: PathBuf,
    positive: bool,
    wake_start: u64,
    wake_end: u64,
    len: u64,
}

fn labels() -> Vec<Label> {
    let dir = installed("data/wakeword");
    let text = std::fs::read_to_string(dir.join("labels.tsv")).expect("labels.tsv");
    text.lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 5, "bad label line {l:?}");
            Label {
                path: dir.join(c[0]),
                positive: c[1] == "pos",
                wake_start: c[2].parse().unwrap_or(0),
                wake_end: c[3].parse().unwrap_or(0),
                len: c[4].parse().expect("length"),
            }
        })
        .collect()
}

fn config() -> WakeWordOptions {
    WakeWordOptions {
        model: installed("models/alexa.json"),
        runtime: installed("models/libtensorflowlite_c.so"),
        placement: WakeWordPlacement::Realtime,
        ..WakeWordOptions::default()
    }
}

#[derive(Default)]
struct Reference {
    probs: Vec<(u64, f32)>,
    first_detection_block: Option<u64>,
}

fn reference(files: &[&Path]) -> BTreeMap<String, Reference> {
    let model = installed("models/alexa.json");
    let mut args = vec![model.as_path()];
    args.extend_from_slice(files);
    let text = run_reference("detect_ref.py", &args);
    let mut out: BTreeMap<String, Reference> = BTreeMap::new();
    for line in text.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        assert_eq!(c.len(), 4, "bad reference line {line:?}");
        let r = out.entry(c[1].to_owned()).or_default();
        let block: u64 = c[2].parse().expect("block");
        match c[0] {
            "P" => r.probs.push((block, c[3].parse().expect("probability"))),
            "D" => r.first_detection_block = Some(block),
            other => panic!("bad reference record {other}"),
        }
    }
    out
}

fn blocks(samples: &[i16]) -> impl Iterator<Item = (u64, [f32; BLOCK_16K])> + '_ {
    samples.chunks_exact(BLOCK_16K).enumerate().map(|(i, c)| {
        let mut b = [0f32; BLOCK_16K];
        dsp::i16_to_f32(c, &mut b);
        ((i * BLOCK_16K) as u64, b)
    })
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn detector_matches_pymicro_wakeword_on_the_test_set() {
    let labels = labels();
    let files: Vec<&Path> = labels.iter().map(|l| l.path.as_path()).collect();
    let reference = reference(&files);
    let mut det = MicroWakeWord::from_options(&config()).expect("build detector");

    let (mut steps, mut max_diff) = (0usize, 0f32);
    let mut by_cond: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new(); // files, ref, ours
    let (mut neg_seconds, mut ours_false, mut ref_false) = (0f64, 0u32, 0u32);
    let (mut delays, mut end_err, mut start_err) = (Vec::new(), Vec::new(), Vec::new());
    let mut missed = Vec::new();

    for label in &labels {
        let key = label.path.to_str().expect("utf-8 path");
        let r = reference
            .get(key)
            .unwrap_or_else(|| panic!("no reference output for {key}"));
        det.reset_full();
        let samples = read_wav(&label.path);
        let mut probs = Vec::new();
        let mut found: Vec<(u64, Detection)> = Vec::new();
        for (first, block) in blocks(&samples) {
            let res = det.process_block(first, &block);
            if let Some(p) = res.probability {
                probs.push((first / BLOCK_16K as u64, p));
            }
            if let Some(d) = res.detection {
                found.push((first / BLOCK_16K as u64, d));
            }
        }
        // Per-step probabilities, aligned by block index.
        assert_eq!(probs.len(), r.probs.len(), "{key}: number of model steps");
        for (&(b, p), &(rb, rp)) in probs.iter().zip(&r.probs) {
            assert_eq!(b, rb, "{key}: step alignment");
            let d = (p - rp).abs();
            assert!(
                d <= MAX_PROB_DIFF,
                "{key} block {b}: ours {p} vs reference {rp}"
            );
            max_diff = max_diff.max(d);
            steps += 1;
        }
        // The first detection happens on the same block as the reference's.
        assert_eq!(
            found.first().map(|f| f.0),
            r.first_detection_block,
            "{key}: first detection block (ours vs reference)"
        );
        let cond = key
            .rsplit('-')
            .next()
            .unwrap_or("")
            .trim_end_matches(".wav")
            .to_owned();
        if label.positive {
            assert!(
                found.len() <= 1,
                "{key}: {} detections of one wake word",
                found.len()
            );
            let e = by_cond.entry(cond).or_default();
            e.0 += 1;
            e.1 += u32::from(r.first_detection_block.is_some());
            e.2 += u32::from(!found.is_empty());
            if let Some(&(b, d)) = found.first() {
                let detected_at = (b + 1) * BLOCK_16K as u64;
                delays.push((detected_at as f64 - label.wake_end as f64) / 16.0);
                end_err.push((d.end_sample as f64 - label.wake_end as f64) / 16.0);
                let se = (d.start_sample as f64 - label.wake_start as f64) / 16.0;
                if !(-250.0..=0.0).contains(&se) {
                    println!("  start estimate off by {se:.0} ms: {key}");
                }
                start_err.push(se);
                assert!(
                    d.start_sample < d.end_sample && d.end_sample <= detected_at,
                    "{key}: {d:?}"
                );
            } else if r.first_detection_block.is_none() {
                missed.push(key.rsplit('/').next().unwrap_or(key).to_owned());
            }
        } else {
            neg_seconds += label.len as f64 / 16000.0;
            ours_false += found.len() as u32;
            ref_false += u32::from(r.first_detection_block.is_some());
        }
    }
    assert_eq!(det.invoke_errors(), 0);
    assert_eq!(det.reset_errors(), 0);
    assert!(
        ours_false <= ref_false,
        "false wakes: ours {ours_false}, reference {ref_false}"
    );

    println!(
        "wake word vs pymicro-wakeword: {} files, {steps} model steps, max |dp| = {max_diff:.4}",
        labels.len()
    );
    let (mut tf, mut tr, mut to) = (0, 0, 0);
    for (cond, (n, rf, of)) in &by_cond {
        println!(
            "  recall {cond:>5}: ours {of}/{n} ({:.0} %), reference {rf}/{n} ({:.0} %)",
            100.0 * f64::from(*of) / f64::from(*n),
            100.0 * f64::from(*rf) / f64::from(*n)
        );
        (tf, tr, to) = (tf + n, tr + rf, to + of);
    }
    println!(
        "  recall   all: ours {to}/{tf} ({:.0} %), reference {tr}/{tf}",
        100.0 * f64::from(to) / f64::from(tf)
    );
    println!(
        "  false wakes: ours {ours_false}, reference {ref_false} in {:.0} s of negative speech \
         ({:.1} per hour)",
        neg_seconds,
        f64::from(ours_false) * 3600.0 / neg_seconds
    );
    let n = delays.len();
    println!(
        "  detection delay (wake-word end -> detecting block end), ms: median {:.0}, p90 {:.0}, max {:.0} (n = {n})",
        percentile(&mut delays, 0.5),
        percentile(&mut delays, 0.9),
        percentile(&mut delays, 1.0)
    );
    println!(
        "  end estimate error, ms: median {:.0}, min {:.0}, max {:.0}",
        percentile(&mut end_err, 0.5),
        percentile(&mut end_err, 0.0),
        percentile(&mut end_err, 1.0)
    );
    println!(
        "  start estimate error, ms: median {:.0}, min {:.0}, max {:.0}",
        percentile(&mut start_err, 0.5),
        percentile(&mut start_err, 0.0),
        percentile(&mut start_err, 1.0)
    );
    println!("  missed by both: {}", missed.len());
    // The indices must bracket the word for cloud verification: the start may err early
    // (the pre-roll covers it) but must not cut the word; the end within 200 ms.
    assert!(
        percentile(&mut start_err, 1.0) <= 50.0,
        "a start estimate cuts the word"
    );
    assert!(
        percentile(&mut start_err, 0.0) >= -500.0,
        "a start estimate is far too early"
    );
    assert!(percentile(&mut end_err, 0.0) >= -200.0 && percentile(&mut end_err, 1.0) <= 200.0);
    assert!(to >= tr, "recall below the reference");
}

/// The same detector behind `build_detector` with its own thread finds the same wake words
/// at the same sample indices as the direct one.
#[test]
fn threaded_detector_reports_what_the_direct_one_does() {
    let labels = labels();
    let picked: Vec<&Label> = labels.iter().filter(|l| l.positive).step_by(5).collect();
    let mut direct = MicroWakeWord::from_options(&config()).expect("direct detector");
    let mut threaded = build_detector(&WakeWordOptions {
        placement: WakeWordPlacement::OwnThread,
        ..config()
    })
    .expect("threaded detector");
    assert!(threaded.max_lag_samples() > direct.max_lag_samples());
    // One long stream: the files back to back, absolute indices running on.
    let mut offset = 0u64;
    let (mut want, mut got) = (Vec::new(), Vec::new());
    for l in &picked {
        let samples = read_wav(&l.path);
        for (first, block) in blocks(&samples) {
            if let Some(d) = direct.process(offset + first, &block) {
                want.push(d);
            }
            if let Some(d) = threaded.process(offset + first, &block) {
                got.push(d);
            }
            // Pace the feed a little so the 640 ms ring never overflows on a loaded machine.
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        offset += samples.len() as u64 - samples.len() as u64 % BLOCK_16K as u64;
    }
    // Let the worker finish, pushing silence so late detections can come back.
    let silence = [0f32; BLOCK_16K];
    for i in 0..400u64 {
        if let Some(d) = threaded.process(offset + i * BLOCK_16K as u64, &silence) {
            got.push(d);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(
        !want.is_empty(),
        "the picked files contain detectable wake words"
    );
    assert_eq!(got, want);
}
