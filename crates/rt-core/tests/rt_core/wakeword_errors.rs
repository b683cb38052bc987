//! Bad wake-word files give clear errors naming the file, and never crash the engine: a
//! missing or wrong runtime library, a missing or malformed model JSON, a JSON whose model is
//! not a TFLite file, and a model with the wrong tensors.

use std::path::Path;

use rt_core::wakeword::{build_detector, WakeWordError};
use rt_core::wakeword::{WakeWordOptions, WakeWordPlacement};
use test_support::wakeword::installed;

fn cfg(model: &Path, runtime: &Path) -> WakeWordOptions {
    WakeWordOptions {
        model: model.to_owned(),
        runtime: runtime.to_owned(),
        placement: WakeWordPlacement::Realtime,
        ..WakeWordOptions::default()
    }
}

fn err(c: &WakeWordOptions) -> WakeWordError {
    match build_detector(c) {
        Ok(_) => panic!("built a detector from {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn bad_runtime_and_model_files_are_named_in_the_error() {
    let model = installed("models/alexa.json");
    let runtime = installed("models/libtensorflowlite_c.so");
    let dir = tempfile::tempdir().expect("tempdir");

    let missing = dir.path().join("nope.so");
    let e = err(&cfg(&model, &missing));
    assert!(matches!(e, WakeWordError::Runtime { .. }), "{e}");
    assert!(e.to_string().contains("nope.so"), "{e}");

    // A file that is not a shared library at all.
    let e = err(&cfg(&model, &model));
    assert!(matches!(e, WakeWordError::Runtime { .. }), "{e}");

    // A real shared library without the TFLite API.
    let libc = Path::new("/lib/x86_64-linux-gnu/libm.so.6");
    let other = if libc.exists() {
        libc.to_owned()
    } else {
        Path::new("libm.so.6").to_owned()
    };
    let e = err(&cfg(&model, &other));
    assert!(e.to_string().contains("missing symbol TfLite"), "{e}");

    let e = err(&cfg(&dir.path().join("none.json"), &runtime));
    assert!(matches!(e, WakeWordError::ModelInfo { .. }), "{e}");
    assert!(e.to_string().contains("none.json"), "{e}");

    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, "{\"type\": \"micro\",\n  \"wake_word\": [}").expect("write");
    let e = err(&cfg(&bad_json, &runtime));
    assert!(
        e.to_string().contains("bad.json") && e.to_string().contains("line 2"),
        "{e}"
    );

    // A valid JSON whose model file is not a TFLite flatbuffer.
    let fake = dir.path().join("fake.json");
    std::fs::write(dir.path().join("fake.tflite"), b"this is not a flatbuffer").expect("write");
    std::fs::write(
        &fake,
        r#"{"type":"micro","wake_word":"x","model":"fake.tflite",
            "micro":{"probability_cutoff":0.9,"sliding_window_size":5,"feature_step_size":10}}"#,
    )
    .expect("write");
    let e = err(&cfg(&fake, &runtime));
    assert!(matches!(e, WakeWordError::Model { .. }), "{e}");
    assert!(e.to_string().contains("fake.tflite"), "{e}");

    // A JSON naming a model file that does not exist.
    std::fs::remove_file(dir.path().join("fake.tflite")).expect("remove");
    let e = err(&cfg(&fake, &runtime));
    assert!(e.to_string().contains("no such file"), "{e}");
}
