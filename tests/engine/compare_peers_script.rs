//! `scripts/compare-peers.sh` runs end to end on a short input (one round, 5 s) and prints its
//! table: a row per tool with CPU, peak RSS and the ratios to the best peer. Timings are
//! printed, never checked. Peers that are not installed are rows of `n/a` (`--no-install`:
//! the test installs nothing); the engine's row is always measured.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn compare_peers_prints_the_table_for_one_short_round() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(repo.join("scripts/compare-peers.sh"))
        .args(["--rounds", "1", "--seconds", "5", "--no-install"])
        .args(["--engine", env!("CARGO_BIN_EXE_ama-engine")])
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "compare-peers.sh failed:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
    let header = stdout
        .lines()
        .position(|l| l.starts_with("tool") && l.contains("CPU / best peer"))
        .unwrap_or_else(|| panic!("no table header in:\n{stdout}"));
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(header + 1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(names, ["engine", "gstreamer", "ffmpeg"], "{stdout}");
    for r in &rows {
        assert_eq!(r.len(), 5, "row {r:?}");
    }
    // The engine always runs: its CPU and RSS are numbers (the ratios are n/a without peers).
    let cpu: f64 = rows[0][1].parse().expect("engine CPU is a number");
    let rss: f64 = rows[0][2].parse().expect("engine RSS is a number");
    assert!(cpu >= 0.0 && rss > 0.0, "{stdout}");
}
