//! `ama-engine run` with everything at once: ALSA capture (file plugin), the AMA link over TCP
//! and the Bluetooth interface on the BlueZ mock (private dbus-daemon + python-dbusmock
//! bluez5). Checks the bridge: the phone's ISSUE_MEDIA_CONTROL reaches the connected A2DP
//! device over AVRCP (MediaPlayer1), and the A2DP connection reaches the phone's feature
//! table (SYNCHRONIZE_STATE 0x132), while audio capture runs; the metrics exporter shows the
//! AMA link up and the Bluetooth connection and directive outcomes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ama_proto::envelope;
use ama_proto::proto::{
    control_envelope::Payload, state, Command as C, IssueMediaControl, MediaControl,
};
use ama_proto::transport::{encode_envelope, Decoder, Frame};
use avs_bluetooth::model::InterfaceVersion;
use serde_json::json;

use crate::bluetooth_support as bt;
use crate::service_run::{scrape, wait_scrape};
use crate::support::free_port;

const PHONE: &str = "AA:BB:CC:00:00:01";

/// Reads control envelopes from the link until `pred` accepts one (or the wait runs out).
fn read_until(s: &mut TcpStream, d: &mut Decoder, pred: impl Fn(&Payload) -> bool) -> Payload {
    let start = Instant::now();
    let mut buf = [0u8; 2048];
    loop {
        while let Some(Ok(frame)) = d.next_frame() {
            if let Frame::Control(b) = frame {
                if let Some(p) = envelope::decode(&b).ok().and_then(|e| e.payload) {
                    if pred(&p) {
                        return p;
                    }
                }
            }
        }
        assert!(
            start.elapsed() < bt::WAIT,
            "nothing expected on the AMA link"
        );
        match s.read(&mut buf) {
            Ok(0) => panic!("the engine closed the AMA link"),
            Ok(n) => d.push(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("AMA link: {e}"),
        }
    }
}

#[test]
fn phone_media_controls_reach_avrcp_and_a2dp_state_reaches_the_phone() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut mock = bt::Mock::start();
    mock.add_paired(PHONE, "Phone");
    let port = free_port();
    let metrics: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let socket = dir.path().join("control.sock");
    let cfg = dir.path().join("engine.toml");
    std::fs::write(
        &cfg,
        format!(
            "[audio]\ndevice = \"ama_file:FILE={raw}\"\npace = true\nmax_seconds = 60\n\
             [realtime]\nlock_memory = false\n[wakeword]\nenabled = false\n\
             [ama]\nlink = \"tcp://127.0.0.1:{port}\"\nstate_dir = \"{d}\"\n\
             [bluetooth]\nenabled = true\nstate_dir = \"{d}\"\n[control]\npath = \"{s}\"\n\
             [telemetry]\nlisten = \"{metrics}\"\n",
            raw = root.join("data/demo-48k.raw").display(),
            d = dir.path().display(),
            s = socket.display(),
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("engine.log")).unwrap();
    let mut engine = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["run", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .env("DBUS_SYSTEM_BUS_ADDRESS", &mock.address)
        .env("ALSA_CONFIG_PATH", crate::support::alsa_config_path())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let engine_log = || std::fs::read_to_string(dir.path().join("engine.log")).unwrap_or_default();

    // The control socket and the AMA link both come up.
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(
            engine.try_wait().unwrap().is_none(),
            "engine exited: {}",
            engine_log()
        );
        assert!(
            start.elapsed() < bt::WAIT,
            "no control socket: {}",
            engine_log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut control = bt::Client::connect(&socket, InterfaceVersion::V2);
    let mut link = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if start.elapsed() < bt::WAIT => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("AMA link: {e}: {}", engine_log()),
        }
    };
    link.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut version = [0u8; 20];
    link.read_exact(&mut version).unwrap();
    assert_eq!(&version[..2], &[0xFE, 0x03]);
    let mut dec = Decoder::default();

    // The phone connects over Bluetooth: the phone's feature table learns it.
    mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    control.event("ConnectByDeviceIdsSucceeded");
    let sync = read_until(&mut link, &mut dec, |p| {
        matches!(p, Payload::SynchronizeState(s)
            if s.state.as_ref().is_some_and(|st| st.feature == 0x132
                && st.value == Some(state::Value::Boolean(true))))
    });
    assert!(matches!(sync, Payload::SynchronizeState(_)));
    wait_scrape(metrics, "ama_engine_ama_link_up", |v| v == 1.0);
    wait_scrape(metrics, "ama_engine_bluetooth_connected_devices", |v| {
        v == 1.0
    });
    assert_eq!(
        scrape(metrics, "ama_engine_bluetooth_paired_devices"),
        Some(1.0)
    );

    // The Alexa app asks for PLAY: AVRCP Play goes to the phone's player.
    mock.op(json!({"op": "add_transport", "mac": PHONE, "state": "idle",
        "uuid": "0000110b-0000-1000-8000-00805f9b34fb"}));
    mock.op(json!({"op": "add_player", "mac": PHONE}));
    let mut req = Vec::new();
    encode_envelope(
        &envelope::request(
            C::IssueMediaControl,
            Payload::IssueMediaControl(IssueMediaControl {
                control: MediaControl::Play as i32,
            }),
        ),
        &mut req,
    );
    link.write_all(&req).unwrap();
    control.event("MediaControlPlaySucceeded");
    assert_eq!(
        mock.op(json!({"op": "player_calls", "mac": PHONE})),
        json!(["Play"])
    );
    wait_scrape(metrics, "ama_engine_bluetooth_events_total", |v| v >= 2.0);
    assert_eq!(
        scrape(metrics, "ama_engine_bluetooth_failed_events_total"),
        Some(0.0)
    );

    // A logout/reset unpairs everything: the phone learns A2DP is gone.
    control.command("reset");
    read_until(&mut link, &mut dec, |p| {
        matches!(p, Payload::SynchronizeState(s)
            if s.state.as_ref().is_some_and(|st| st.feature == 0x132
                && st.value == Some(state::Value::Boolean(false))))
    });

    let _ = engine.kill();
    let _ = engine.wait();
}
