//! One engine per state (a flock taken before anything else), the control socket's path
//! (only a socket is ever replaced; check-config refuses a path on a state file), and the
//! socket's mode from its creation.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use avs_bluetooth::model::InterfaceVersion;

use super::{bluetooth_config, spawn_bluetooth};
use crate::bluetooth_support::{Engine, Mock};

const WAIT: Duration = Duration::from_secs(30);

/// `ama-engine bluetooth --config CFG` against the mock; waits (bounded) for it to exit.
fn bluetooth_exit(mock: &Mock, cfg: &std::path::Path) -> Option<std::process::Output> {
    let mut child = spawn_bluetooth(cfg, &mock.address, true);
    let start = Instant::now();
    while start.elapsed() < WAIT {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn a_second_engine_on_the_same_state_exits_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::start();
    let first = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let out = bluetooth_exit(&mock, &dir.path().join("engine.toml"))
        .expect("the second engine kept running on the first one's state");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", first.pid())) && stderr.contains("ama-engine.lock"),
        "{stderr}"
    );
    // The first one is untouched and still reachable.
    let mut c = first.client();
    assert!(c.command("context").get("context").is_some());
}

#[test]
fn a_file_at_the_control_path_is_refused_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::start();
    let precious = dir.path().join("precious.json");
    std::fs::write(&precious, "{\"keep\": true}").unwrap();
    let cfg = bluetooth_config(dir.path(), &dir.path().join("bt"), &precious, "");
    let out = bluetooth_exit(&mock, &cfg).expect("the engine started over a regular file");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&precious.display().to_string()) && stderr.contains("regular file"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "{\"keep\": true}"
    );
}

#[test]
fn check_config_refuses_a_control_path_on_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[bluetooth]\nstate_dir = \"{0}\"\n[control]\npath = \"{0}/./bluetooth-devices.json\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["check-config", "--no-device"])
        .arg(&cfg)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("control.path"), "{stderr}");
}

#[test]
fn the_control_socket_is_created_with_its_final_mode() {
    // A socket bound and chmod'ed afterwards exists for a moment with another mode, and the
    // chmod shows as an IN_ATTRIB event on it; one bound under umask 0177 has mode 0600 from
    // its creation, and nothing changes its attributes. The engine runs with umask 000.
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::start();
    let socket = dir.path().join("control.sock");
    let cfg = bluetooth_config(dir.path(), &dir.path().join("bt"), &socket, "");
    let ino = Inotify::init(InitFlags::IN_NONBLOCK).unwrap();
    ino.add_watch(
        dir.path(),
        AddWatchFlags::IN_CREATE | AddWatchFlags::IN_ATTRIB,
    )
    .unwrap();
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" bluetooth --config \"$1\"")
        .arg(env!("CARGO_BIN_EXE_ama-engine"))
        .arg(&cfg)
        .env("DBUS_SYSTEM_BUS_ADDRESS", &mock.address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(start.elapsed() < WAIT, "no control socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    let _ = child.kill();
    let _ = child.wait();
    let mut created = false;
    let mut attrib = false;
    while let Ok(events) = ino.read_events() {
        if events.is_empty() {
            break;
        }
        for e in events {
            if e.name.as_deref() == Some(std::ffi::OsStr::new("control.sock")) {
                created |= e.mask.contains(AddWatchFlags::IN_CREATE);
                attrib |= e.mask.contains(AddWatchFlags::IN_ATTRIB);
            }
        }
    }
    assert_eq!(mode, 0o600, "{mode:o}");
    assert!(created, "no IN_CREATE seen for the socket");
    assert!(
        !attrib,
        "the socket's mode was changed after it was created"
    );
}
