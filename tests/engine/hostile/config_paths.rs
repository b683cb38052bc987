//! `[wakeword] enabled = true` with a missing or broken model or runtime is a config error at
//! load (key and path named; `check-config` fails), and relative paths are taken from the
//! config file's directory, not the working directory.

use std::process::Command;

use crate::support::root;

fn check_config(cfg: &std::path::Path, cwd: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["check-config", "--no-device"])
        .arg(cfg)
        .current_dir(cwd)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_or_broken_wake_word_model_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    let runtime = root().join("models/libtensorflowlite_c.so");
    std::fs::write(
        &cfg,
        format!(
            "[wakeword]\nenabled = true\nmodel = \"/nonexistent/alexa.json\"\nruntime = \"{}\"\n",
            runtime.display()
        ),
    )
    .unwrap();
    let (ok, _, err) = check_config(&cfg, &root());
    assert!(!ok, "{err}");
    assert!(
        err.contains("wakeword.model") && err.contains("/nonexistent/alexa.json"),
        "{err}"
    );

    // A broken runtime (not a shared object).
    let fake = dir.path().join("libfake.so");
    std::fs::write(&fake, "not an ELF").unwrap();
    std::fs::write(
        &cfg,
        format!(
            "[wakeword]\nenabled = true\nmodel = \"{}\"\nruntime = \"{}\"\n",
            root().join("models/alexa.json").display(),
            fake.display()
        ),
    )
    .unwrap();
    let (ok, _, err) = check_config(&cfg, &root());
    assert!(!ok, "{err}");
    assert!(
        err.contains("wakeword.runtime") && err.contains("libfake.so"),
        "{err}"
    );

    // Off: nothing is loaded, nothing required.
    std::fs::write(
        &cfg,
        "[wakeword]\nenabled = false\nmodel = \"/nonexistent\"\n",
    )
    .unwrap();
    let (ok, _, err) = check_config(&cfg, &root());
    assert!(ok, "{err}");
}

#[test]
fn relative_paths_are_taken_from_the_config_files_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[wakeword]\nenabled = true\nmodel = \"models/alexa.json\"\n\
         runtime = \"models/libtensorflowlite_c.so\"\n[bluetooth]\nstate_dir = \"state\"\n",
    )
    .unwrap();
    // From the repository root, `models/` exists in the working directory but not beside
    // the file: refused.
    let (ok, _, err) = check_config(&cfg, &root());
    assert!(!ok, "relative to the working directory: {err}");
    assert!(err.contains("wakeword.model"), "{err}");
    // With models/ beside the file it loads from anywhere, and the paths print resolved.
    std::os::unix::fs::symlink(root().join("models"), dir.path().join("models")).unwrap();
    let (ok, out, err) = check_config(&cfg, std::path::Path::new("/"));
    assert!(ok, "{err}");
    assert!(
        out.contains(&dir.path().join("models/alexa.json").display().to_string())
            && out.contains(&dir.path().join("state").display().to_string()),
        "{out}"
    );
}
