//! Unit tests of the session: helpers; control commands in `control.rs`, the speech flow in
//! `speech.rs`.

#![allow(unused_imports)] // the test files share these imports

mod control;
mod speech;

pub(super) use std::time::Duration;

pub(super) use super::*;
pub(super) use crate::proto::{
    response, speech_initiator, state, AudioProfile, CompleteSetup, ConnectionDetails,
    DeviceConfiguration, Dialog, EndpointSpeech, ErrorCode, ForwardAtCommand,
    GetDeviceConfiguration, GetDeviceInformation, GetLocales, GetState, IssueMediaControl, Locale,
    ProvideSpeech, RemoveDevice, ResetConnection, SetLocale, SetState, State, StopSpeech,
    SwitchTransport, UpgradeTransport,
};
pub(super) use engine_base::messages::{
    EndReason, Initiator, OpusFrame, WakeWordIndices, MAX_PACKET,
};

pub(super) fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

pub(super) fn settings() -> SessionSettings {
    SessionSettings {
        battery_percent: Some(80),
        bd_addr: [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB],
        keepalive: Some(ms(1000)),
        link_timeout: Some(ms(3000)),
        ..SessionSettings::default()
    }
}

pub(super) fn linked_with(store: MemoryStore) -> Session {
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

pub(super) fn linked() -> Session {
    linked_with(MemoryStore::default())
}

pub(super) fn req(cmd: AmaCommand, p: Payload) -> ControlEnvelope {
    envelope::request(cmd, p)
}

/// Sends `env` and returns the single reply's error code and payload.
pub(super) fn ask(
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

pub(super) fn envelopes(out: &Output) -> Vec<&ControlEnvelope> {
    out.send
        .iter()
        .filter_map(|o| match o {
            Outgoing::Control(e) => Some(&**e),
            Outgoing::Voice(_) => None,
        })
        .collect()
}

pub(super) fn voice_bytes(out: &Output) -> Vec<u8> {
    out.send
        .iter()
        .filter_map(|o| match o {
            Outgoing::Voice(v) => Some(v.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

pub(super) fn frame(stream: u32, seq: u32) -> OpusFrame {
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

pub(super) fn started(
    stream: u32,
    initiator: Initiator,
    wake: Option<WakeWordIndices>,
) -> Outbound {
    Outbound::StreamStarted {
        stream,
        initiator,
        wake,
        first_sample: 0,
        score: 0.0,
    }
}

/// Starts a stream and returns the START_SPEECH payload it produced.
pub(super) fn start(
    s: &mut Session,
    stream: u32,
    initiator: Initiator,
    out: &mut Output,
) -> crate::proto::StartSpeech {
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

pub(super) fn answer_start(s: &mut Session, code: ErrorCode, dialog: u32, out: &mut Output) {
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
