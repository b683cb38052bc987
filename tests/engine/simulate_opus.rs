//! `simulate` end to end with real libopus, opusdec and ffmpeg decoding what was encoded.

use ama_engine::simulate::{simulate, GateMode, SimulateArgs};

use crate::support::*;

fn run(
    cfg_text: &str,
    input: &std::path::Path,
    dir: &std::path::Path,
) -> ama_engine::report::Report {
    let args = SimulateArgs::new(config(cfg_text), input, dir).gate(GateMode::Always);
    simulate(&args, None).expect("simulate")
}

#[test]
fn always_stream_decodes_everywhere_with_the_input_duration() {
    let tmp = tempfile::tempdir().unwrap();
    let input = data("speech-48k.wav");
    let (clean, rate) = read_wav(&input);
    assert_eq!(rate, 48_000);
    let report = run("[denoise]\nenabled = false\n", &input, tmp.path());
    assert_eq!(report.streams.len(), 1);
    let st = &report.streams[0];
    assert_eq!(st.first_input_sample, 0);
    assert_eq!(st.missing_frames, 0);
    assert_eq!(report.timing.dropped, 0);
    let ogg = tmp.path().join(&st.file);
    let input_secs = clean.len() as f64 / 48_000.0;
    let frame = 0.020;

    // Every packet is exactly 80 bytes (32 kbps CBR, 20 ms).
    let (packets, _) = ogg_packets(&ogg);
    assert_eq!(packets.len() as u32, st.frames);
    assert!(
        packets.iter().all(|p| p.len() == 80),
        "not all packets are 80 bytes"
    );

    // opusinfo validates the container (RFC 7845 headers, granule positions, page flags).
    let info = std::process::Command::new("opusinfo")
        .arg(&ogg)
        .output()
        .expect("opusinfo (opus-tools) is installed by scripts/setup.sh");
    let text =
        String::from_utf8_lossy(&info.stdout).into_owned() + &String::from_utf8_lossy(&info.stderr);
    assert!(info.status.success(), "opusinfo failed: {text}");
    assert!(
        !text.contains("WARNING") && !text.contains("ERROR"),
        "opusinfo complains: {text}"
    );
    assert!(
        text.contains("hard-CBR"),
        "opusinfo does not see hard CBR: {text}"
    );

    // libopus.
    let pcm = decode_libopus(&ogg);
    let secs = pcm.len() as f64 / 16_000.0;
    assert!(
        (secs - input_secs).abs() <= frame,
        "libopus {secs} s vs input {input_secs} s"
    );

    // opusdec (RFC 7845 conformance of the container, granule positions, pre-skip).
    let wav = tmp.path().join("opusdec.wav");
    let (dec, dec_rate) = decode_opusdec_16k(&ogg, &wav);
    assert_eq!(dec_rate, 16_000);
    let secs = dec.len() as f64 / 16_000.0;
    assert!(
        (secs - input_secs).abs() <= frame,
        "opusdec {secs} s vs input {input_secs} s"
    );

    // ffmpeg.
    let wav2 = tmp.path().join("ffmpeg.wav");
    let (ff, ff_rate) = decode_with(
        "ffmpeg",
        &[
            "-loglevel",
            "error",
            "-y",
            "-i",
            ogg.to_str().unwrap(),
            "-ar",
            "16000",
            "-ac",
            "1",
            wav2.to_str().unwrap(),
        ],
        &wav2,
    );
    assert_eq!(ff_rate, 16_000);
    let secs = ff.len() as f64 / 16_000.0;
    assert!(
        (secs - input_secs).abs() <= frame,
        "ffmpeg {secs} s vs input {input_secs} s"
    );

    // With denoise off, the decoded audio is the input, delayed and band-limited.
    let x: Vec<f32> = to_16k(&clean.iter().map(|s| f32::from(*s)).collect::<Vec<_>>());
    let (lag, corr) = best_lag(&x, &pcm, 400);
    assert!(corr > 0.85, "correlation {corr:.3} at lag {lag}");
    let d: Vec<f32> = dec.iter().map(|s| f32::from(*s)).collect();
    let (_, corr2) = best_lag(&x, &d, 400);
    assert!(corr2 > 0.85, "opusdec output correlation {corr2:.3}");
}

#[test]
fn sixteen_kbps_packets_are_40_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let report = run(
        "[opus]\nbitrate = 16000\n",
        &data("speech-48k.wav"),
        tmp.path(),
    );
    let (packets, _) = ogg_packets(&tmp.path().join(&report.streams[0].file));
    assert!(!packets.is_empty());
    assert!(packets.iter().all(|p| p.len() == 40));
}

#[test]
fn sixteen_khz_input_takes_the_interpolated_path() {
    let tmp = tempfile::tempdir().unwrap();
    let input = data("speech-16k.wav");
    let (clean, rate) = read_wav(&input);
    assert_eq!(rate, 16_000);
    let report = run("[denoise]\nenabled = false\n", &input, tmp.path());
    assert_eq!(report.input_rate, 16_000);
    let pcm = decode_libopus(&tmp.path().join(&report.streams[0].file));
    let secs = pcm.len() as f64 / 16_000.0;
    let input_secs = clean.len() as f64 / 16_000.0;
    assert!((secs - input_secs).abs() <= 0.02, "{secs} vs {input_secs}");
    let x: Vec<f32> = clean.iter().map(|s| f32::from(*s)).collect();
    let (_, corr) = best_lag(&x, &pcm, 400);
    assert!(corr > 0.85, "correlation {corr:.3}");
}

#[test]
fn report_json_has_streams_timings_and_counters() {
    let tmp = tempfile::tempdir().unwrap();
    run("", &data("speech-48k.wav"), tmp.path());
    let text = std::fs::read_to_string(tmp.path().join("report.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["streams"][0]["file"], "stream-001.ogg");
    assert_eq!(v["streams"][0]["first_input_sample"], 0);
    assert!(v["streams"][0]["sample_count"].as_u64().unwrap() > 50_000);
    let stages: Vec<&str> = v["timing"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["convert", "aec", "denoise", "resample", "detect", "gate", "encode", "period"]
    );
    assert!(v["timing"]["periods"].as_u64().unwrap() > 300);
    for key in ["overruns", "xruns", "dropped", "alloc_violations"] {
        assert!(v["timing"][key].is_u64(), "{key}");
    }
    assert!(v["latency"]["algorithmic_us"].as_f64().unwrap() > 20_000.0);
}
