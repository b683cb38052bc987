//! Shared helpers of the wake-word integration tests: where the installed model, runtime and
//! reference venv are, reading and writing 16 kHz WAVs, running the Python references.

use std::path::{Path, PathBuf};
use std::process::Command;

pub use crate::root;

/// A file the setup scripts install; panics with the fix when it is missing.
pub fn installed(rel: &str) -> PathBuf {
    let p = root().join(rel);
    assert!(
        p.exists(),
        "{} is missing: run `bash scripts/setup.sh` (scripts/setup.d/wakeword.sh) and \
         `bash scripts/gen-test-audio.sh` first",
        p.display()
    );
    p
}

/// The reference venv's Python.
pub fn python() -> PathBuf {
    installed(".venv-ww/bin/python")
}

/// Runs `scripts/wakeword/<script>` with the venv's Python; returns stdout.
pub fn run_reference(script: &str, args: &[&Path]) -> String {
    let out = Command::new(python())
        .arg(root().join("scripts/wakeword").join(script))
        .args(args)
        .output()
        .expect("run the reference script");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Reads a 16 kHz 16-bit mono WAV.
pub fn read_wav(path: &Path) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (16000, 1, 16),
        "{}",
        path.display()
    );
    r.samples::<i16>().map(|s| s.expect("sample")).collect()
}

/// Writes a 16 kHz 16-bit mono WAV.
pub fn write_wav(path: &Path, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for &s in samples {
        w.write_sample(s).expect("write sample");
    }
    w.finalize().expect("finalize wav");
}
