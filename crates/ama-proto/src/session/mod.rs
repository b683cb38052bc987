//! The accessory's side of an AMA session, as a pure state machine.
//!
//! **Guarantees**: no I/O (except through the [`StateStore`] it is given), no clock (every call
//! takes `now`, a monotonic time), no panics on any input. Inputs: decoded frames from the phone,
//! the real-time thread's [`Outbound`] messages, timer ticks, link up/down. Outputs (appended to
//! an [`Output`]): envelopes and voice payloads to send, in order; [`Command`]s for the real-time
//! thread; media-control requests for the Bluetooth side; link actions. Not real-time safe (it
//! allocates); it runs on the async side.

mod control;
mod features;
mod packer;
mod settings;
mod speech;
mod store;

use std::time::Duration;

use tracing::{debug, warn};

pub use features::{bits as feature_bits, id as feature_id, Features, Value as FeatureValue};
pub use packer::Packer;
pub use settings::SessionSettings;
pub use store::{MemoryStore, Persisted, StateStore, StoreError};

use crate::envelope;
use crate::proto::{
    control_envelope::Payload, Command as AmaCommand, ControlEnvelope, KeepAlive, MediaControl,
    Transport,
};
use crate::transport::Frame;
use engine_base::messages::{Command, Outbound};

/// Something to write to the link, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// One control envelope (one control frame).
    Control(Box<ControlEnvelope>),
    /// One voice frame's payload: whole Opus frames back to back.
    Voice(Vec<u8>),
}

/// Why the session wants the link closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Nothing received for `link_timeout`.
    LinkDead,
    /// The phone sent RESET_CONNECTION with force_disconnect.
    ResetByPhone,
    /// The phone sent REMOVE_DEVICE.
    Removed,
}

/// Actions on the link itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    /// Close the link after writing what is queued.
    Close(CloseReason),
    /// The phone switched the session to this transport (SWITCH_TRANSPORT answered SUCCESS).
    SwitchedTo(Transport),
}

/// What one call produced. Reuse it: call [`Output::clear`] after acting on it.
#[derive(Debug, Default)]
pub struct Output {
    pub send: Vec<Outgoing>,
    pub commands: Vec<Command>,
    pub media: Vec<MediaControl>,
    pub link: Vec<LinkAction>,
}

impl Output {
    /// Empties every list, keeping capacity.
    pub fn clear(&mut self) {
        self.send.clear();
        self.commands.clear();
        self.media.clear();
        self.link.clear();
    }
}

/// The link the session runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkInfo {
    pub transport: Transport,
    /// For BLE: the ATT MTU; frames are cut into (MTU - 3)-byte pieces and a voice frame is
    /// sized to fit one piece. For stream links: the largest write (`ama.stream_mtu`).
    pub mtu: usize,
    pub ble: bool,
}

impl LinkInfo {
    /// Largest voice frame (header + payload) that fits one link write.
    pub fn max_frame(&self) -> usize {
        if self.ble {
            self.mtu.saturating_sub(3)
        } else {
            self.mtu
        }
    }
}

/// Counters, readable while running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    pub envelopes_in: u64,
    pub envelopes_out: u64,
    pub bad_envelopes: u64,
    pub unsupported: u64,
    pub voice_frames_in_dropped: u64,
    pub voice_frames_out: u64,
    pub opus_frames_out: u64,
    pub seq_gaps: u64,
    pub buffer_overflow_dropped: u64,
    pub streams_started: u64,
    pub streams_refused: u64,
    pub streams_without_link: u64,
    pub speech_timeouts: u64,
    pub keepalives_sent: u64,
    pub links_dead: u64,
    pub persist_failures: u64,
}

/// The session.
pub struct Session {
    settings: SessionSettings,
    store: Box<dyn StateStore>,
    persisted: Persisted,
    features: Features,
    link: Option<LinkInfo>,
    last_rx: Duration,
    last_tx: Duration,
    speech: speech::Speech,
    /// Last dialog id the accessory made (ids stay in 1..=0x7FFFFFFF).
    last_dialog: u32,
    /// Stream the real-time thread was told to end; its remaining frames are dropped.
    ending_stream: Option<u32>,
    packer: Packer,
    stats: SessionStats,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("link", &self.link)
            .field("speech", &self.speech)
            .field("stats", &self.stats)
            .finish()
    }
}

impl Session {
    /// A session with the given settings and persisted-state store. A store that cannot be
    /// read is logged and defaults are used (the engine keeps running).
    pub fn new(settings: SessionSettings, mut store: Box<dyn StateStore>) -> Self {
        let persisted = store.load().unwrap_or_else(|e| {
            warn!("ama: persisted state unusable, using defaults: {e}");
            Persisted::default()
        });
        let features = Features::new(settings.has_wakeword());
        let packer = Packer::new(settings.frames_per_packet);
        Self {
            settings,
            store,
            persisted,
            features,
            link: None,
            last_rx: Duration::ZERO,
            last_tx: Duration::ZERO,
            speech: speech::Speech::Idle,
            last_dialog: 0,
            ending_stream: None,
            packer,
            stats: SessionStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// The persisted state as it is now.
    pub fn persisted(&self) -> &Persisted {
        &self.persisted
    }

    /// The feature table.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// Whether a link is up.
    pub fn is_linked(&self) -> bool {
        self.link.is_some()
    }

    /// A new link is up (its version packet has been written).
    pub fn link_up(&mut self, now: Duration, link: LinkInfo) {
        self.link = Some(link);
        self.last_rx = now;
        self.last_tx = now;
    }

    /// The link is gone: an utterance in flight is stopped (the real-time thread is told to
    /// end the stream), and the session waits for a new link.
    pub fn link_down(&mut self, now: Duration, out: &mut Output) {
        if self.link.take().is_some() {
            self.abort_speech(now, None, out);
        }
    }

    /// A decoded frame from the phone.
    pub fn on_frame(&mut self, now: Duration, frame: Frame, out: &mut Output) {
        self.last_rx = now;
        match frame {
            Frame::Control(body) => match envelope::decode(&body) {
                Ok(env) => self.on_envelope(now, env, out),
                Err(e) => {
                    self.stats.bad_envelopes += 1;
                    warn!("ama: dropped control frame: {e}");
                }
            },
            Frame::Voice(p) => {
                self.stats.voice_frames_in_dropped += 1;
                debug!("ama: phone sent a voice frame ({} bytes); dropped", p.len());
            }
        }
    }

    /// Any bytes arrived (even a partial frame): the link is alive.
    pub fn on_bytes(&mut self, now: Duration) {
        self.last_rx = now;
    }

    /// A decoded envelope from the phone.
    pub fn on_envelope(&mut self, now: Duration, env: ControlEnvelope, out: &mut Output) {
        self.stats.envelopes_in += 1;
        self.last_rx = now;
        if let Some(resp) = envelope::response_of(&env) {
            let resp = resp.clone();
            self.on_response(now, env.command, resp, out);
            return;
        }
        self.on_request(now, env, out);
    }

    /// A message from the real-time thread.
    pub fn on_outbound(&mut self, now: Duration, msg: Outbound, out: &mut Output) {
        match msg {
            Outbound::StreamStarted {
                stream,
                initiator,
                wake,
                ..
            } => self.stream_started(now, stream, initiator, wake, out),
            Outbound::Frame(f) => self.frame(now, f, out),
            Outbound::StreamEnded { stream, reason, .. } => {
                self.stream_ended(now, stream, reason, out)
            }
            Outbound::SourceEnded => {}
        }
    }

    /// Timers: speech timeouts, keep-alive, link-dead detection. Call every few ms.
    pub fn tick(&mut self, now: Duration, out: &mut Output) {
        self.speech_timers(now, out);
        if self.link.is_none() {
            return;
        }
        if let Some(t) = self.settings.link_timeout {
            if now.saturating_sub(self.last_rx) >= t {
                warn!(
                    "ama: nothing received for {} ms; link is dead",
                    now.saturating_sub(self.last_rx).as_millis()
                );
                self.stats.links_dead += 1;
                out.link.push(LinkAction::Close(CloseReason::LinkDead));
                self.link_down(now, out);
                return;
            }
        }
        if let Some(k) = self.settings.keepalive {
            if now.saturating_sub(self.last_tx) >= k {
                self.stats.keepalives_sent += 1;
                self.send(
                    now,
                    envelope::request(AmaCommand::KeepAlive, Payload::KeepAlive(KeepAlive {})),
                    out,
                );
            }
        }
    }

    /// The accessory changed a feature (e.g. the Bluetooth side: A2DP connected). Sends
    /// SYNCHRONIZE_STATE when the value changed and a link is up.
    pub fn update_feature(
        &mut self,
        now: Duration,
        feature: u32,
        value: FeatureValue,
        out: &mut Output,
    ) {
        if let Some(state) = self.features.update(feature, value) {
            if self.link.is_some() {
                self.send(
                    now,
                    envelope::request(
                        AmaCommand::SynchronizeState,
                        Payload::SynchronizeState(crate::proto::SynchronizeState {
                            state: Some(state),
                        }),
                    ),
                    out,
                );
            }
        }
    }

    fn send(&mut self, now: Duration, env: ControlEnvelope, out: &mut Output) {
        if self.link.is_none() {
            return;
        }
        debug!(
            "ama: -> {} {:?}",
            envelope::command_name(env.command),
            env.payload
        );
        self.stats.envelopes_out += 1;
        self.last_tx = now;
        out.send.push(Outgoing::Control(Box::new(env)));
    }

    fn send_voice(&mut self, now: Duration, payload: Vec<u8>, frames: usize, out: &mut Output) {
        if self.link.is_none() {
            return;
        }
        self.stats.voice_frames_out += 1;
        self.stats.opus_frames_out += frames as u64;
        self.last_tx = now;
        out.send.push(Outgoing::Voice(payload));
    }

    fn persist(&mut self, next: Persisted) -> bool {
        match self.store.save(&next) {
            Ok(()) => {
                self.persisted = next;
                true
            }
            Err(e) => {
                self.stats.persist_failures += 1;
                warn!("ama: cannot persist state: {e}");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests;
