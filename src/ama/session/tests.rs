//! Unit tests of the session: each command's accessory-side behaviour and the speech flow.

use std::time::Duration;

use super::*;
use crate::ama::proto::{
    response, speech_initiator, state, AudioProfile, CompleteSetup, ConnectionDetails,
    DeviceConfiguration, Dialog, EndpointSpeech, ErrorCode, ForwardAtCommand,
    GetDeviceConfiguration, GetDeviceInformation, GetLocales, GetState, IssueMediaControl, Locale,
    ProvideSpeech, RemoveDevice, ResetConnection, SetLocale, SetState, State, StopSpeech,
    SwitchTransport, UpgradeTransport,
};
use crate::config::Config;
use crate::realtime::messages::{EndReason, Initiator, OpusFrame, WakeWordIndices, MAX_PACKET};

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn settings() -> SessionSettings {
    let mut cfg = Config::default();
    cfg.ama.battery_percent = Some(80);
    cfg.ama.bd_addr = "01:23:45:67:89:AB".into();
    cfg.ama.keepalive_ms = 1000;
    cfg.ama.link_timeout_ms = 3000;
    SessionSettings::from_config(&cfg)
}

fn linked_with(store: MemoryStore) -> Session {
    let mut s = Session::new(settings(), Box::new(store));
    s.link_up(
        ms(0),
        LinkInfo {
            transport: Transport::BluetoothRfcomm,
            mtu: 990,
            ble: false,
        },
    );
    s
}

fn linked() -> Session {
    linked_with(MemoryStore::default())
}

fn req(cmd: AmaCommand, p: Payload) -> ControlEnvelope {
    envelope::request(cmd, p)
}

/// Sends `env` and returns the single reply's error code and payload.
fn ask(
    s: &mut Session,
    env: ControlEnvelope,
    out: &mut Output,
) -> (ErrorCode, Option<response::Payload>) {
    let cmd = env.command;
    out.clear();
    s.on_envelope(ms(10), env, out);
    let replies: Vec<_> = out
        .send
        .iter()
        .filter_map(|o| match o {
            Outgoing::Control(e) if e.command == cmd => envelope::response_of(e).cloned(),
            _ => None,
        })
        .collect();
    assert_eq!(replies.len(), 1, "one reply expected: {:?}", out.send);
    let r = replies[0].clone();
    (ErrorCode::try_from(r.error_code).unwrap(), r.payload)
}

fn envelopes(out: &Output) -> Vec<&ControlEnvelope> {
    out.send
        .iter()
        .filter_map(|o| match o {
            Outgoing::Control(e) => Some(&**e),
            Outgoing::Voice(_) => None,
        })
        .collect()
}

fn voice_bytes(out: &Output) -> Vec<u8> {
    out.send
        .iter()
        .filter_map(|o| match o {
            Outgoing::Voice(v) => Some(v.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn frame(stream: u32, seq: u32) -> OpusFrame {
    let mut data = [0u8; MAX_PACKET];
    data[..80].fill(seq as u8);
    OpusFrame {
        stream,
        seq,
        capture_ns: 0,
        first_sample: u64::from(seq) * 320,
        len: 80,
        data,
    }
}

fn started(stream: u32, initiator: Initiator, wake: Option<WakeWordIndices>) -> Outbound {
    Outbound::StreamStarted {
        stream,
        initiator,
        wake,
        first_sample: 0,
        score: 0.0,
    }
}

/// Starts a stream and returns the START_SPEECH payload it produced.
fn start(
    s: &mut Session,
    stream: u32,
    initiator: Initiator,
    out: &mut Output,
) -> crate::ama::proto::StartSpeech {
    out.clear();
    let wake = (initiator == Initiator::Wakeword).then_some(WakeWordIndices {
        start_index_in_samples: 8000,
        end_index_in_samples: 14_400,
    });
    s.on_outbound(ms(20), started(stream, initiator, wake), out);
    let e = envelopes(out);
    assert_eq!(e.len(), 1, "{:?}", out.send);
    match &e[0].payload {
        Some(Payload::StartSpeech(st)) => st.clone(),
        other => panic!("not START_SPEECH: {other:?}"),
    }
}

fn answer_start(s: &mut Session, code: ErrorCode, dialog: u32, out: &mut Output) {
    out.clear();
    s.on_envelope(
        ms(30),
        envelope::reply(
            AmaCommand::StartSpeech as i32,
            code,
            Some(response::Payload::Dialog(Dialog { id: dialog })),
        ),
        out,
    );
}

#[test]
fn device_information_comes_from_config() {
    let mut s = linked();
    let mut out = Output::default();
    let (code, p) = ask(
        &mut s,
        req(
            AmaCommand::GetDeviceInformation,
            Payload::GetDeviceInformation(GetDeviceInformation { device_id: 0 }),
        ),
        &mut out,
    );
    assert_eq!(code, ErrorCode::Success);
    let Some(response::Payload::DeviceInformation(info)) = p else {
        panic!("{p:?}")
    };
    assert_eq!(info.name, "AMA Engine");
    assert_eq!(info.supported_wakewords, vec!["ALEXA".to_string()]);
    assert_eq!(info.supported_speech_initiations, vec![2, 1, 0]);
    assert_eq!(info.battery.unwrap().level, 80);
    assert_eq!(info.metadata["firmware_version"], env!("CARGO_PKG_VERSION"));
    let (code, _) = ask(
        &mut s,
        req(
            AmaCommand::GetDeviceInformation,
            Payload::GetDeviceInformation(GetDeviceInformation { device_id: 99 }),
        ),
        &mut out,
    );
    assert_eq!(code, ErrorCode::NotFound);
}

#[test]
fn setup_is_persisted_and_a_failed_save_answers_internal() {
    let mut s = linked();
    let mut out = Output::default();
    let get = || {
        req(
            AmaCommand::GetDeviceConfiguration,
            Payload::GetDeviceConfiguration(GetDeviceConfiguration {}),
        )
    };
    let (_, p) = ask(&mut s, get(), &mut out);
    assert_eq!(
        p,
        Some(response::Payload::DeviceConfiguration(
            DeviceConfiguration {
                needs_assistant_override: false,
                needs_setup: true
            }
        ))
    );
    let complete = || {
        req(
            AmaCommand::CompleteSetup,
            Payload::CompleteSetup(CompleteSetup { error_code: 0 }),
        )
    };
    assert_eq!(ask(&mut s, complete(), &mut out).0, ErrorCode::Success);
    assert!(!s.persisted().needs_setup);
    let (_, p) = ask(&mut s, get(), &mut out);
    assert_eq!(
        p,
        Some(response::Payload::DeviceConfiguration(
            DeviceConfiguration {
                needs_assistant_override: false,
                needs_setup: false
            }
        ))
    );

    let mut s = linked_with(MemoryStore {
        state: None,
        fail_saves: true,
    });
    assert_eq!(ask(&mut s, complete(), &mut out).0, ErrorCode::Internal);
    assert!(
        s.persisted().needs_setup,
        "state unchanged when it cannot be saved"
    );
    assert_eq!(s.stats().persist_failures, 1);
}

#[test]
fn state_table_and_wake_word_switch() {
    let mut s = linked();
    let mut out = Output::default();
    let (code, p) = ask(
        &mut s,
        req(
            AmaCommand::GetState,
            Payload::GetState(GetState { feature: 0x352 }),
        ),
        &mut out,
    );
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(
        p,
        Some(response::Payload::State(State {
            feature: 0x352,
            value: Some(state::Value::Boolean(true))
        }))
    );
    let set = |f, v| {
        req(
            AmaCommand::SetState,
            Payload::SetState(SetState {
                state: Some(State {
                    feature: f,
                    value: Some(v),
                }),
            }),
        )
    };
    assert_eq!(
        ask(&mut s, set(0x352, state::Value::Boolean(false)), &mut out).0,
        ErrorCode::Success
    );
    assert_eq!(out.commands, vec![Command::SetWakeWordEnabled(false)]);
    assert_eq!(
        ask(&mut s, set(0x132, state::Value::Boolean(true)), &mut out).0,
        ErrorCode::Unsupported
    );
    assert_eq!(
        ask(&mut s, set(0x350, state::Value::Integer(1)), &mut out).0,
        ErrorCode::Invalid
    );
    assert_eq!(
        ask(&mut s, set(0x999, state::Value::Boolean(true)), &mut out).0,
        ErrorCode::NotFound
    );
    // Earcon flags reach START_SPEECH.
    assert_eq!(
        ask(&mut s, set(0x350, state::Value::Boolean(false)), &mut out).0,
        ErrorCode::Success
    );
    let st = start(&mut s, 1, Initiator::Tap, &mut out);
    assert!(st.suppress_start_earcon && !st.suppress_endpoint_earcon);
    // The accessory's own changes are synchronized.
    out.clear();
    s.update_feature(ms(40), 0x132, FeatureValue::Bool(true), &mut out);
    assert!(matches!(
        envelopes(&out)[0].payload,
        Some(Payload::SynchronizeState(_))
    ));
}

#[test]
fn keep_alive_both_ways_and_link_dead() {
    let mut s = linked();
    let mut out = Output::default();
    assert_eq!(
        ask(
            &mut s,
            req(AmaCommand::KeepAlive, Payload::KeepAlive(KeepAlive {})),
            &mut out
        )
        .0,
        ErrorCode::Success
    );
    out.clear();
    s.tick(ms(500), &mut out);
    assert!(out.send.is_empty(), "a reply was just sent at 10 ms");
    s.tick(ms(1010), &mut out);
    assert_eq!(envelopes(&out).len(), 1);
    assert_eq!(envelopes(&out)[0].command, AmaCommand::KeepAlive as i32);
    // Start an utterance, then go silent: the link is declared dead and the stream ended.
    start(&mut s, 3, Initiator::Tap, &mut out);
    out.clear();
    s.tick(ms(3010), &mut out);
    assert_eq!(out.link, vec![LinkAction::Close(CloseReason::LinkDead)]);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 3,
            reason: EndReason::Stop
        }]
    );
    assert!(!s.is_linked());
    assert_eq!(s.stats().links_dead, 1);
}

#[test]
fn locales_reset_remove_transport_media_and_unsupported() {
    let mut s = linked();
    let mut out = Output::default();
    let (_, p) = ask(
        &mut s,
        req(AmaCommand::GetLocales, Payload::GetLocales(GetLocales {})),
        &mut out,
    );
    let Some(response::Payload::Locales(l)) = p else {
        panic!()
    };
    assert_eq!(l.current_locale.unwrap().name, "en-US");
    assert_eq!(l.supported_locales.len(), 3);
    let set = |n: &str| {
        req(
            AmaCommand::SetLocale,
            Payload::SetLocale(SetLocale {
                locale: Some(Locale { name: n.into() }),
            }),
        )
    };
    assert_eq!(ask(&mut s, set("de-DE"), &mut out).0, ErrorCode::Success);
    assert_eq!(s.persisted().locale.as_deref(), Some("de-DE"));
    assert_eq!(ask(&mut s, set("xx-XX"), &mut out).0, ErrorCode::Invalid);

    let (code, p) = ask(
        &mut s,
        req(
            AmaCommand::UpgradeTransport,
            Payload::UpgradeTransport(UpgradeTransport { transport: 1 }),
        ),
        &mut out,
    );
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(
        p,
        Some(response::Payload::ConnectionDetails(ConnectionDetails {
            identifier: vec![1, 0x23, 0x45, 0x67, 0x89, 0xAB]
        }))
    );
    assert_eq!(
        ask(
            &mut s,
            req(
                AmaCommand::UpgradeTransport,
                Payload::UpgradeTransport(UpgradeTransport { transport: 2 })
            ),
            &mut out
        )
        .0,
        ErrorCode::Unsupported
    );
    assert_eq!(
        ask(
            &mut s,
            req(
                AmaCommand::SwitchTransport,
                Payload::SwitchTransport(SwitchTransport { new_transport: 1 })
            ),
            &mut out
        )
        .0,
        ErrorCode::Success
    );
    assert_eq!(
        out.link,
        vec![LinkAction::SwitchedTo(Transport::BluetoothRfcomm)]
    );

    assert_eq!(
        ask(
            &mut s,
            req(
                AmaCommand::IssueMediaControl,
                Payload::IssueMediaControl(IssueMediaControl { control: 4 })
            ),
            &mut out
        )
        .0,
        ErrorCode::Success
    );
    assert_eq!(out.media, vec![MediaControl::PlayPause]);

    assert_eq!(
        ask(
            &mut s,
            req(
                AmaCommand::ForwardAtCommand,
                Payload::ForwardAtCommand(ForwardAtCommand {
                    command: "AT+X".into()
                })
            ),
            &mut out
        )
        .0,
        ErrorCode::Unsupported
    );
    let unknown = ControlEnvelope {
        command: 77,
        payload: None,
    };
    assert_eq!(ask(&mut s, unknown, &mut out).0, ErrorCode::Unsupported);
    let mismatched = ControlEnvelope {
        command: AmaCommand::GetState as i32,
        payload: Some(Payload::KeepAlive(KeepAlive {})),
    };
    assert_eq!(ask(&mut s, mismatched, &mut out).0, ErrorCode::Invalid);

    assert_eq!(
        ask(
            &mut s,
            req(
                AmaCommand::ResetConnection,
                Payload::ResetConnection(ResetConnection {
                    timeout: 0,
                    force_disconnect: false,
                    reset_reason: 0
                })
            ),
            &mut out
        )
        .0,
        ErrorCode::Success
    );
    assert!(out.link.is_empty() && s.is_linked());
    assert_eq!(
        ask(
            &mut s,
            req(
                AmaCommand::RemoveDevice,
                Payload::RemoveDevice(RemoveDevice {})
            ),
            &mut out
        )
        .0,
        ErrorCode::Success
    );
    assert_eq!(out.link, vec![LinkAction::Close(CloseReason::Removed)]);
    assert!(s.persisted().needs_setup);
}

#[test]
fn undecodable_envelope_is_counted_not_answered() {
    let mut s = linked();
    let mut out = Output::default();
    s.on_frame(ms(1), Frame::Control(vec![0xFF, 0xFF, 0xFF]), &mut out);
    assert!(out.send.is_empty());
    assert_eq!(s.stats().bad_envelopes, 1);
}

#[test]
fn wake_word_flow_buffers_until_success_then_packs_whole_frames() {
    let mut s = linked();
    let mut out = Output::default();
    let st = start(&mut s, 1, Initiator::Wakeword, &mut out);
    assert_eq!(st.dialog, Some(Dialog { id: 1 }));
    let init = st.initiator.unwrap();
    assert_eq!(init.r#type, speech_initiator::Type::Wakeword as i32);
    let w = init.wake_word.unwrap();
    assert_eq!(
        (w.start_index_in_samples, w.end_index_in_samples),
        (8000, 14_400)
    );
    assert_eq!(
        st.settings.unwrap().audio_profile,
        AudioProfile::NearField as i32
    );
    out.clear();
    for seq in 0..6 {
        s.on_outbound(ms(21), Outbound::Frame(frame(1, seq)), &mut out);
    }
    assert!(out.send.is_empty(), "nothing before SUCCESS");
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    assert_eq!(
        out.send.len(),
        1,
        "4 of 6 buffered frames in one voice frame"
    );
    for seq in 6..9 {
        s.on_outbound(ms(40), Outbound::Frame(frame(1, seq)), &mut out);
    }
    s.on_outbound(
        ms(50),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::LocalEndOfSpeech,
            frames: 9,
        },
        &mut out,
    );
    let v = voice_bytes(&out);
    assert_eq!(v.len(), 9 * 80);
    for seq in 0..9 {
        assert_eq!(v[seq * 80], seq as u8, "frame order");
    }
    let e = envelopes(&out);
    assert!(matches!(
        e.last().unwrap().payload,
        Some(Payload::EndpointSpeech(_))
    ));
    assert_eq!(s.stats().opus_frames_out, 9);
    assert_eq!(s.stats().seq_gaps, 0);
}

#[test]
fn phone_endpoint_and_stop_act_only_on_the_current_dialog() {
    let mut s = linked();
    let mut out = Output::default();
    start(&mut s, 1, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    let stop = |d| {
        req(
            AmaCommand::StopSpeech,
            Payload::StopSpeech(StopSpeech {
                error_code: 4,
                dialog: Some(Dialog { id: d }),
            }),
        )
    };
    assert_eq!(ask(&mut s, stop(7), &mut out).0, ErrorCode::NotFound);
    assert!(out.commands.is_empty());
    let ep = req(
        AmaCommand::EndpointSpeech,
        Payload::EndpointSpeech(EndpointSpeech {
            dialog: Some(Dialog { id: 1 }),
        }),
    );
    assert_eq!(ask(&mut s, ep, &mut out).0, ErrorCode::Success);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 1,
            reason: EndReason::Endpoint
        }]
    );
    // Frames still in flight from the real-time thread are dropped, and its end is silent.
    out.clear();
    s.on_outbound(ms(60), Outbound::Frame(frame(1, 0)), &mut out);
    s.on_outbound(
        ms(60),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Endpoint,
            frames: 1,
        },
        &mut out,
    );
    assert!(out.send.is_empty());
    // STOP_SPEECH on the next dialog.
    start(&mut s, 2, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Success, 2, &mut out);
    assert_eq!(ask(&mut s, stop(2), &mut out).0, ErrorCode::Success);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 2,
            reason: EndReason::Stop
        }]
    );
}

#[test]
fn press_and_hold_release_sends_endpoint_even_before_success() {
    let mut s = linked();
    let mut out = Output::default();
    let st = start(&mut s, 1, Initiator::PressAndHold, &mut out);
    assert_eq!(
        st.settings.unwrap().audio_profile,
        AudioProfile::CloseTalk as i32
    );
    assert_eq!(
        st.initiator.unwrap().r#type,
        speech_initiator::Type::PressAndHold as i32
    );
    out.clear();
    s.on_outbound(ms(21), Outbound::Frame(frame(1, 0)), &mut out);
    s.on_outbound(
        ms(22),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Release,
            frames: 1,
        },
        &mut out,
    );
    assert!(out.send.is_empty());
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    assert_eq!(voice_bytes(&out).len(), 80);
    let e = envelopes(&out);
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].payload,
        Some(Payload::EndpointSpeech(EndpointSpeech {
            dialog: Some(Dialog { id: 1 })
        }))
    );
    assert!(out.commands.is_empty(), "the stream had already ended");
}

#[test]
fn provide_speech_continues_the_dialog_or_answers_busy() {
    let mut s = linked();
    let mut out = Output::default();
    start(&mut s, 1, Initiator::Wakeword, &mut out);
    let provide = |d| {
        req(
            AmaCommand::ProvideSpeech,
            Payload::ProvideSpeech(ProvideSpeech {
                dialog: Some(Dialog { id: d }),
            }),
        )
    };
    assert_eq!(ask(&mut s, provide(1), &mut out).0, ErrorCode::Busy);
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    let ep = req(
        AmaCommand::EndpointSpeech,
        Payload::EndpointSpeech(EndpointSpeech {
            dialog: Some(Dialog { id: 1 }),
        }),
    );
    ask(&mut s, ep, &mut out);
    s.on_outbound(
        ms(60),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Endpoint,
            frames: 0,
        },
        &mut out,
    );
    let (code, p) = ask(&mut s, provide(0x8000_0001), &mut out);
    assert_eq!(code, ErrorCode::Success);
    let Some(response::Payload::SpeechProvider(sp)) = p else {
        panic!("{p:?}")
    };
    assert_eq!(sp.dialog, Some(Dialog { id: 0x8000_0001 }));
    assert_eq!(out.commands, vec![Command::Continue]);
    // The continuation stream goes straight to voice frames, no START_SPEECH.
    out.clear();
    s.on_outbound(ms(70), started(2, Initiator::Continuation, None), &mut out);
    for seq in 0..4 {
        s.on_outbound(ms(71), Outbound::Frame(frame(2, seq)), &mut out);
    }
    assert_eq!(out.send.len(), 1);
    assert!(matches!(out.send[0], Outgoing::Voice(_)));
    assert_eq!(s.current_dialog(), Some(0x8000_0001));
}

#[test]
fn refusal_and_timeouts_stop_the_stream() {
    let mut s = linked();
    let mut out = Output::default();
    start(&mut s, 1, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Busy, 1, &mut out);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 1,
            reason: EndReason::Stop
        }]
    );
    assert_eq!(s.stats().streams_refused, 1);
    s.on_outbound(
        ms(31),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Stop,
            frames: 0,
        },
        &mut out,
    );

    // Never answered: STOP_SPEECH INTERNAL after start_timeout (5 s default).
    start(&mut s, 2, Initiator::Tap, &mut out);
    out.clear();
    s.on_envelope(
        ms(4000),
        envelope::request(AmaCommand::KeepAlive, Payload::KeepAlive(KeepAlive {})),
        &mut out,
    );
    s.tick(ms(5020), &mut out);
    let e = envelopes(&out);
    assert_eq!(
        e.last().unwrap().payload,
        Some(Payload::StopSpeech(StopSpeech {
            error_code: ErrorCode::Internal as i32,
            dialog: Some(Dialog { id: 2 })
        }))
    );
    assert!(out.commands.contains(&Command::End {
        stream: 2,
        reason: EndReason::Stop
    }));
    assert_eq!(s.stats().speech_timeouts, 1);
}

#[test]
fn no_link_or_link_drop_ends_the_stream() {
    let mut s = Session::new(settings(), Box::new(MemoryStore::default()));
    let mut out = Output::default();
    s.on_outbound(ms(0), started(1, Initiator::Tap, None), &mut out);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 1,
            reason: EndReason::Stop
        }]
    );
    assert!(out.send.is_empty());
    s.on_outbound(
        ms(0),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Stop,
            frames: 0,
        },
        &mut out,
    );

    let mut s = linked();
    start(&mut s, 5, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    out.clear();
    s.link_down(ms(40), &mut out);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 5,
            reason: EndReason::Stop
        }]
    );
    assert!(out.send.is_empty());
}

#[test]
fn sequence_gaps_are_counted() {
    let mut s = linked();
    let mut out = Output::default();
    start(&mut s, 1, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    for seq in [0, 1, 3] {
        s.on_outbound(ms(40), Outbound::Frame(frame(1, seq)), &mut out);
    }
    assert_eq!(s.stats().seq_gaps, 1);
}

#[test]
fn device_configuration_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(settings(), Box::new(FileStore::new(dir.path())));
    s.link_up(
        ms(0),
        LinkInfo {
            transport: Transport::BluetoothRfcomm,
            mtu: 990,
            ble: false,
        },
    );
    let mut out = Output::default();
    let complete = req(
        AmaCommand::CompleteSetup,
        Payload::CompleteSetup(CompleteSetup { error_code: 0 }),
    );
    assert_eq!(ask(&mut s, complete, &mut out).0, ErrorCode::Success);
    drop(s);
    let again = Session::new(settings(), Box::new(FileStore::new(dir.path())));
    assert_eq!(
        again.device_configuration(),
        DeviceConfiguration {
            needs_assistant_override: false,
            needs_setup: false
        }
    );
}

/// Random bytes from a seeded generator through the envelope decoder and the session, and
/// random mutations of valid envelopes: never a panic, and every decodable request is answered.
#[test]
fn seeded_random_envelopes_never_panic() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut s = linked();
    let mut out = Output::default();
    let seeds: Vec<Vec<u8>> = [
        req(
            AmaCommand::GetState,
            Payload::GetState(GetState { feature: 0x352 }),
        ),
        req(
            AmaCommand::ProvideSpeech,
            Payload::ProvideSpeech(ProvideSpeech {
                dialog: Some(Dialog { id: 1 }),
            }),
        ),
        req(
            AmaCommand::SetLocale,
            Payload::SetLocale(SetLocale {
                locale: Some(Locale {
                    name: "en-US".into(),
                }),
            }),
        ),
    ]
    .iter()
    .map(prost::Message::encode_to_vec)
    .collect();
    for round in 0..5000u64 {
        let mut bytes = if round % 2 == 0 {
            (0..rnd() % 64).map(|_| rnd() as u8).collect::<Vec<u8>>()
        } else {
            seeds[(rnd() % 3) as usize].clone()
        };
        if !bytes.is_empty() {
            let i = (rnd() as usize) % bytes.len();
            bytes[i] ^= rnd() as u8;
        }
        out.clear();
        let decodable = envelope::decode(&bytes).ok();
        s.on_frame(ms(round), Frame::Control(bytes), &mut out);
        if let Some(env) = decodable {
            if envelope::response_of(&env).is_none() {
                assert!(
                    envelopes(&out).iter().any(|e| e.command == env.command),
                    "request {env:?} not answered"
                );
            }
        }
        s.tick(ms(round), &mut out);
        if !s.is_linked() {
            s.link_up(
                ms(round),
                LinkInfo {
                    transport: Transport::BluetoothRfcomm,
                    mtu: 990,
                    ble: false,
                },
            );
        }
    }
}
