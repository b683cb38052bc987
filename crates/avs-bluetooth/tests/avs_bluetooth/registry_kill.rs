//! A process killed (SIGKILL) at arbitrary points while it rewrites the device registry in a
//! loop always leaves a registry that opens, whose ids and MACs are unique, and that still holds
//! every device a previous round left (nothing accepted is lost).

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use avs_bluetooth::model::DeviceCategory;
use avs_bluetooth::registry::Registry;

const ENV: &str = "AMA_REGISTRY_KILL_PATH";

/// The child: rewrites the registry as fast as it can until killed.
#[test]
#[ignore = "child process of kill_during_registry_write_leaves_a_readable_registry"]
fn registry_writer_child() {
    let Ok(path) = std::env::var(ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let mut n: u64 = 0;
    loop {
        let mut r = Registry::open(&path).expect("child open");
        let mac = format!(
            "02:00:00:{:02X}:{:02X}:{:02X}",
            (n >> 16) & 0xff,
            (n >> 8) & 0xff,
            n & 0xff
        );
        let id = r.id_for_mac(&mac).expect("child add");
        r.touch(&id).expect("child touch");
        let _ = r.set_category(&id, DeviceCategory::Phone);
        n += 1;
    }
}

fn check(path: &std::path::Path, previous: &HashSet<String>) -> HashSet<String> {
    let r = Registry::open(path).unwrap_or_else(|e| panic!("registry unreadable after kill: {e}"));
    let ids: HashSet<String> = r
        .records()
        .iter()
        .map(|x| x.unique_device_id.clone())
        .collect();
    let macs: HashSet<String> = r.records().iter().map(|x| x.mac.clone()).collect();
    assert_eq!(ids.len(), r.records().len(), "duplicate ids");
    assert_eq!(macs.len(), r.records().len(), "duplicate MACs");
    assert!(previous.is_subset(&ids), "a device written before was lost");
    ids
}

#[test]
fn kill_during_registry_write_leaves_a_readable_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bluetooth-devices.json");
    let exe = std::env::current_exe().expect("exe");
    let mut seen = HashSet::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..25 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                &test_support::test_name(module_path!(), "registry_writer_child"),
                "--ignored",
                "--test-threads=1",
            ])
            .env(ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        // A pseudo-random kill point: 1..40 ms into the write loop.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(1 + seed % 40));
        child.kill().expect("kill");
        let _ = child.wait();
        seen = check(&path, &seen);
        let _ = round;
    }
    assert!(!seen.is_empty(), "the child never wrote the registry");
}
