//! `ama-engine run` end to end: real ALSA capture (alsa-lib's file plugin, scripts/alsa) of the
//! generated demo clip ("Alexa, what time is it?"), the real pipeline and wake-word detector,
//! the AMA sender on a TCP port, and the phone tool on the other side. Needs what
//! scripts/setup.sh (wake-word model) and scripts/gen-test-audio.sh (the clip) install.

use std::process::Command;
use std::time::Duration;

use ama_phone as phone;
use ama_phone::{Ending, PhoneOptions};

use crate::support::{free_port, root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_streams_the_wake_word_utterance_to_the_phone() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = std::fs::read_to_string(root().join("config/default.toml")).unwrap();
    let (head, _) = base
        .split_once("[ama]")
        .expect("default.toml has an [ama] section");
    // Its relative paths are taken from config/; this file lives elsewhere.
    let head = head.replace("\"../", &format!("\"{}/", root().display()));
    let cfg = format!(
        "{head}[ama]\nlink = \"tcp://127.0.0.1:{port}\"\nstate_dir = \"{}\"\n",
        dir.path().join("state").display()
    );
    let cfg_path = dir.path().join("run.toml");
    std::fs::write(&cfg_path, cfg).unwrap();

    let engine = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .current_dir(root())
        .env("ALSA_CONFIG_PATH", crate::support::alsa_config_path())
        .args(["run", "--config"])
        .arg(&cfg_path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    let mut o = PhoneOptions::new(&format!("tcp://127.0.0.1:{port}"));
    o.quiet = true;
    o.endpoint_after = None; // the capture ends the utterance: every frame must arrive
    o.utterances = Some(1);
    o.max_time = Some(Duration::from_secs(40));
    o.connect_wait = Duration::from_secs(20);
    o.out_dir = Some(dir.path().join("phone"));
    let report = phone::run(o).await.unwrap();
    let out = tokio::task::spawn_blocking(move || engine.wait_with_output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(report.utterances.len(), 1, "{stdout}");
    let u = &report.utterances[0];
    assert_eq!(u.initiator, 4, "WAKEWORD");
    let (start, end) = u.wake.unwrap();
    assert_eq!(start, 8000, "500 ms pre-roll at 16 kHz");
    assert!(end > start + 1600, "wake word end {end}");
    assert_eq!(u.ending, Ending::AccessoryEndpoint);
    assert_eq!(u.stray_bytes, 0);

    // Every frame the real-time thread encoded reached the phone (its table counts them).
    let frames: usize = stdout
        .split_whitespace()
        .skip_while(|w| *w != "frames")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no frame count in {stdout}"));
    assert_eq!(u.packets.len(), frames, "{stdout}");

    // The audio decodes (opusdec) to the frames' duration and holds the request after the
    // wake word: speech energy well above the silence.
    let ogg = u.file.clone().unwrap();
    let wav = ogg.with_extension("wav");
    let st = Command::new("opusdec")
        .args(["--quiet", "--rate", "16000"])
        .arg(&ogg)
        .arg(&wav)
        .status()
        .unwrap();
    assert!(st.success());
    let mut r = hound::WavReader::open(&wav).unwrap();
    let pcm: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
    let secs = pcm.len() as f64 / 16_000.0;
    assert!(
        (secs - u.seconds()).abs() <= 0.021,
        "decoded {secs} s, sent {} s",
        u.seconds()
    );
    let after = &pcm[(end as usize).min(pcm.len())..];
    let rms = |s: &[i16]| {
        (s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
    };
    assert!(
        after.len() > 16_000,
        "at least a second after the wake word"
    );
    assert!(
        rms(after) > 300.0,
        "the request is there (rms {})",
        rms(after)
    );
}
