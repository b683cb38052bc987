//! `ama-engine check-config` and `run` on bad configuration files: each error names the file,
//! the line, the key and what is accepted, and nothing starts half-way.

use std::path::Path;
use std::process::Command;

fn check(text: &str, extra: &[&str]) -> (bool, String, String, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap().keep();
    let file = dir.join("board.toml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .arg("check-config")
        .args(extra)
        .arg(&file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        file,
    )
}

fn assert_error(text: &str, line: usize, key: &str, accepted: &str) {
    let (ok, _, err, file) = check(text, &["--no-device"]);
    assert!(!ok, "accepted:\n{text}");
    let at = format!("{}:{line}:", file.display());
    assert!(err.contains(&at), "no `{at}` in: {err}");
    assert!(err.contains(key), "no key `{key}` in: {err}");
    assert!(
        err.contains(accepted),
        "no accepted values `{accepted}` in: {err}"
    );
}

#[test]
fn wrong_type() {
    assert_error(
        "[audio]\nrate = \"fast\"\n",
        2,
        "audio.rate",
        "expected u32",
    );
}

#[test]
fn unknown_key_lists_the_known_ones() {
    assert_error(
        "[opus]\nbitrate = 32000\ncomplexty = 4\n",
        3,
        "complexty",
        "complexity",
    );
}

#[test]
fn unknown_section() {
    assert_error("[audoi]\nrate = 48000\n", 1, "audoi", "audio");
}

#[test]
fn out_of_range_rate() {
    assert_error("[audio]\nrate = 44100\n", 2, "audio.rate", "16000, 48000");
}

#[test]
fn out_of_range_bitrate_and_priority() {
    assert_error(
        "\n[opus]\nbitrate = 24000\n",
        3,
        "opus.bitrate",
        "16000, 32000",
    );
    assert_error(
        "[realtime]\npriority = 120\n",
        2,
        "realtime.priority",
        "0 to 99",
    );
}

#[test]
fn bad_enum_value() {
    assert_error(
        "[audio]\nstereo_mix = \"left\"\n",
        2,
        "audio.stereo_mix",
        "first",
    );
}

#[test]
fn missing_device() {
    let (ok, _, err, file) = check("[audio]\n\ndevice = \"no_such_pcm_anywhere\"\n", &[]);
    assert!(!ok);
    assert!(err.contains(&format!("{}:3:", file.display())), "{err}");
    assert!(err.contains("audio.device"), "{err}");
    assert!(err.contains("no_such_pcm_anywhere"), "{err}");
}

#[test]
fn good_file_prints_the_resolved_config() {
    let (ok, out, err, _) = check("[opus]\ncomplexity = 6\n", &["--no-device"]);
    assert!(ok, "{err}");
    let v: toml::Value = toml::from_str(&out).expect("printed config is TOML");
    assert_eq!(v["opus"]["complexity"].as_integer(), Some(6));
    assert_eq!(
        v["audio"]["rate"].as_integer(),
        Some(48000),
        "defaults are resolved"
    );
}

#[test]
fn board_profiles_are_valid() {
    for f in ["default", "headset", "speaker"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("config/{f}.toml"));
        ama_engine::config::Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn run_with_a_bad_config_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[audio]\nrate = 8000\n").unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["run", "--config"])
        .arg(&file)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("audio.rate"));
    assert!(!out_dir.exists(), "nothing may start on a bad config");
}
