//! Config error messages stay short (a bad value is quoted at most ~80 characters) and
//! `check-config` finds a link address `run` could not use.

use std::process::Command;

fn check_config(text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["check-config", "--no-device"])
        .arg(&cfg)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_huge_bad_value_is_quoted_short() {
    let huge = "y".repeat(200_000);
    let (ok, err) = check_config(&format!(
        "[wakeword]\nenabled = false\n[ama]\nlink = \"{huge}\"\n"
    ));
    assert!(!ok);
    assert!(
        err.contains("ama.link") || err.contains("link"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(err.len() < 2000, "error of {} bytes", err.len());
}

#[test]
fn check_config_finds_an_unusable_link_address() {
    let (ok, err) = check_config(
        "[wakeword]\nenabled = false\n[ama]\nlink = \"unix:/nonexistent-dir-ama/x.sock\"\n",
    );
    assert!(!ok, "{err}");
    assert!(
        err.contains("ama.link") && err.contains("/nonexistent-dir-ama"),
        "{err}"
    );
}

#[test]
fn a_wrong_type_error_says_what_is_accepted() {
    let (ok, err) =
        check_config("[wakeword]\nenabled = false\n[control]\nmax_clients = \"many\"\n");
    assert!(!ok);
    assert!(
        err.contains("control.max_clients") && err.contains("accepted: an integer"),
        "{err}"
    );
}
