//! Golden bytes: every test vector of spec/ama-protocol.md ("Test vectors") is produced exactly
//! by our encoder and parsed back exactly by our decoder.

use ama_proto::envelope;
use ama_proto::proto::control_envelope::Payload;
use ama_proto::proto::speech_initiator::Type as InitiatorType;
use ama_proto::proto::*;
use ama_proto::transport::{encode_envelope, encode_voice, Decoder, Frame, VersionPacket};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// Encodes `env` as a frame, compares with `want`, then decodes `want` and compares the envelope.
fn golden(env: ControlEnvelope, want: &str) {
    let want = hex(want);
    let mut out = Vec::new();
    assert!(encode_envelope(&env, &mut out));
    assert_eq!(out, want, "encoding of {env:?}");
    let mut d = Decoder::default();
    d.push(&want);
    let Some(Ok(Frame::Control(body))) = d.next_frame() else {
        panic!("no control frame in {want:02X?}");
    };
    assert_eq!(d.next_frame(), None);
    assert_eq!(envelope::decode(&body).unwrap(), env);
}

fn dialog(id: u32) -> Option<Dialog> {
    Some(Dialog { id })
}

fn settings() -> Option<SpeechSettings> {
    Some(SpeechSettings {
        audio_profile: AudioProfile::NearField as i32,
        audio_format: AudioFormat::Opus16khz32kbpsCbr020ms as i32,
        audio_source: AudioSource::Stream as i32,
    })
}

#[test]
fn version_packet() {
    let mut want = hex("FE 03 01 00 03 20 13 88");
    want.extend([0u8; 12]);
    assert_eq!(VersionPacket::new(800, 5000).encode().to_vec(), want);
    assert_eq!(
        VersionPacket::decode(&want).unwrap(),
        VersionPacket::new(800, 5000)
    );
}

#[test]
fn reset_connection_from_a_shipping_headset() {
    golden(
        envelope::request(
            Command::ResetConnection,
            Payload::ResetConnection(ResetConnection {
                timeout: 60,
                force_disconnect: true,
                reset_reason: 0,
            }),
        ),
        "10 00 09 08 33 9A 03 04 08 3C 10 01",
    );
}

#[test]
fn get_device_information() {
    golden(
        envelope::request(
            Command::GetDeviceInformation,
            Payload::GetDeviceInformation(GetDeviceInformation { device_id: 0 }),
        ),
        "10 00 05 08 14 A2 01 00",
    );
}

#[test]
fn start_speech_tap() {
    golden(
        envelope::request(
            Command::StartSpeech,
            Payload::StartSpeech(StartSpeech {
                settings: settings(),
                initiator: Some(SpeechInitiator {
                    r#type: InitiatorType::Tap as i32,
                    wake_word: None,
                }),
                dialog: dialog(1),
                suppress_endpoint_earcon: false,
                suppress_start_earcon: false,
            }),
        ),
        "10 00 12 08 0B 5A 0E 0A 04 08 01 10 01 12 02 08 03 1A 02 08 01",
    );
}

#[test]
fn start_speech_wakeword() {
    golden(
        envelope::request(
            Command::StartSpeech,
            Payload::StartSpeech(StartSpeech {
                settings: settings(),
                initiator: Some(SpeechInitiator {
                    r#type: InitiatorType::Wakeword as i32,
                    wake_word: Some(WakeWord {
                        start_index_in_samples: 8000,
                        end_index_in_samples: 16000,
                        near_miss: false,
                        metadata: Vec::new(),
                    }),
                }),
                dialog: dialog(2),
                suppress_endpoint_earcon: false,
                suppress_start_earcon: false,
            }),
        ),
        "10 00 1A 08 0B 5A 16 0A 04 08 01 10 01 12 0A 08 04 12 06 08 C0 3E 10 80 7D 1A 02 08 02",
    );
}

#[test]
fn start_speech_response() {
    golden(
        envelope::reply(
            Command::StartSpeech as i32,
            ErrorCode::Success,
            Some(response::Payload::Dialog(Dialog { id: 1 })),
        ),
        "10 00 08 08 0B 4A 04 72 02 08 01",
    );
}

#[test]
fn notify_speech_state_listening() {
    golden(
        envelope::request(
            Command::NotifySpeechState,
            Payload::NotifySpeechState(NotifySpeechState {
                state: SpeechState::Listening as i32,
            }),
        ),
        "10 00 06 08 0E 72 02 08 01",
    );
}

#[test]
fn endpoint_speech() {
    golden(
        envelope::request(
            Command::EndpointSpeech,
            Payload::EndpointSpeech(EndpointSpeech { dialog: dialog(1) }),
        ),
        "10 00 08 08 0D 6A 04 0A 02 08 01",
    );
}

#[test]
fn stop_speech_user_cancelled() {
    golden(
        envelope::request(
            Command::StopSpeech,
            Payload::StopSpeech(StopSpeech {
                error_code: ErrorCode::UserCancelled as i32,
                dialog: dialog(1),
            }),
        ),
        "10 00 0A 08 0C 62 06 08 04 12 02 08 01",
    );
}

#[test]
fn keep_alive_and_its_response() {
    golden(
        envelope::request(Command::KeepAlive, Payload::KeepAlive(KeepAlive {})),
        "10 00 05 08 37 BA 03 00",
    );
    golden(
        envelope::reply(Command::KeepAlive as i32, ErrorCode::Success, None),
        "10 00 04 08 37 4A 00",
    );
}

#[test]
fn voice_frame_headers() {
    for (len, want) in [(80usize, "10 80 50"), (300, "10 81 01 2C")] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut out = Vec::new();
        assert!(encode_voice(&payload, &mut out));
        let want = hex(want);
        assert_eq!(&out[..want.len()], want.as_slice());
        let mut d = Decoder::default();
        d.push(&out);
        assert_eq!(d.next_frame(), Some(Ok(Frame::Voice(payload))));
    }
}
