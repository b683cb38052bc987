//! Write errors name the file (issue 11, defect 9): `simulate` writing report.json into a
//! full disk (the path is a symlink to /dev/full: ENOSPC on every write) fails naming it
//! (the recorder's stream files: its unit tests). And a closed stdout (`>&-`) is not reused
//! by the next file opened: the Rust runtime opens /dev/null on a closed fd 0, 1 or 2 before
//! `main`, so the summary cannot land in stream-001.ogg or report.json.

use std::process::Command;

use crate::support::root;

fn simulate(out: &std::path::Path, shell_redirects: &str) -> std::process::Output {
    let cfg = out.with_extension("toml");
    std::fs::write(
        &cfg,
        "[denoise]\nenabled = false\n[wakeword]\nenabled = false\n",
    )
    .unwrap();
    std::fs::create_dir_all(out).unwrap();
    Command::new("/bin/bash")
        .arg("-c")
        .arg(format!(
            "exec \"$0\" simulate --config \"$1\" --input \"$2\" --out \"$3\" --gate always {shell_redirects}"
        ))
        .arg(env!("CARGO_BIN_EXE_ama-engine"))
        .arg(&cfg)
        .arg(root().join("data/speech-16k.wav"))
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn a_full_disk_under_report_json_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink("/dev/full", out.join("report.json")).unwrap();
    let o = simulate(&out, "");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{stderr}");
    assert!(stderr.contains("report.json"), "{stderr}");
    assert!(stderr.contains("No space left"), "{stderr}");
}

#[test]
fn closed_standard_fds_are_not_reused_by_output_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = simulate(&out, "<&- >&-");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(!stderr.contains("stdout failed"), "{stderr}");
    let ogg = std::fs::read(out.join("stream-001.ogg")).unwrap();
    assert_eq!(
        &ogg[..4],
        b"OggS",
        "the stream file starts with its own header"
    );
    assert!(
        !String::from_utf8_lossy(&ogg).contains("stream(s) written"),
        "the summary went into the stream file"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap())
            .expect("report.json is JSON only");
    assert_eq!(report["streams"].as_array().map(Vec::len), Some(1));
}
