//! The speech flow (spec/ama-protocol.md, "Speech flow"): START_SPEECH with settings and
//! initiator, frames buffered from the trigger until the phone answers SUCCESS, voice frames
//! until ENDPOINT_SPEECH / STOP_SPEECH for the current dialog, accessory endpoint on
//! press-and-hold release, PROVIDE_SPEECH for multi-turn, STOP_SPEECH (INTERNAL) on timeouts.

use std::collections::VecDeque;
use std::time::Duration;

use engine_base::messages::{Command, EndReason, Initiator, OpusFrame, WakeWordIndices};
use tracing::{debug, info, warn};

use crate::envelope;
use crate::proto::{
    control_envelope::Payload, response, speech_initiator, AudioProfile, AudioSource,
    Command as AmaCommand, Dialog, EndpointSpeech, ErrorCode, NotifySpeechState, ProvideSpeech,
    Response, SpeechInitiator, SpeechProvider, SpeechSettings, SpeechState, StartSpeech,
    StopSpeech, WakeWord,
};

use super::features::id;
use super::{Output, Session};

/// Where the current utterance is.
#[derive(Debug)]
pub(super) enum Speech {
    Idle,
    /// START_SPEECH sent; frames are buffered until the phone answers SUCCESS.
    Pending {
        stream: u32,
        dialog: u32,
        since: Duration,
        buffer: VecDeque<OpusFrame>,
        /// The real-time thread already ended the stream (e.g. a short press-and-hold).
        ended: Option<EndReason>,
        next_seq: u32,
    },
    /// Voice frames flow.
    Streaming {
        stream: u32,
        dialog: u32,
        since: Duration,
        next_seq: u32,
    },
    /// PROVIDE_SPEECH answered and Command::Continue sent; waiting for the continuation stream.
    Continuing {
        dialog: u32,
        since: Duration,
    },
}

impl Speech {
    fn dialog(&self) -> Option<u32> {
        match self {
            Self::Idle => None,
            Self::Pending { dialog, .. }
            | Self::Streaming { dialog, .. }
            | Self::Continuing { dialog, .. } => Some(*dialog),
        }
    }
}

/// The dialog id of the current utterance, if any (for logs and tests).
impl Session {
    pub fn current_dialog(&self) -> Option<u32> {
        self.speech.dialog()
    }

    fn settings_for(&self, profile: AudioProfile) -> SpeechSettings {
        SpeechSettings {
            audio_profile: profile as i32,
            audio_format: self.settings.format as i32,
            audio_source: AudioSource::Stream as i32,
        }
    }

    fn next_dialog(&mut self) -> u32 {
        // Accessory-made ids stay in 1..=0x7FFFFFFF.
        self.last_dialog = self.last_dialog % 0x7FFF_FFFF + 1;
        self.last_dialog
    }

    pub(super) fn stream_started(
        &mut self,
        now: Duration,
        stream: u32,
        initiator: Initiator,
        wake: Option<WakeWordIndices>,
        out: &mut Output,
    ) {
        self.stats.streams_started += 1;
        if self.link.is_none() {
            info!("ama: stream {stream} started with no phone linked; ending it");
            self.stats.streams_without_link += 1;
            self.end_stream(stream, EndReason::Stop, out);
            return;
        }
        if matches!(
            self.speech,
            Speech::Pending { .. } | Speech::Streaming { .. }
        ) {
            warn!("ama: stream {stream} started before the previous one ended; stopping that one");
            self.abort_speech(now, Some(ErrorCode::Internal), out);
        }
        if initiator == Initiator::Continuation {
            if let Speech::Continuing { dialog, .. } = self.speech {
                info!("ama: stream {stream} continues dialog {dialog}");
                self.packer.reset();
                self.speech = Speech::Streaming {
                    stream,
                    dialog,
                    since: now,
                    next_seq: 0,
                };
            } else {
                info!(
                    "ama: continuation stream {stream} with no PROVIDE_SPEECH pending; ending it"
                );
                self.end_stream(stream, EndReason::Stop, out);
            }
            return;
        }
        let dialog = self.next_dialog();
        let (profile, kind) = match initiator {
            Initiator::Wakeword => (
                self.settings.wakeword_profile,
                speech_initiator::Type::Wakeword,
            ),
            Initiator::PressAndHold => (
                self.settings.hold_profile,
                speech_initiator::Type::PressAndHold,
            ),
            Initiator::Tap | Initiator::Always | Initiator::Continuation => {
                (self.settings.tap_profile, speech_initiator::Type::Tap)
            }
        };
        let wake_word = match (kind, wake) {
            (speech_initiator::Type::Wakeword, Some(w)) => Some(WakeWord {
                start_index_in_samples: w.start_index_in_samples,
                end_index_in_samples: w.end_index_in_samples,
                near_miss: false,
                metadata: Vec::new(),
            }),
            _ => None,
        };
        let start = StartSpeech {
            settings: Some(self.settings_for(profile)),
            initiator: Some(SpeechInitiator {
                r#type: kind as i32,
                wake_word,
            }),
            dialog: Some(Dialog { id: dialog }),
            suppress_endpoint_earcon: !self.features.flag(id::END_OF_SPEECH_EARCON),
            suppress_start_earcon: !self.features.flag(id::START_OF_SPEECH_EARCON),
        };
        info!("ama: stream {stream} ({initiator:?}) -> START_SPEECH dialog {dialog}");
        self.packer.reset();
        self.speech = Speech::Pending {
            stream,
            dialog,
            since: now,
            buffer: VecDeque::new(),
            ended: None,
            next_seq: 0,
        };
        self.send(
            now,
            envelope::request(AmaCommand::StartSpeech, Payload::StartSpeech(start)),
            out,
        );
    }

    fn check_seq(&mut self, stream: u32, expected: u32, got: u32) {
        if got != expected {
            self.stats.seq_gaps += 1;
            warn!("ama: stream {stream}: frame {got} after {expected} expected (frames lost upstream)");
        }
    }

    pub(super) fn frame(&mut self, now: Duration, f: OpusFrame, out: &mut Output) {
        if self.ending_stream == Some(f.stream) {
            return;
        }
        let max_buffered = self.settings.max_buffered_frames;
        match &mut self.speech {
            Speech::Pending {
                stream,
                buffer,
                next_seq,
                ..
            } if *stream == f.stream => {
                let (s, expected) = (*stream, *next_seq);
                *next_seq = f.seq.wrapping_add(1);
                buffer.push_back(f);
                let overflow = buffer.len() > max_buffered;
                if overflow {
                    buffer.pop_front();
                    self.stats.buffer_overflow_dropped += 1;
                }
                self.check_seq(s, expected, f.seq);
            }
            Speech::Streaming {
                stream, next_seq, ..
            } if *stream == f.stream => {
                let (s, expected) = (*stream, *next_seq);
                *next_seq = f.seq.wrapping_add(1);
                self.check_seq(s, expected, f.seq);
                self.pack(now, &f, out);
            }
            _ => debug!(
                "ama: frame of stream {} outside an utterance dropped",
                f.stream
            ),
        }
    }

    fn pack(&mut self, now: Duration, f: &OpusFrame, out: &mut Output) {
        let Some(link) = self.link else { return };
        let mut done = Vec::new();
        self.packer.push(f.packet(), link.max_frame(), &mut done);
        for (payload, n) in done {
            self.send_voice(now, payload, n, out);
        }
    }

    fn flush_packer(&mut self, now: Duration, out: &mut Output) {
        if let Some((payload, n)) = self.packer.flush() {
            self.send_voice(now, payload, n, out);
        }
    }

    pub(super) fn stream_ended(
        &mut self,
        now: Duration,
        stream: u32,
        reason: EndReason,
        out: &mut Output,
    ) {
        if self.ending_stream == Some(stream) {
            self.ending_stream = None;
            return;
        }
        match &mut self.speech {
            Speech::Pending {
                stream: s, ended, ..
            } if *s == stream => {
                *ended = Some(reason);
            }
            Speech::Streaming {
                stream: s, dialog, ..
            } if *s == stream => {
                let dialog = *dialog;
                self.flush_packer(now, out);
                self.speech = Speech::Idle;
                self.accessory_end(now, dialog, reason, out);
            }
            _ => {}
        }
    }

    /// The accessory ends the utterance itself: ENDPOINT_SPEECH (release, local end of speech,
    /// maximum length, end of input) or STOP_SPEECH USER_CANCELLED (a stop on this side).
    fn accessory_end(&mut self, now: Duration, dialog: u32, reason: EndReason, out: &mut Output) {
        let env = if reason == EndReason::Stop {
            envelope::request(
                AmaCommand::StopSpeech,
                Payload::StopSpeech(StopSpeech {
                    error_code: ErrorCode::UserCancelled as i32,
                    dialog: Some(Dialog { id: dialog }),
                }),
            )
        } else {
            envelope::request(
                AmaCommand::EndpointSpeech,
                Payload::EndpointSpeech(EndpointSpeech {
                    dialog: Some(Dialog { id: dialog }),
                }),
            )
        };
        info!("ama: dialog {dialog}: stream ended ({reason:?}); accessory ends the speech");
        self.send(now, env, out);
    }

    pub(super) fn start_speech_answered(
        &mut self,
        now: Duration,
        resp: Response,
        out: &mut Output,
    ) {
        let Speech::Pending { .. } = self.speech else {
            debug!("ama: START_SPEECH answer with no utterance pending; ignored");
            return;
        };
        let Speech::Pending {
            stream,
            dialog,
            buffer,
            ended,
            next_seq,
            ..
        } = std::mem::replace(&mut self.speech, Speech::Idle)
        else {
            return;
        };
        if resp.error_code != ErrorCode::Success as i32 {
            info!(
                "ama: phone refused dialog {dialog} (error {}); ending stream {stream}",
                resp.error_code
            );
            self.stats.streams_refused += 1;
            if ended.is_none() {
                self.end_stream(stream, EndReason::Stop, out);
            }
            return;
        }
        info!(
            "ama: dialog {dialog} accepted; sending {} buffered frames",
            buffer.len()
        );
        self.speech = Speech::Streaming {
            stream,
            dialog,
            since: now,
            next_seq,
        };
        for f in &buffer {
            self.pack(now, f, out);
        }
        if let Some(reason) = ended {
            self.flush_packer(now, out);
            self.speech = Speech::Idle;
            self.accessory_end(now, dialog, reason, out);
        }
    }

    pub(super) fn provide_speech(&mut self, now: Duration, p: ProvideSpeech, out: &mut Output) {
        let raw = AmaCommand::ProvideSpeech as i32;
        let Some(Dialog { id: dialog }) = p.dialog else {
            self.send(now, envelope::reply(raw, ErrorCode::Invalid, None), out);
            return;
        };
        if !matches!(self.speech, Speech::Idle) {
            info!("ama: PROVIDE_SPEECH for dialog {dialog} while busy; answering BUSY");
            self.send(now, envelope::reply(raw, ErrorCode::Busy, None), out);
            return;
        }
        info!("ama: PROVIDE_SPEECH: opening the microphone again for dialog {dialog}");
        let provider = SpeechProvider {
            speech_settings: Some(self.settings_for(self.settings.tap_profile)),
            dialog: Some(Dialog { id: dialog }),
        };
        self.speech = Speech::Continuing { dialog, since: now };
        out.commands.push(Command::Continue);
        self.send(
            now,
            envelope::reply(
                raw,
                ErrorCode::Success,
                Some(response::Payload::SpeechProvider(provider)),
            ),
            out,
        );
    }

    fn phone_ends(
        &mut self,
        now: Duration,
        cmd: AmaCommand,
        dialog: Option<Dialog>,
        reason: EndReason,
        out: &mut Output,
    ) {
        let raw = cmd as i32;
        let Some(Dialog { id }) = dialog else {
            self.send(now, envelope::reply(raw, ErrorCode::Invalid, None), out);
            return;
        };
        if self.speech.dialog() != Some(id) {
            info!(
                "ama: {} for dialog {id}, not the current one; ignored",
                cmd.as_str_name()
            );
            self.send(now, envelope::reply(raw, ErrorCode::NotFound, None), out);
            return;
        }
        info!("ama: phone sent {} for dialog {id}", cmd.as_str_name());
        self.send(now, envelope::reply(raw, ErrorCode::Success, None), out);
        match std::mem::replace(&mut self.speech, Speech::Idle) {
            Speech::Pending { stream, ended, .. } => {
                if ended.is_none() {
                    self.end_stream(stream, reason, out);
                }
            }
            Speech::Streaming { stream, .. } => self.end_stream(stream, reason, out),
            Speech::Continuing { .. } => out.commands.push(Command::End { stream: 0, reason }),
            Speech::Idle => {}
        }
        self.packer.reset();
    }

    pub(super) fn phone_endpoint(&mut self, now: Duration, p: EndpointSpeech, out: &mut Output) {
        self.phone_ends(
            now,
            AmaCommand::EndpointSpeech,
            p.dialog,
            EndReason::Endpoint,
            out,
        );
    }

    pub(super) fn phone_stop(&mut self, now: Duration, p: StopSpeech, out: &mut Output) {
        self.phone_ends(now, AmaCommand::StopSpeech, p.dialog, EndReason::Stop, out);
    }

    pub(super) fn speech_state(&mut self, now: Duration, p: NotifySpeechState, out: &mut Output) {
        let raw = AmaCommand::NotifySpeechState as i32;
        match SpeechState::try_from(p.state) {
            Ok(s) => {
                info!("ama: phone speech state {}", s.as_str_name());
                self.send(now, envelope::reply(raw, ErrorCode::Success, None), out);
            }
            Err(_) => self.send(now, envelope::reply(raw, ErrorCode::Invalid, None), out),
        }
    }

    /// Tells the real-time thread to end `stream`; its remaining frames are dropped here.
    fn end_stream(&mut self, stream: u32, reason: EndReason, out: &mut Output) {
        self.ending_stream = Some(stream);
        out.commands.push(Command::End { stream, reason });
    }

    pub(super) fn speech_timers(&mut self, now: Duration, out: &mut Output) {
        let (since, limit) = match &self.speech {
            Speech::Idle => return,
            Speech::Pending { since, .. } | Speech::Continuing { since, .. } => {
                (*since, self.settings.start_timeout)
            }
            Speech::Streaming { since, .. } => (*since, self.settings.endpoint_timeout),
        };
        if now.saturating_sub(since) >= limit {
            warn!(
                "ama: dialog {:?}: no answer from the phone for {} ms; STOP_SPEECH (INTERNAL)",
                self.speech.dialog(),
                limit.as_millis()
            );
            self.stats.speech_timeouts += 1;
            self.abort_speech(now, Some(ErrorCode::Internal), out);
        }
    }

    /// Stops the current utterance: STOP_SPEECH with `code` (if given and a link is up) and
    /// Command::End for its stream.
    pub(super) fn abort_speech(
        &mut self,
        now: Duration,
        code: Option<ErrorCode>,
        out: &mut Output,
    ) {
        let dialog = self.speech.dialog();
        match std::mem::replace(&mut self.speech, Speech::Idle) {
            Speech::Idle => return,
            Speech::Pending { stream, ended, .. } => {
                if ended.is_none() {
                    self.end_stream(stream, EndReason::Stop, out);
                }
            }
            Speech::Streaming { stream, .. } => self.end_stream(stream, EndReason::Stop, out),
            Speech::Continuing { .. } => out.commands.push(Command::End {
                stream: 0,
                reason: EndReason::Stop,
            }),
        }
        self.packer.reset();
        if let (Some(code), Some(dialog)) = (code, dialog) {
            self.send(
                now,
                envelope::request(
                    AmaCommand::StopSpeech,
                    Payload::StopSpeech(StopSpeech {
                        error_code: code as i32,
                        dialog: Some(Dialog { id: dialog }),
                    }),
                ),
                out,
            );
        }
    }
}
