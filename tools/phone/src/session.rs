//! One session of the tool with an accessory: the dialog logic (answers, speech states,
//! endpointing, multi-turn, keep-alives) on decoded frames; `run_with` in lib.rs owns the
//! link and the loop. Not real-time safe (an ordinary async client).

use tokio::time::Instant;

use ama_proto::envelope;
use ama_proto::proto::{
    control_envelope::Payload, response, speech_initiator, Command as AmaCommand, ControlEnvelope,
    Dialog, EndpointSpeech, ErrorCode, NotifySpeechState, ProvideSpeech, SpeechState, StopSpeech,
};
use ama_proto::transport::encode_envelope;

use crate::{Ending, PhoneOptions, PhoneReport, PhoneRequest, Utterance};

pub(crate) struct Phone {
    pub(crate) opts: PhoneOptions,
    pub(crate) report: PhoneReport,
    pub(crate) out: Vec<u8>,
    /// Index in report.utterances of the utterance receiving voice.
    pub(crate) current: Option<usize>,
    /// When to endpoint / stop the current utterance.
    pub(crate) deadline: Option<(Instant, PhoneRequest)>,
    /// Turns of PROVIDE_SPEECH left in the current dialog.
    pub(crate) turns_left: u32,
    pub(crate) ended: usize,
    pub(crate) done_at: Option<Instant>,
    pub(crate) drop_at: Option<Instant>,
}

impl Phone {
    pub(crate) fn say(&self, line: std::fmt::Arguments<'_>) {
        if !self.opts.quiet {
            println!("phone: {line}");
        }
    }

    pub(crate) fn send(&mut self, env: ControlEnvelope) {
        encode_envelope(&env, &mut self.out);
    }

    pub(crate) fn reply(
        &mut self,
        command: i32,
        code: ErrorCode,
        payload: Option<response::Payload>,
    ) {
        self.send(envelope::reply(command, code, payload));
    }

    pub(crate) fn states(&mut self, states: &[SpeechState]) {
        for s in states {
            self.send(envelope::request(
                AmaCommand::NotifySpeechState,
                Payload::NotifySpeechState(NotifySpeechState { state: *s as i32 }),
            ));
        }
    }

    pub(crate) fn open(&mut self, u: Utterance, now: Instant) {
        self.report.utterances.push(u);
        self.current = Some(self.report.utterances.len() - 1);
        self.deadline = match (self.opts.stop_after, self.opts.endpoint_after) {
            (Some(t), _) => Some((now + t, PhoneRequest::Stop)),
            (None, Some(t)) => Some((now + t, PhoneRequest::Endpoint)),
            (None, None) => None,
        };
        if self.drop_at.is_none() {
            self.drop_at = self.opts.drop_after.map(|d| now + d);
        }
        self.states(&[SpeechState::Listening]);
    }

    /// Marks the current utterance ended; voice frames still in flight keep going to it.
    pub(crate) fn close(&mut self, ending: Ending, now: Instant) {
        self.deadline = None;
        let Some(i) = self.current else { return };
        let u = &mut self.report.utterances[i];
        if u.ending != Ending::Open {
            return;
        }
        u.ending = ending;
        let (dialog, n, secs) = (u.dialog, u.packets.len(), u.seconds());
        self.say(format_args!(
            "dialog {dialog}: ended ({ending:?}) after {n} Opus frames ({secs:.2} s so far)"
        ));
        self.ended += 1;
        self.states(&[SpeechState::Processing, SpeechState::Speaking]);
        if self.turns_left > 0
            && ending != Ending::PhoneStop
            && !matches!(ending, Ending::AccessoryStop(_))
        {
            self.turns_left -= 1;
            self.say(format_args!(
                "dialog {dialog}: -> PROVIDE_SPEECH (multi-turn)"
            ));
            self.send(envelope::request(
                AmaCommand::ProvideSpeech,
                Payload::ProvideSpeech(ProvideSpeech {
                    dialog: Some(Dialog { id: dialog }),
                }),
            ));
        } else {
            self.states(&[SpeechState::Idle]);
            if let Some(want) = self.opts.utterances {
                if self.ended >= want {
                    self.done_at = Some(now + self.opts.linger);
                }
            }
        }
    }

    pub(crate) fn request(&mut self, r: PhoneRequest, now: Instant) {
        let Some(i) = self.current else { return };
        let dialog = self.report.utterances[i].dialog;
        match r {
            PhoneRequest::Endpoint => {
                self.say(format_args!("dialog {dialog}: -> ENDPOINT_SPEECH"));
                self.send(envelope::request(
                    AmaCommand::EndpointSpeech,
                    Payload::EndpointSpeech(EndpointSpeech {
                        dialog: Some(Dialog { id: dialog }),
                    }),
                ));
                self.close(Ending::PhoneEndpoint, now);
            }
            PhoneRequest::Stop => {
                self.say(format_args!(
                    "dialog {dialog}: -> STOP_SPEECH (USER_CANCELLED)"
                ));
                self.send(envelope::request(
                    AmaCommand::StopSpeech,
                    Payload::StopSpeech(StopSpeech {
                        error_code: ErrorCode::UserCancelled as i32,
                        dialog: Some(Dialog { id: dialog }),
                    }),
                ));
                self.close(Ending::PhoneStop, now);
            }
            PhoneRequest::ProvideSpeech => {
                self.turns_left += 1;
                self.send(envelope::request(
                    AmaCommand::ProvideSpeech,
                    Payload::ProvideSpeech(ProvideSpeech {
                        dialog: Some(Dialog { id: dialog }),
                    }),
                ));
            }
            PhoneRequest::Quit => {}
        }
    }

    pub(crate) fn on_envelope(&mut self, env: ControlEnvelope, now: Instant) {
        let name = envelope::command_name(env.command);
        if let Some(resp) = envelope::response_of(&env).cloned() {
            self.on_response(env.command, resp, now);
            return;
        }
        if matches!(env.payload, Some(Payload::KeepAlive(_))) {
            self.report.keepalives_received += 1;
        }
        if self.opts.silent {
            self.say(format_args!("<- {name} (not answered: silent)"));
            return;
        }
        match env.payload {
            Some(Payload::StartSpeech(s)) => {
                let dialog = s.dialog.map(|d| d.id).unwrap_or(0);
                let settings = s.settings.unwrap_or_default();
                let init = s.initiator.unwrap_or_default();
                let wake = init
                    .wake_word
                    .map(|w| (w.start_index_in_samples, w.end_index_in_samples));
                let kind = speech_initiator::Type::try_from(init.r#type)
                    .map(|t| t.as_str_name())
                    .unwrap_or("?");
                self.say(format_args!(
                    "<- START_SPEECH dialog {dialog} {kind} wake={wake:?} profile={} format={}",
                    settings.audio_profile, settings.audio_format
                ));
                if self.opts.busy {
                    self.report.busy_answers += 1;
                    self.say(format_args!("dialog {dialog}: -> BUSY"));
                    self.reply(env.command, ErrorCode::Busy, None);
                    return;
                }
                self.reply(
                    env.command,
                    ErrorCode::Success,
                    Some(response::Payload::Dialog(Dialog { id: dialog })),
                );
                self.turns_left = self.opts.multi_turn;
                let u = Utterance::new(
                    dialog,
                    init.r#type,
                    wake,
                    settings.audio_profile,
                    settings.audio_format,
                    false,
                );
                self.open(u, now);
            }
            Some(Payload::EndpointSpeech(e)) => {
                self.say(format_args!(
                    "<- ENDPOINT_SPEECH dialog {:?}",
                    e.dialog.map(|d| d.id)
                ));
                self.reply(env.command, ErrorCode::Success, None);
                self.close(Ending::AccessoryEndpoint, now);
            }
            Some(Payload::StopSpeech(s)) => {
                self.say(format_args!(
                    "<- STOP_SPEECH dialog {:?} error {}",
                    s.dialog.map(|d| d.id),
                    s.error_code
                ));
                self.reply(env.command, ErrorCode::Success, None);
                self.turns_left = 0;
                self.close(Ending::AccessoryStop(s.error_code), now);
            }
            Some(Payload::KeepAlive(_)) => {
                self.reply(env.command, ErrorCode::Success, None);
            }
            _ => {
                self.say(format_args!("<- {name}: SUCCESS"));
                self.reply(env.command, ErrorCode::Success, None);
            }
        }
    }

    pub(crate) fn on_response(
        &mut self,
        command: i32,
        resp: ama_proto::proto::Response,
        now: Instant,
    ) {
        let name = envelope::command_name(command);
        self.report.replies.push((name.clone(), resp.error_code));
        match resp.payload {
            Some(response::Payload::DeviceInformation(i)) => {
                self.say(format_args!(
                    "device: {:?} serial {:?} type {:?} wake words {:?} initiations {:?} transports {:?} metadata {:?}",
                    i.name, i.serial_number, i.device_type, i.supported_wakewords,
                    i.supported_speech_initiations, i.supported_transports, i.metadata
                ));
                self.report.device_information = Some(i);
            }
            Some(response::Payload::DeviceConfiguration(c)) => {
                self.say(format_args!(
                    "configuration: needs_setup={} needs_assistant_override={}",
                    c.needs_setup, c.needs_assistant_override
                ));
                self.report.device_configuration = Some(c);
            }
            Some(response::Payload::DeviceFeatures(f)) => {
                self.say(format_args!("features: {:#x}", f.features));
                self.report.device_features = Some(f);
            }
            Some(response::Payload::SpeechProvider(p)) => {
                let dialog = p.dialog.map(|d| d.id).unwrap_or(0);
                let s = p.speech_settings.unwrap_or_default();
                self.say(format_args!(
                    "dialog {dialog}: accessory provides speech (multi-turn)"
                ));
                let u = Utterance::new(dialog, 0, None, s.audio_profile, s.audio_format, true);
                self.open(u, now);
            }
            _ => {
                if command == AmaCommand::KeepAlive as i32 {
                    self.report.keepalive_replies += 1;
                } else if resp.error_code != 0 {
                    self.say(format_args!(
                        "{name} answered with error {}",
                        resp.error_code
                    ));
                    if command == AmaCommand::ProvideSpeech as i32 {
                        self.states(&[SpeechState::Idle]);
                    }
                }
            }
        }
    }

    pub(crate) fn on_voice(&mut self, payload: &[u8]) {
        match self.current {
            Some(i) => self.report.utterances[i].push_voice(payload),
            None => self.say(format_args!(
                "voice frame outside an utterance ({} bytes)",
                payload.len()
            )),
        }
    }
}
