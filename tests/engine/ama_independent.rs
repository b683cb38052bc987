//! An independent decoder: what the engine sends over a real TCP session is decoded by Google's
//! protobuf (Python, our .proto compiled by grpcio-tools in the venv that
//! scripts/setup.d/ama.sh makes), and envelopes built by Python are decoded by ours. Catches
//! field-number and enum mistakes that a round trip through one implementation cannot.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ama_phone as phone;
use ama_phone::PhoneOptions;
use ama_proto::envelope;
use ama_proto::proto::{control_envelope::Payload, response, state, Command as C, MediaControl};
use serde_json::Value;

use crate::ama_support::{start, Trigger};
use crate::support::root;

fn python() -> PathBuf {
    let p = root().join(".venv-ama/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.d/ama.sh (scripts/test.sh does)",
        p.display()
    );
    p
}

fn run_py(mode: &str, input: &str) -> String {
    let mut child = Command::new(python())
        .arg(root().join("tests/ama_decode.py"))
        .arg(mode)
        .arg(root().join("crates/ama-proto/proto"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_protobuf_decodes_what_the_engine_sends() {
    let rig = start(
        |c| c.ama.battery_percent = Some(55),
        Duration::from_millis(4),
    )
    .await;
    let mut o = PhoneOptions::new(&rig.addr);
    o.quiet = true;
    o.endpoint_after = None;
    o.utterances = Some(1);
    o.max_time = Some(Duration::from_secs(20));
    let ph = tokio::spawn(phone::run(o));
    let mut stats = rig.stats.clone();
    stats.wait_for(|s| s.envelopes_in >= 3).await.unwrap();
    rig.triggers
        .send(Trigger::Hold { release_after: 10 })
        .await
        .unwrap();
    let report = ph.await.unwrap().unwrap();
    rig.stop().await.unwrap();
    let frames = report.control_frames;
    assert!(frames.len() >= 5, "{} frames", frames.len());

    let input: String = frames.iter().map(|f| hex(f) + "\n").collect();
    let lines: Vec<Value> = run_py("decode", &input)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), frames.len());
    for (frame, line) in frames.iter().zip(&lines) {
        let ours = envelope::decode(frame).unwrap();
        let js = &line["json"];
        // Same command by name, and Google's encoder gives back the same bytes.
        assert_eq!(
            js["command"].as_str().unwrap(),
            C::try_from(ours.command).unwrap().as_str_name(),
            "{js}"
        );
        assert_eq!(line["reencoded"].as_str().unwrap(), hex(frame), "{js}");
    }
    let find = |cmd: &str, key: &str| -> Value {
        lines
            .iter()
            .map(|l| l["json"].clone())
            .find(|j| j["command"] == cmd && j.get(key).is_some())
            .unwrap_or_else(|| panic!("no {cmd} with {key}"))
    };
    let info = &find("GET_DEVICE_INFORMATION", "response")["response"]["device_information"];
    assert_eq!(info["name"], "AMA Engine");
    assert_eq!(info["supported_wakewords"], serde_json::json!(["ALEXA"]));
    assert_eq!(
        info["supported_speech_initiations"],
        serde_json::json!(["WAKEWORD", "TAP", "PRESS_AND_HOLD"])
    );
    assert_eq!(
        info["supported_transports"],
        serde_json::json!(["BLUETOOTH_RFCOMM"])
    );
    assert_eq!(info["battery"]["level"], 55);
    assert_eq!(
        info["metadata"]["firmware_version"],
        env!("CARGO_PKG_VERSION")
    );
    let conf = &find("GET_DEVICE_CONFIGURATION", "response")["response"]["device_configuration"];
    assert_eq!(conf["needs_setup"], true);
    let feats = &find("GET_DEVICE_FEATURES", "response")["response"]["device_features"];
    assert_eq!(feats["features"], (1 << 9) | (1 << 6));
    let st = &find("START_SPEECH", "start_speech")["start_speech"];
    assert_eq!(st["settings"]["audio_profile"], "CLOSE_TALK");
    assert_eq!(
        st["settings"]["audio_format"],
        "OPUS_16KHZ_32KBPS_CBR_0_20MS"
    );
    assert_eq!(st["initiator"]["type"], "PRESS_AND_HOLD");
    assert_eq!(st["dialog"]["id"], 1);
    let ep = &find("ENDPOINT_SPEECH", "endpoint_speech")["endpoint_speech"];
    assert_eq!(ep["dialog"]["id"], 1);
}

#[test]
fn python_protobuf_decodes_a_wake_word_start_speech() {
    use ama_proto::session::{LinkInfo, MemoryStore, Outgoing, Output, Session, SessionSettings};
    use engine_base::messages::{Initiator, Outbound, WakeWordIndices};
    let mut s = Session::new(SessionSettings::default(), Box::new(MemoryStore::default()));
    let zero = Duration::ZERO;
    s.link_up(
        zero,
        LinkInfo {
            transport: ama_proto::proto::Transport::BluetoothRfcomm,
            mtu: 990,
            ble: false,
        },
    );
    let mut out = Output::default();
    let wake = WakeWordIndices {
        start_index_in_samples: 8000,
        end_index_in_samples: 21_440,
    };
    s.on_outbound(
        zero,
        Outbound::StreamStarted {
            stream: 1,
            initiator: Initiator::Wakeword,
            wake: Some(wake),
            first_sample: 0,
            score: 0.9,
        },
        &mut out,
    );
    let Outgoing::Control(env) = &out.send[0] else {
        panic!()
    };
    let bytes = ama_proto::envelope::encode(env);
    let line: Value = serde_json::from_str(run_py("decode", &(hex(&bytes) + "\n")).trim()).unwrap();
    let st = &line["json"]["start_speech"];
    assert_eq!(st["initiator"]["type"], "WAKEWORD");
    assert_eq!(st["initiator"]["wake_word"]["start_index_in_samples"], 8000);
    assert_eq!(st["initiator"]["wake_word"]["end_index_in_samples"], 21_440);
    assert_eq!(st["settings"]["audio_profile"], "NEAR_FIELD");
}

#[test]
fn our_decoder_reads_envelopes_built_by_python() {
    let envs: Vec<_> = run_py("encode", "")
        .lines()
        .map(|l| envelope::decode(&unhex(l.trim())).unwrap())
        .collect();
    assert_eq!(envs.len(), 5);
    assert_eq!(envs[0].command, C::ProvideSpeech as i32);
    let Some(Payload::ProvideSpeech(p)) = &envs[0].payload else {
        panic!("{:?}", envs[0])
    };
    assert_eq!(p.dialog.unwrap().id, 0x8000_0005);
    let Some(Payload::SetState(s)) = &envs[1].payload else {
        panic!()
    };
    let st = s.state.unwrap();
    assert_eq!(
        (st.feature, st.value),
        (0x352, Some(state::Value::Boolean(false)))
    );
    let Some(Payload::IssueMediaControl(m)) = &envs[2].payload else {
        panic!()
    };
    assert_eq!(m.control, MediaControl::Next as i32);
    let r = envelope::response_of(&envs[3]).unwrap();
    assert_eq!(
        (envs[3].command, r.error_code, r.payload.clone()),
        (C::StartSpeech as i32, 7, None::<response::Payload>)
    );
    let Some(Payload::SynchronizeSettings(t)) = &envs[4].payload else {
        panic!()
    };
    assert_eq!((t.timestamp_hi, t.timestamp_lo), (0x18C, 0x1234_5678));
}
