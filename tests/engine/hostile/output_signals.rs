//! Closed or full stdout never panics (the exit table goes to stderr instead), and SIGHUP
//! is the same clean stop as SIGTERM, exit table included.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{alsa_config_path, run_config};
use crate::support::root;

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn run_with_a_broken_stdout_keeps_its_exit_table_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = run_config(dir.path(), "", "");
    // Its stdout is a pipe whose reader has gone (EPIPE on write). (A closed fd 1 would be
    // reused by the first file the engine opens, were it not for the Rust runtime opening
    // /dev/null on it: see output_files.rs.)
    let out = Command::new("/bin/bash")
        .arg("-c")
        .arg("\"$0\" run --config \"$1\" --out \"$2\" | true; exit ${PIPESTATUS[0]}")
        .arg(env!("CARGO_BIN_EXE_ama-engine"))
        .arg(&cfg)
        .arg(dir.path().join("out"))
        .current_dir(root())
        .env("ALSA_CONFIG_PATH", alsa_config_path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stdout failed"), "{stderr}");
    assert!(stderr.contains("real-time:"), "the exit table: {stderr}");
}

#[test]
fn capabilities_into_a_full_stdout_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "").unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["capabilities", "--config"])
        .arg(&cfg)
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stdout"), "{stderr}");
}

#[test]
fn sighup_stops_run_cleanly_with_the_exit_table() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = run_config(dir.path(), "", "");
    super::long_run(&cfg, 600);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .current_dir(root())
        .env("ALSA_CONFIG_PATH", alsa_config_path())
        .args(["run", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the capture is open the handlers are installed (they are before the device opens).
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    let start = Instant::now();
    while !log.contains("capture open") {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap_or(0) == 0 || start.elapsed() > WAIT {
            let _ = child.kill();
            panic!("no `capture open` line: {log}");
        }
        log += &line;
    }
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut rest);
        rest
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > WAIT {
            let _ = child.kill();
            panic!("run did not stop on SIGHUP");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rest = drain.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{log}{rest}");
    assert!(stdout.contains("real-time:"), "exit table: {stdout}");
}
