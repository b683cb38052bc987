//! Registry hygiene at start: temp files of interrupted writes are removed, every corrupt
//! registry is kept under its own timestamped name (bounded count), and MAC addresses are
//! validated when loaded. (kill -9 during registry writes: `bluetooth_v1_restart` and
//! avs-bluetooth's registry tests.)

use avs_bluetooth::model::InterfaceVersion;

use crate::bluetooth_support::{Engine, Mock};

fn corrupt_copies(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("bluetooth-devices.json.corrupt"))
        .collect();
    v.sort();
    v
}

#[test]
fn temp_files_go_corrupt_copies_stay_and_bad_macs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::start();
    let reg = dir.path().join("bluetooth-devices.json");
    let tmp = dir.path().join(".bluetooth-devices.json.tmp-4242");
    std::fs::write(&tmp, "{\"version\": 1, \"dev").unwrap();
    let bad_mac = format!("ZZ:{}", "9".repeat(10_000));
    std::fs::write(
        &reg,
        serde_json::json!({"version": 1, "devices": [{"uniqueDeviceId": "a",
            "mac": bad_mac, "category": "PHONE"}]})
        .to_string(),
    )
    .unwrap();

    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    assert!(
        !tmp.exists(),
        "the interrupted write's temp file is still there"
    );
    let log = engine.log();
    assert!(log.contains("not AA:BB:CC:DD:EE:FF"), "{log}");
    assert!(
        log.lines().all(|l| l.len() < 1000),
        "a 10 kB MAC is quoted whole in the log"
    );
    assert_eq!(corrupt_copies(dir.path()).len(), 1);
    engine.stop();

    // A second corruption: the first copy stays.
    std::fs::write(&reg, "{").unwrap();
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let copies = corrupt_copies(dir.path());
    assert_eq!(copies.len(), 2, "{copies:?}");
    engine.stop();
}
