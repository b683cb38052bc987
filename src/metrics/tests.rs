//! The exporter's echo state (issue 9): the canceller's figures and the music hint.

use std::sync::Arc;

use avs_bluetooth::model::{BluetoothStateV2, ContextObject};
use rt_core::aec::{AecOptions, AecStage};
use rt_core::telemetry::Telemetry;
use serde_json::json;

use super::bluetooth::a2dp_streaming;
use super::{registry, render};

fn context(streaming: &str) -> ContextObject {
    ContextObject::V2(
        serde_json::from_value::<BluetoothStateV2>(json!({
            "alexaDevice": {"friendlyName": "board"},
            "pairedDevices": [{
                "uniqueDeviceId": "d1", "friendlyName": "phone", "deviceCategory": "PHONE",
                "connectionState": "CONNECTED",
                "supportedProfiles": [
                    {"name": "AVRCP", "version": "1.6"},
                    {"name": "A2DP_SOURCE", "version": "1.3", "state": {"streaming": streaming}}
                ]
            }]
        }))
        .expect("a v2 context"),
    )
}

#[test]
fn music_playing_follows_the_a2dp_streaming_state() {
    assert!(a2dp_streaming(&context("ACTIVE")));
    assert!(!a2dp_streaming(&context("PAUSED")));
    assert!(!a2dp_streaming(&context("INACTIVE")));
}

#[test]
fn echo_state_is_exported_once_a_canceller_runs() {
    let tel = Arc::new(Telemetry::new());
    let reg = registry(tel.clone(), false);
    assert!(
        !render(&reg).contains("ama_engine_aec_"),
        "no canceller, no figures"
    );
    let mut stage = AecStage::new(&AecOptions::default(), 48_000).expect("canceller");
    let (mut mic, mut cancelled) = ([0.0f32; 480], [0.0f32; 160]);
    // A 1 kHz tone on the reference, its echo (half as loud, 1 ms later) on the mic.
    let tone = |n: usize| (8000.0 * (n as f32 * 2.0 * std::f32::consts::PI / 48.0).sin()) as i16;
    for k in 0..100usize {
        let reference: Vec<i16> = (0..480).map(|i| tone(k * 480 + i)).collect();
        for (i, m) in mic.iter_mut().enumerate() {
            *m = f32::from(tone((k * 480 + i).saturating_sub(48))) * 0.5;
        }
        stage.process_48k(&mut mic, &reference, &mut cancelled);
        stage.publish(&tel.aec);
    }
    let text = render(&reg);
    for name in [
        "ama_engine_aec_echo_removal_db",
        "ama_engine_aec_reference_dbfs",
        "ama_engine_aec_reference_playing 1",
        "ama_engine_aec_worker_dropped_total",
    ] {
        assert!(text.contains(name), "{name} missing in:\n{text}");
    }
}
