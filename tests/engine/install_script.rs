//! `scripts/install.sh` into a scratch root (DESTDIR): the tree it leaves, the config it renders
//! (installed paths, never overwriting an edited one), the unit checked by
//! `systemd-analyze verify` against the installed binary, the sysusers file applied by
//! `systemd-sysusers --root`, and what `--uninstall` and `--purge` leave behind.
//!
//! Needs `systemd-analyze` and `systemd-sysusers` (Debian package systemd, installed by
//! scripts/setup.sh) and the model in models/ (scripts/setup.d/wakeword.sh); neither needs
//! systemd to be running.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PREFIX: &str = "/usr/local";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the install script with `DESTDIR=root`, installing the test build of the binary.
fn install(root: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/install.sh"))
        .args(args)
        .env("DESTDIR", root);
    if !args.contains(&"--uninstall") && !args.contains(&"--binary") {
        cmd.args(["--binary", env!("CARGO_BIN_EXE_ama-engine")]);
    }
    cmd.output().expect("bash runs")
}

fn ok(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "install.sh failed:\n{text}");
    text
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

fn mode(p: impl AsRef<Path>) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Every file and symlink under `root`, as paths relative to it, sorted.
fn files(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.is_symlink() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The profile in the source tree, with its relative model and runtime paths.
fn profile_source(profile: &str) -> String {
    let src = read(repo().join(format!("config/{profile}.toml")));
    assert!(src.contains("model = \"../models/alexa.json\"\n"));
    assert!(src.contains("runtime = \"../models/libtensorflowlite_c.so\"\n"));
    src
}

#[test]
fn installs_the_tree_and_a_config_with_installed_paths() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let text = ok(&install(r, &["--profile", "headset"]));
    assert!(
        text.contains("wrote /etc/ama-engine/engine.toml (profile headset)"),
        "{text}"
    );

    let mut want = vec![
        "etc/ama-engine/engine.toml",
        "usr/local/bin/ama-engine",
        "usr/local/lib/ama-engine/libtensorflowlite_c.so",
        "usr/local/lib/systemd/system/ama-engine.service",
        "usr/local/lib/sysusers.d/ama-engine.conf",
        "usr/local/share/ama-engine/engine.toml.dist",
        "usr/local/share/ama-engine/models/alexa.json",
        "usr/local/share/ama-engine/models/alexa.tflite",
    ];
    want.sort();
    assert_eq!(files(r), want);
    assert_eq!(mode(r.join("usr/local/bin/ama-engine")), 0o755);
    assert_eq!(mode(r.join("etc/ama-engine/engine.toml")), 0o644);
    assert_eq!(mode(r.join("var/lib/ama-engine")), 0o750);
    for f in ["alexa.json", "alexa.tflite"] {
        assert_eq!(
            std::fs::read(repo().join("models").join(f)).unwrap(),
            std::fs::read(r.join("usr/local/share/ama-engine/models").join(f)).unwrap()
        );
    }

    let conf = read(r.join("etc/ama-engine/engine.toml"));
    assert_eq!(
        conf,
        read(r.join("usr/local/share/ama-engine/engine.toml.dist"))
    );
    assert!(conf.starts_with("# Installed by scripts/install.sh from config/headset.toml"));
    let model = format!("{PREFIX}/share/ama-engine/models/alexa.json");
    let runtime = format!("{PREFIX}/lib/ama-engine/libtensorflowlite_c.so");
    assert!(conf.contains(&format!("model = \"{model}\"\n")), "{conf}");
    assert!(
        conf.contains(&format!("runtime = \"{runtime}\"\n")),
        "{conf}"
    );
    assert!(
        !conf.contains("\"models/"),
        "a relative model path is left:\n{conf}"
    );
    // Both point at what was installed, and the rest of the profile is unchanged.
    assert!(r.join(model.trim_start_matches('/')).is_file());
    assert!(r.join(runtime.trim_start_matches('/')).is_file());
    let back = conf
        .lines()
        .skip(1)
        .map(|l| match l {
            l if l.starts_with("model = ") => "model = \"../models/alexa.json\"".to_string(),
            l if l.starts_with("runtime = ") => {
                "runtime = \"../models/libtensorflowlite_c.so\"".to_string()
            }
            l => l.to_string(),
        })
        .collect::<Vec<_>>();
    let src = profile_source("headset");
    let src: Vec<&str> = src.lines().collect();
    assert_eq!(back.len(), src.len());
    for (a, b) in back.iter().zip(&src) {
        if !b.contains("Installed by scripts/setup.sh") {
            assert_eq!(a, b);
        }
    }
    // The installed config loads (its device is the board's, so it is not probed here; its
    // model and runtime are checked where they were staged, under the scratch root).
    let staged = r.join("staged.toml");
    std::fs::write(
        &staged,
        conf.replace(
            &model,
            &r.join(model.trim_start_matches('/')).display().to_string(),
        )
        .replace(
            &runtime,
            &r.join(runtime.trim_start_matches('/'))
                .display()
                .to_string(),
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["check-config", "--no-device"])
        .arg(&staged)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_installed_unit_verifies_and_the_user_is_created() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    ok(&install(r, &[]));
    let unit = read(r.join("usr/local/lib/systemd/system/ama-engine.service"));
    let exec = "ExecStart=/usr/local/bin/ama-engine run --config /etc/ama-engine/engine.toml\n";
    assert!(unit.contains(exec), "{unit}");
    for key in [
        "Type=notify\n",
        "WatchdogSec=",
        "Restart=on-failure\n",
        "StartLimitBurst=",
        "LimitRTPRIO=",
        "LimitMEMLOCK=infinity\n",
        "NoNewPrivileges=yes\n",
        "ProtectSystem=strict\n",
        "ReadWritePaths=/var/lib/ama-engine\n",
        "RuntimeDirectory=ama-engine\n",
        "StateDirectory=ama-engine\n",
        "User=ama-engine\n",
        "SupplementaryGroups=audio bluetooth\n",
    ] {
        assert!(unit.contains(key), "no {key:?} in the unit");
    }

    // systemd-analyze verify checks that ExecStart is executable on this machine, so the copy
    // it verifies points into the scratch root (a --root needs a whole systemd tree there).
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("ama-engine.service");
    let bin = r.join("usr/local/bin/ama-engine");
    std::fs::write(
        &copy,
        unit.replace(
            "ExecStart=/usr/local/bin/ama-engine",
            &format!("ExecStart={}", bin.display()),
        ),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .expect("systemd-analyze (Debian package systemd; scripts/setup.sh installs it)");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "verify:\n{said}"
    );

    // The sysusers file creates the user and its groups in the scratch root.
    std::fs::create_dir_all(r.join("etc")).unwrap();
    let out = Command::new("systemd-sysusers")
        .arg(format!("--root={}", r.display()))
        .arg(r.join("usr/local/lib/sysusers.d/ama-engine.conf"))
        .output()
        .expect("systemd-sysusers (Debian package systemd)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passwd = read(r.join("etc/passwd"));
    assert!(
        passwd.lines().any(|l| l.starts_with("ama-engine:x:")
            && l.ends_with(":/var/lib/ama-engine:/usr/sbin/nologin")),
        "{passwd}"
    );
    let group = read(r.join("etc/group"));
    for g in ["audio", "bluetooth"] {
        assert!(
            group
                .lines()
                .any(|l| l.starts_with(&format!("{g}:")) && l.ends_with(":ama-engine")),
            "{g} has no member ama-engine:\n{group}"
        );
    }
}

#[test]
fn an_edited_config_is_never_overwritten() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let conf = r.join("etc/ama-engine/engine.toml");
    let new = r.join("etc/ama-engine/engine.toml.new");
    ok(&install(r, &["--profile", "headset"]));
    let headset = read(&conf);

    // The same install again: nothing to say, nothing beside it.
    ok(&install(r, &["--profile", "headset"]));
    assert_eq!(read(&conf), headset);
    assert!(!new.exists());

    // Not edited since: another profile replaces it.
    let text = ok(&install(r, &["--profile", "speaker"]));
    assert!(
        text.contains("updated /etc/ama-engine/engine.toml (profile speaker"),
        "{text}"
    );
    let speaker = read(&conf);
    assert!(speaker.contains("from config/speaker.toml"));
    assert!(!new.exists());

    // Edited: kept as is, the new profile lands next to it, and the script says so.
    let edited = speaker.replace("complexity = 5", "complexity = 2");
    assert_ne!(edited, speaker);
    std::fs::write(&conf, &edited).unwrap();
    let text = ok(&install(r, &["--profile", "headset"]));
    assert!(
        text.contains("kept your edited /etc/ama-engine/engine.toml")
            && text.contains("/etc/ama-engine/engine.toml.new"),
        "{text}"
    );
    assert_eq!(read(&conf), edited);
    assert_eq!(read(&new), headset);
    // Still edited on the next run: still kept.
    ok(&install(r, &["--profile", "headset"]));
    assert_eq!(read(&conf), edited);
}

#[test]
fn uninstall_keeps_config_and_state_and_purge_removes_them() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    ok(&install(r, &[]));
    std::fs::write(r.join("var/lib/ama-engine/bluetooth-devices.json"), "[]").unwrap();

    let text = ok(&install(r, &["--uninstall"]));
    assert!(
        text.contains("kept /etc/ama-engine and /var/lib/ama-engine"),
        "{text}"
    );
    assert_eq!(
        files(r),
        [
            "etc/ama-engine/engine.toml",
            "var/lib/ama-engine/bluetooth-devices.json"
        ]
    );

    ok(&install(r, &["--uninstall", "--purge"]));
    assert_eq!(files(r), Vec::<String>::new());
    assert!(!r.join("etc/ama-engine").exists() && !r.join("var/lib/ama-engine").exists());
}

#[test]
fn another_prefix_puts_the_unit_where_systemd_looks() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    ok(&install(r, &["--prefix", "/opt/ama"]));
    let unit = read(r.join("etc/systemd/system/ama-engine.service"));
    assert!(
        unit.contains("ExecStart=/opt/ama/bin/ama-engine run --config"),
        "{unit}"
    );
    assert!(r.join("etc/sysusers.d/ama-engine.conf").is_file());
    let conf = read(r.join("etc/ama-engine/engine.toml"));
    assert!(conf.contains("model = \"/opt/ama/share/ama-engine/models/alexa.json\""));
    assert!(conf.contains("runtime = \"/opt/ama/lib/ama-engine/libtensorflowlite_c.so\""));
    assert!(r
        .join("opt/ama/lib/ama-engine/libtensorflowlite_c.so")
        .is_file());
}

#[test]
fn refuses_a_bad_profile_and_a_runtime_for_another_machine() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let out = install(r, &["--profile", "earbud"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("accepted: headset, speaker"));

    // A runtime whose ELF header names another machine (e_machine, offset 18).
    let models = tempfile::tempdir().unwrap();
    for f in ["alexa.json", "alexa.tflite", "libtensorflowlite_c.so"] {
        std::fs::copy(repo().join("models").join(f), models.path().join(f)).unwrap();
    }
    let so = models.path().join("libtensorflowlite_c.so");
    let mut bytes = std::fs::read(&so).unwrap();
    bytes[18] ^= 0x01;
    std::fs::write(&so, bytes).unwrap();
    let out = install(r, &["--models", models.path().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("built for different machines"));
    assert_eq!(files(r), Vec::<String>::new(), "nothing is installed");
}
