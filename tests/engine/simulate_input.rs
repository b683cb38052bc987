//! `simulate` keeps all of its input (issue 10): `--gate always` is one uncapped stream as
//! long as the input; the input is streamed, so peak memory does not grow with its length;
//! SIGINT/SIGTERM finish the open stream as a valid Ogg Opus file and write report.json.
//! Inputs are generated in the test's temporary directory. Nothing here asserts a timing: the
//! memory test compares peak RSS, and the signal test waits (bounded) for the first stream's
//! bytes before signalling.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ama_engine::simulate::{simulate, GateMode, SimulateArgs};
use engine_base::messages::{EndReason, Initiator};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::support::*;

const NO_DENOISE: &str = "[denoise]\nenabled = false\n\n[wakeword]\nenabled = false\n";

/// Writes `seconds` of a tone in noise at 48 kHz, streamed (a long input is never in memory).
fn generate(path: &Path, seconds: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut noise = Noise::new(3);
    for i in 0..seconds as usize * 48_000 {
        let tone = (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0).sin();
        w.write_sample((3000.0 * tone + 1000.0 * noise.next()) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

fn report_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn gate_always_makes_a_60_s_input_one_stream_of_its_length() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("60s.wav");
    generate(&input, 60);
    let out = tmp.path().join("out");
    // The default 10 s utterance cap is in force; it does not apply to this stream.
    let args = SimulateArgs::new(config(NO_DENOISE), &input, &out).gate(GateMode::Always);
    let report = simulate(&args, None).expect("simulate");
    assert_eq!(report.max_utterance_ms, 10_000);
    assert_eq!(report.streams.len(), 1, "{:?}", report.streams);
    let st = &report.streams[0];
    assert_eq!(st.initiator, Initiator::Always);
    assert_eq!(st.end_reason, Some(EndReason::InputEnded));
    assert_eq!(st.missing_frames, 0);
    assert_eq!(st.sample_count, 60 * 16_000);
    assert_eq!(report.input_samples, 60 * 48_000);

    // Decoded, it is the input's length less the codec's lookahead (the pre-skip).
    let ogg = out.join(&st.file);
    let (_, pre_skip) = ogg_packets(&ogg);
    let lookahead = i64::from(pre_skip / 3);
    let decoded = decode_libopus(&ogg).len() as i64;
    assert!(
        (decoded - 60 * 16_000).abs() <= lookahead,
        "decoded {decoded} samples for 960000 in (lookahead {lookahead})"
    );
    let v = report_json(&out);
    assert_eq!(v["gate"], "always");
    assert_eq!(v["streams"][0]["end_reason"], "input_ended");
}

/// `ama-engine simulate --gate always` on `input` as a child process, into `out`.
fn spawn_simulate(dir: &Path, input: &Path, out: &Path, realtime: bool) -> Child {
    let cfg = dir.join("sim.toml");
    std::fs::write(&cfg, NO_DENOISE).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ama-engine"));
    cmd.args(["simulate", "--gate", "always", "--config"])
        .arg(&cfg)
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if realtime {
        cmd.arg("--realtime");
    }
    cmd.spawn().expect("spawn ama-engine simulate")
}

/// Waits for `child` at most `limit`; kills it and fails when it does not exit.
fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ama-engine simulate did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn peak_rss_kib(tmp: &Path, seconds: u32) -> u64 {
    let input = tmp.join(format!("{seconds}s.wav"));
    generate(&input, seconds);
    let out = tmp.join(format!("out-{seconds}"));
    let mut child = spawn_simulate(tmp, &input, &out, false);
    let st = wait_bounded(&mut child, Duration::from_secs(1800));
    assert!(st.success(), "simulate of {seconds} s failed: {st}");
    let v = report_json(&out);
    assert_eq!(v["streams"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["streams"][0]["sample_count"].as_u64(),
        Some(u64::from(seconds) * 16_000)
    );
    std::fs::remove_file(&input).unwrap();
    v["peak_rss_kib"]
        .as_u64()
        .expect("peak_rss_kib in report.json")
}

#[test]
fn peak_memory_does_not_grow_with_the_input_length() {
    let tmp = tempfile::tempdir().unwrap();
    let short = peak_rss_kib(tmp.path(), 2);
    // 3 minutes at 48 kHz: 17 MB of samples, which a whole-file reader would hold.
    let long = peak_rss_kib(tmp.path(), 180);
    eprintln!("peak RSS: 2 s input {short} KiB, 180 s input {long} KiB");
    let input_kib = 180 * 48_000 * 2 / 1024;
    assert!(
        long <= short + 4096,
        "peak RSS grew from {short} KiB (2 s) to {long} KiB (180 s; the input is {input_kib} KiB)"
    );
}

/// Starts a paced 30 s simulation, sends `sig` once the first stream has bytes on disk, and
/// returns the exit status and the output directory.
fn interrupted(tmp: &Path, input: &Path, sig: Signal) -> (ExitStatus, PathBuf, String) {
    let out = tmp.join(format!("out-{sig}"));
    let mut child = spawn_simulate(tmp, input, &out, true);
    let ogg = out.join("stream-001.ogg");
    let t0 = Instant::now();
    while std::fs::metadata(&ogg).map_or(0, |m| m.len()) == 0 {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("simulate exited before the first stream had bytes: {st}");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no stream bytes within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    kill(Pid::from_raw(child.id() as i32), sig).unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(60));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, out, stderr)
}

#[test]
fn sigint_and_sigterm_finish_the_open_stream_and_write_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("30s.wav");
    generate(&input, 30);
    for (sig, code) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let (status, out, stderr) = interrupted(tmp.path(), &input, sig);
        assert_eq!(status.code(), Some(code), "{sig}: {status}\n{stderr}");
        assert!(stderr.contains(&format!("stopped by {sig}")), "{stderr}");

        let v = report_json(&out);
        assert_eq!(v["signal"], sig.as_str(), "{v}");
        assert_eq!(v["exit"], "stopped");
        let streams = v["streams"].as_array().unwrap();
        assert_eq!(streams.len(), 1, "{v}");
        assert_eq!(streams[0]["end_reason"], "shutdown");
        assert_eq!(streams[0]["missing_frames"], 0);
        let samples = streams[0]["sample_count"].as_u64().unwrap();
        assert!(samples > 0 && samples < 30 * 16_000, "{samples} samples");

        // A complete Ogg Opus file: opusinfo finds nothing wrong, and opusdec and libopus
        // decode every frame.
        let ogg = out.join("stream-001.ogg");
        let info = Command::new("opusinfo")
            .arg(&ogg)
            .output()
            .expect("opusinfo (opus-tools) is installed by scripts/setup.sh");
        let text = String::from_utf8_lossy(&info.stdout).into_owned()
            + &String::from_utf8_lossy(&info.stderr);
        assert!(info.status.success(), "opusinfo failed: {text}");
        assert!(
            !text.contains("WARNING") && !text.contains("ERROR"),
            "opusinfo complains: {text}"
        );
        let (packets, pre_skip) = ogg_packets(&ogg);
        assert_eq!(packets.len() as u64 * 320, samples);
        let lookahead = i64::from(pre_skip / 3);
        let wav = out.join("opusdec.wav");
        let (dec, _) = decode_opusdec_16k(&ogg, &wav);
        let n = samples as i64;
        assert!(
            (dec.len() as i64 - n).abs() <= lookahead,
            "opusdec {} vs {n}",
            dec.len()
        );
        let lib = decode_libopus(&ogg).len() as i64;
        assert!((lib - n).abs() <= lookahead, "libopus {lib} vs {n}");
    }
}
