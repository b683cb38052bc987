//! Control commands: device information and configuration, setup, state, keep-alive, locales,
//! connection, transport, media, unsupported; persistence; random envelopes.

use super::*;

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
