//! End to end over TCP: the real sender (session, framing, socket) fed by a test producer of
//! real Opus frames, and the phone tool on the other side. Checks that every frame the
//! producer made arrives once and in order, and that the audio decodes (opusdec) to the
//! input's duration.

use std::time::Duration;

use ama_phone as phone;
use ama_phone::{Ending, PhoneOptions};
use engine_base::messages::{Command, EndReason, Initiator};

use crate::ama_support;
use crate::ama_support::{start, Trigger};

const FAST: Duration = Duration::from_millis(4);
const LIMIT: Duration = Duration::from_secs(20);

fn phone_opts(addr: &str) -> PhoneOptions {
    let mut o = PhoneOptions::new(addr);
    o.quiet = true;
    o.endpoint_after = None;
    o.max_time = Some(LIMIT);
    o
}

/// Trigger once the phone is connected (the sender ends streams while no phone is linked).
async fn when_linked(rig: &ama_support::Rig, t: Trigger) {
    let mut stats = rig.stats.clone();
    // The phone's first requests are answered once it is linked.
    let _ = tokio::time::timeout(LIMIT, stats.wait_for(|s| s.envelopes_in >= 3)).await;
    rig.triggers.send(t).await.unwrap();
}

fn opusdec_seconds(path: &std::path::Path) -> f64 {
    let wav = path.with_extension("wav");
    let st = std::process::Command::new("opusdec")
        .args(["--quiet", "--rate", "16000"])
        .arg(path)
        .arg(&wav)
        .status()
        .expect("opusdec (opus-tools) is installed by scripts/setup.sh");
    assert!(st.success(), "opusdec failed on {}", path.display());
    let r = hound::WavReader::open(&wav).unwrap();
    f64::from(r.duration()) / f64::from(r.spec().sample_rate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tap_to_end_of_input_arrives_whole_and_decodes_to_the_input_duration() {
    let rig = start(|_| {}, FAST).await;
    let out = tempfile::tempdir().unwrap();
    let mut o = phone_opts(&rig.addr);
    o.utterances = Some(1);
    o.out_dir = Some(out.path().to_owned());
    let ph = tokio::spawn(phone::run(o));
    when_linked(&rig, Trigger::Tap).await;
    let report = ph.await.unwrap().unwrap();

    assert_eq!(report.version, Some((1, 0, 800, 5000)));
    let info = report.device_information.as_ref().unwrap();
    assert_eq!(info.supported_wakewords, vec!["ALEXA".to_string()]);
    assert!(report.device_configuration.unwrap().needs_setup);
    assert_eq!(report.utterances.len(), 1);
    let u = &report.utterances[0];
    assert_eq!(u.ending, Ending::AccessoryEndpoint);
    assert_eq!(u.initiator, 3, "TAP");
    assert_eq!(u.stray_bytes, 0);
    let sent = rig.stream(1).unwrap();
    assert_eq!(sent.ended, Some(EndReason::InputEnded));
    assert_eq!(u.packets, sent.sent, "every frame once, in order");
    assert!(
        u.voice_frames < u.packets.len() as u32,
        "several Opus frames per voice frame"
    );

    let input = ama_support::speech_samples().len() as f64 / 16_000.0;
    let decoded = opusdec_seconds(u.file.as_ref().unwrap());
    assert!(
        (decoded - input).abs() <= 0.021,
        "decoded {decoded} s, input {input} s"
    );
    rig.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wake_word_carries_indices_and_phone_endpoint_ends_the_stream() {
    let rig = start(|_| {}, FAST).await;
    let mut o = phone_opts(&rig.addr);
    o.utterances = Some(1);
    o.endpoint_after = Some(Duration::from_millis(250));
    let ph = tokio::spawn(phone::run(o));
    when_linked(&rig, Trigger::Wake { end_index: 17_600 }).await;
    let report = ph.await.unwrap().unwrap();
    let u = &report.utterances[0];
    assert_eq!(u.initiator, 4, "WAKEWORD");
    assert_eq!(u.wake, Some((8000, 17_600)));
    assert_eq!(u.profile, 1, "NEAR_FIELD");
    assert_eq!(u.format, 1, "OPUS 32 kbps");
    assert_eq!(u.ending, Ending::PhoneEndpoint);
    assert!(rig.wait_for(LIMIT, |l| l.streams[0].ended.is_some()).await);
    let sent = rig.stream(1).unwrap();
    assert_eq!(sent.ended, Some(EndReason::Endpoint));
    assert!(rig.commands().contains(&Command::End {
        stream: 1,
        reason: EndReason::Endpoint
    }));
    // Frames the producer made before it saw the End command and the sender forwarded: a
    // gapless, duplicate-free prefix of what was produced.
    assert!(!u.packets.is_empty());
    assert!(u.packets.len() <= sent.sent.len());
    assert_eq!(u.packets[..], sent.sent[..u.packets.len()]);
    assert!(
        u.packets.len() < ama_support::opus_packets().len(),
        "ended early"
    );
    rig.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn press_and_hold_release_is_an_accessory_endpoint() {
    let rig = start(|_| {}, FAST).await;
    let mut o = phone_opts(&rig.addr);
    o.utterances = Some(1);
    let ph = tokio::spawn(phone::run(o));
    when_linked(&rig, Trigger::Hold { release_after: 40 }).await;
    let report = ph.await.unwrap().unwrap();
    let u = &report.utterances[0];
    assert_eq!(u.initiator, 1, "PRESS_AND_HOLD");
    assert_eq!(u.profile, 0, "CLOSE_TALK");
    assert_eq!(u.ending, Ending::AccessoryEndpoint);
    assert_eq!(u.packets.len(), 40);
    assert_eq!(u.packets, rig.stream(1).unwrap().sent);
    rig.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_turn_provide_speech_opens_the_mic_again_in_the_same_dialog() {
    let rig = start(|_| {}, FAST).await;
    let mut o = phone_opts(&rig.addr);
    o.utterances = Some(2);
    o.multi_turn = 1;
    o.endpoint_after = Some(Duration::from_millis(200));
    let ph = tokio::spawn(phone::run(o));
    when_linked(&rig, Trigger::Wake { end_index: 16_000 }).await;
    let report = ph.await.unwrap().unwrap();
    assert_eq!(report.utterances.len(), 2);
    let (a, b) = (&report.utterances[0], &report.utterances[1]);
    assert!(!a.continuation && b.continuation);
    assert_eq!(a.dialog, b.dialog);
    assert_eq!(b.ending, Ending::PhoneEndpoint);
    assert!(rig.commands().contains(&Command::Continue));
    let second = rig.stream(2).unwrap();
    assert_eq!(second.initiator, Initiator::Continuation);
    assert!(!b.packets.is_empty());
    assert_eq!(b.packets[..], second.sent[..b.packets.len()]);
    rig.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_speech_from_the_phone_stops_the_stream() {
    let rig = start(|_| {}, FAST).await;
    let mut o = phone_opts(&rig.addr);
    o.utterances = Some(1);
    o.stop_after = Some(Duration::from_millis(200));
    let ph = tokio::spawn(phone::run(o));
    when_linked(&rig, Trigger::Tap).await;
    let report = ph.await.unwrap().unwrap();
    assert_eq!(report.utterances[0].ending, Ending::PhoneStop);
    assert!(rig.wait_for(LIMIT, |l| l.streams[0].ended.is_some()).await);
    assert_eq!(rig.stream(1).unwrap().ended, Some(EndReason::Stop));
    rig.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_phone_gets_no_audio_and_the_stream_is_ended() {
    let rig = start(|_| {}, FAST).await;
    let mut o = phone_opts(&rig.addr);
    o.busy = true;
    // The phone runs until the engine stops and closes the link (no time limit: a loaded
    // machine may take seconds to deliver the tap).
    let ph = tokio::spawn(phone::run(o));
    when_linked(&rig, Trigger::Tap).await;
    assert!(
        rig.wait_for(LIMIT, |l| l
            .streams
            .first()
            .is_some_and(|s| s.ended.is_some()))
            .await
    );
    assert_eq!(rig.stream(1).unwrap().ended, Some(EndReason::Stop));
    let mut stats = rig.stats.clone();
    let st = *tokio::time::timeout(LIMIT, stats.wait_for(|s| s.streams_refused >= 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st.voice_frames_out, 0);
    assert_eq!(st.streams_refused, 1);
    rig.stop().await.unwrap();
    let report = tokio::time::timeout(LIMIT, ph)
        .await
        .expect("the phone ends when the engine closes the link")
        .unwrap()
        .unwrap();
    assert_eq!(report.busy_answers, 1);
    assert!(report.utterances.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_drop_mid_utterance_then_a_new_phone_is_served() {
    let rig = start(|_| {}, FAST).await;
    let mut o = phone_opts(&rig.addr);
    o.drop_after = Some(Duration::from_millis(150));
    let ph = tokio::spawn(phone::run(o));
    when_linked(&rig, Trigger::Tap).await;
    let first = ph.await.unwrap().unwrap();
    assert_eq!(first.utterances[0].ending, Ending::LinkClosed);
    assert!(rig.wait_for(LIMIT, |l| l.streams[0].ended.is_some()).await);
    assert_eq!(rig.stream(1).unwrap().ended, Some(EndReason::Stop));

    // A second phone connects and gets a whole utterance.
    let mut o = phone_opts(&rig.addr);
    o.utterances = Some(1);
    let ph = tokio::spawn(phone::run(o));
    let mut stats = rig.stats.clone();
    stats.wait_for(|s| s.envelopes_in >= 6).await.unwrap();
    rig.triggers
        .send(Trigger::Hold { release_after: 30 })
        .await
        .unwrap();
    let second = ph.await.unwrap().unwrap();
    assert_eq!(second.utterances[0].packets, rig.stream(2).unwrap().sent);
    assert_eq!(second.utterances[0].packets.len(), 30);
    rig.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alives_both_ways_and_a_silent_phone_is_dropped() {
    let rig = start(
        |c| {
            c.ama.keepalive_ms = 150;
            c.ama.link_timeout_ms = 700;
        },
        FAST,
    )
    .await;
    // A live phone: it answers the engine's keep-alives and sends its own.
    let mut o = phone_opts(&rig.addr);
    o.keepalive = Some(Duration::from_millis(100));
    o.max_time = Some(Duration::from_millis(1500));
    let live = phone::run(o).await.unwrap();
    assert!(
        !live.closed_by_accessory,
        "a phone that answers stays linked"
    );
    assert!(live.keepalive_replies >= 1);
    // A phone that stops answering: the engine keeps sending keep-alives, then drops it.
    let mut o = phone_opts(&rig.addr);
    o.silent = true;
    let dead = phone::run(o).await.unwrap();
    assert!(dead.closed_by_accessory);
    assert!(dead.keepalives_received >= 1);
    let mut stats = rig.stats.clone();
    tokio::time::timeout(LIMIT, stats.wait_for(|s| s.links_dead >= 1))
        .await
        .unwrap()
        .unwrap();
    rig.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_end_stops_the_sender() {
    let rig = start(|_| {}, FAST).await;
    rig.triggers.send(Trigger::SourceEnded).await.unwrap();
    let res = tokio::time::timeout(LIMIT, rig.server).await.unwrap();
    assert!(res.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bytes_are_counted_and_the_link_keeps_working() {
    use ama_proto::envelope;
    use ama_proto::proto::{
        control_envelope::Payload, response, Command as C, GetDeviceInformation,
    };
    use ama_proto::transport::{encode_control, encode_envelope, Decoder, Frame, VersionPacket};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let rig = start(|_| {}, FAST).await;
    let mut s = tokio::net::TcpStream::connect(rig.addr.trim_start_matches("tcp://"))
        .await
        .unwrap();
    let mut v = [0u8; 20];
    s.read_exact(&mut v).await.unwrap();
    VersionPacket::decode(&v).unwrap();
    let mut bytes = vec![0xDE, 0xAD, 0xBE, 0xEF]; // garbage: bad header, resync
    bytes.extend([0x11, 0x00, 0x01, 0x00]); // a frame on stream 2
    encode_control(&[0xFF, 0xFF, 0xFF, 0xFF], &mut bytes); // not a protobuf
    encode_envelope(
        &envelope::request(
            C::GetDeviceInformation,
            Payload::GetDeviceInformation(GetDeviceInformation { device_id: 0 }),
        ),
        &mut bytes,
    );
    s.write_all(&bytes).await.unwrap();
    let mut d = Decoder::default();
    let mut buf = [0u8; 1024];
    let reply = loop {
        let n = tokio::time::timeout(LIMIT, s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the engine closed the link");
        d.push(&buf[..n]);
        if let Some(Ok(Frame::Control(b))) = d.next_frame() {
            break envelope::decode(&b).unwrap();
        }
    };
    let r = envelope::response_of(&reply).unwrap();
    assert!(matches!(
        r.payload,
        Some(response::Payload::DeviceInformation(_))
    ));
    let mut stats = rig.stats.clone();
    let st = *tokio::time::timeout(LIMIT, stats.wait_for(|s| s.envelopes_in >= 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st.bad_envelopes, 1);
    rig.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_controls_reach_the_bluetooth_side_and_feature_changes_reach_the_phone() {
    use ama_engine::ama::AmaService;
    use ama_proto::envelope;
    use ama_proto::proto::{
        control_envelope::Payload, state, Command as C, IssueMediaControl, MediaControl,
    };
    use ama_proto::session::FeatureValue;
    use ama_proto::transport::{encode_envelope, Decoder, Frame};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let cfg = ama_support::config(dir.path(), |_| {});
    let mut svc = AmaService::new(std::sync::Arc::new(cfg));
    let mut media = svc.media_controls(4);
    let features = svc.feature_updates(4);
    let bound = svc.on_bound();
    let (_prod, cons) = rtrb::RingBuffer::new(64);
    let (cmd_tx, _cmd_rx) = tokio::sync::mpsc::channel(4);
    let (sd_tx, sd_rx) = tokio::sync::watch::channel(false);
    svc.shutdown_on(sd_rx);
    let server = tokio::spawn(svc.run(cons, cmd_tx));
    let addr = bound.await.unwrap();
    let mut s = tokio::net::TcpStream::connect(addr.trim_start_matches("tcp://"))
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    s.read_exact(&mut buf[..20]).await.unwrap();

    let mut req = Vec::new();
    encode_envelope(
        &envelope::request(
            C::IssueMediaControl,
            Payload::IssueMediaControl(IssueMediaControl {
                control: MediaControl::Next as i32,
            }),
        ),
        &mut req,
    );
    s.write_all(&req).await.unwrap();
    let m = tokio::time::timeout(LIMIT, media.recv()).await.unwrap();
    assert_eq!(m, Some(MediaControl::Next));

    features
        .send((0x132, FeatureValue::Bool(true)))
        .await
        .unwrap();
    let mut d = Decoder::default();
    let sync = loop {
        let n = tokio::time::timeout(LIMIT, s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        d.push(&buf[..n]);
        let mut found = None;
        while let Some(Ok(Frame::Control(b))) = d.next_frame() {
            let env = envelope::decode(&b).unwrap();
            if let Some(Payload::SynchronizeState(st)) = env.payload {
                found = st.state;
            }
        }
        if let Some(st) = found {
            break st;
        }
    };
    assert_eq!(
        (sync.feature, sync.value),
        (0x132, Some(state::Value::Boolean(true)))
    );
    sd_tx.send(true).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_rejects_a_bad_version_packet() {
    use tokio::io::AsyncWriteExt;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("tcp://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut v = ama_proto::transport::VersionPacket::new(0, 0).encode();
        v[2] = 9; // major 9
        s.write_all(&v).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    });
    let err = phone::run(phone_opts(&addr)).await.unwrap_err();
    assert!(matches!(err, phone::PhoneError::Version(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_link_carries_an_utterance() {
    let sock_dir = tempfile::tempdir().unwrap();
    let path = sock_dir.path().join("ama.sock");
    let link = ama_engine::config::AmaLink::Unix(path.clone());
    let rig = start(|c| c.ama.link = link, FAST).await;
    assert!(rig.addr.starts_with("unix:"));
    let mut o = phone_opts(&rig.addr);
    o.utterances = Some(1);
    let ph = tokio::spawn(phone::run(o));
    when_linked(&rig, Trigger::Hold { release_after: 25 }).await;
    let report = ph.await.unwrap().unwrap();
    assert_eq!(report.utterances[0].packets, rig.stream(1).unwrap().sent);
    assert_eq!(report.utterances[0].packets.len(), 25);
    rig.stop().await.unwrap();
    assert!(!path.exists(), "the socket file is removed on shutdown");
}
