//! Requests from the phone other than the speech flow: device information and configuration,
//! setup, features, state, settings, keep-alive, locales, connection, transport, media.
//! Every request is answered; unknown or unhandled ones with UNSUPPORTED.

use std::time::Duration;

use engine_base::messages::Command;
use tracing::{info, warn};

use crate::envelope;
use crate::proto::{
    control_envelope::Payload, response, Command as AmaCommand, ConnectionDetails, ControlEnvelope,
    DeviceBattery, DeviceConfiguration, DeviceFeatures, DeviceInformation, ErrorCode, Locale,
    Locales, MediaControl, Response, State, Transport,
};

use super::features::{id, StateRefusal, Value};
use super::{CloseReason, LinkAction, Output, Session};

impl Session {
    fn reply(
        &mut self,
        now: Duration,
        command: i32,
        error: ErrorCode,
        payload: Option<response::Payload>,
        out: &mut Output,
    ) {
        if error == ErrorCode::Unsupported {
            self.stats.unsupported += 1;
        }
        self.send(now, envelope::reply(command, error, payload), out);
    }

    pub(super) fn on_request(&mut self, now: Duration, env: ControlEnvelope, out: &mut Output) {
        let raw = env.command;
        let Ok(cmd) = envelope::command_of(&env) else {
            warn!("ama: unknown command {raw}; answering UNSUPPORTED");
            self.reply(now, raw, ErrorCode::Unsupported, None, out);
            return;
        };
        let Some(payload) = env.payload else {
            warn!(
                "ama: {} without a payload; answering INVALID",
                cmd.as_str_name()
            );
            self.reply(now, raw, ErrorCode::Invalid, None, out);
            return;
        };
        // The payload must be the one for this command (its field number equals the command).
        let matches = payload_command(&payload) == Some(cmd);
        if !matches {
            warn!(
                "ama: {} with the payload of another command; answering INVALID",
                cmd.as_str_name()
            );
            self.reply(now, raw, ErrorCode::Invalid, None, out);
            return;
        }
        match payload {
            Payload::ProvideSpeech(p) => self.provide_speech(now, p, out),
            Payload::StopSpeech(p) => self.phone_stop(now, p, out),
            Payload::EndpointSpeech(p) => self.phone_endpoint(now, p, out),
            Payload::NotifySpeechState(p) => self.speech_state(now, p, out),
            Payload::GetDeviceInformation(g) => {
                if g.device_id != 0 && g.device_id != self.settings.device_id {
                    self.reply(now, raw, ErrorCode::NotFound, None, out);
                } else {
                    let info = self.device_information();
                    self.reply(
                        now,
                        raw,
                        ErrorCode::Success,
                        Some(response::Payload::DeviceInformation(info)),
                        out,
                    );
                }
            }
            Payload::GetDeviceConfiguration(_) => {
                let c = self.device_configuration();
                self.reply(
                    now,
                    raw,
                    ErrorCode::Success,
                    Some(response::Payload::DeviceConfiguration(c)),
                    out,
                );
            }
            Payload::StartSetup(_) => {
                info!("ama: phone started setup");
                self.reply(now, raw, ErrorCode::Success, None, out);
            }
            Payload::CompleteSetup(c) => {
                let ok = c.error_code == ErrorCode::Success as i32;
                info!("ama: phone completed setup (error code {})", c.error_code);
                let code = if ok {
                    let next = super::Persisted {
                        needs_setup: false,
                        ..self.persisted.clone()
                    };
                    self.persist_or_internal(next)
                } else {
                    ErrorCode::Success
                };
                self.reply(now, raw, code, None, out);
            }
            Payload::OverrideAssistant(o) => {
                let code = if o.error_code == ErrorCode::Success as i32 {
                    let next = super::Persisted {
                        needs_assistant_override: false,
                        ..self.persisted.clone()
                    };
                    self.persist_or_internal(next)
                } else {
                    ErrorCode::Success
                };
                self.reply(now, raw, code, None, out);
            }
            Payload::UpdateDeviceInformation(u) => {
                let code = if u.name.is_empty() || u.name.len() > 20 {
                    ErrorCode::Invalid
                } else {
                    let next = super::Persisted {
                        name: Some(u.name),
                        ..self.persisted.clone()
                    };
                    self.persist_or_internal(next)
                };
                self.reply(now, raw, code, None, out);
            }
            Payload::GetDeviceFeatures(_) => {
                let f = self.device_features();
                self.reply(
                    now,
                    raw,
                    ErrorCode::Success,
                    Some(response::Payload::DeviceFeatures(f)),
                    out,
                );
            }
            Payload::GetState(g) => match self.features.state(g.feature) {
                Ok(s) => self.reply(
                    now,
                    raw,
                    ErrorCode::Success,
                    Some(response::Payload::State(s)),
                    out,
                ),
                Err(r) => self.reply(now, raw, refusal_code(r), None, out),
            },
            Payload::SetState(s) => {
                let code = self.apply_state(s.state, true, out);
                self.reply(now, raw, code, None, out);
            }
            Payload::SynchronizeState(s) => {
                let code = self.apply_state(s.state, false, out);
                self.reply(now, raw, code, None, out);
            }
            Payload::SynchronizeSettings(s) => {
                let ms = (u64::from(s.timestamp_hi) << 32) | u64::from(s.timestamp_lo);
                info!("ama: phone clock is {ms} ms UTC");
                self.reply(now, raw, ErrorCode::Success, None, out);
            }
            Payload::KeepAlive(_) => self.reply(now, raw, ErrorCode::Success, None, out),
            Payload::GetLocales(_) => {
                let l = Locales {
                    supported_locales: self
                        .settings
                        .locales
                        .iter()
                        .map(|n| Locale { name: n.clone() })
                        .collect(),
                    current_locale: Some(Locale {
                        name: self.current_locale(),
                    }),
                };
                self.reply(
                    now,
                    raw,
                    ErrorCode::Success,
                    Some(response::Payload::Locales(l)),
                    out,
                );
            }
            Payload::SetLocale(s) => {
                let name = s.locale.map(|l| l.name).unwrap_or_default();
                let code = if self.settings.locales.contains(&name) {
                    let next = super::Persisted {
                        locale: Some(name),
                        ..self.persisted.clone()
                    };
                    self.persist_or_internal(next)
                } else {
                    ErrorCode::Invalid
                };
                self.reply(now, raw, code, None, out);
            }
            Payload::ResetConnection(r) => {
                info!(
                    "ama: phone resets the connection (timeout {} s, force {})",
                    r.timeout, r.force_disconnect
                );
                self.reply(now, raw, ErrorCode::Success, None, out);
                if r.force_disconnect {
                    out.link.push(LinkAction::Close(CloseReason::ResetByPhone));
                    self.link_down(now, out);
                }
            }
            Payload::RemoveDevice(_) => {
                info!("ama: phone removed this device; setup is needed again");
                let next = super::Persisted {
                    needs_setup: true,
                    ..self.persisted.clone()
                };
                let code = self.persist_or_internal(next);
                self.reply(now, raw, code, None, out);
                out.link.push(LinkAction::Close(CloseReason::Removed));
                self.link_down(now, out);
            }
            Payload::UpgradeTransport(u) => {
                if u.transport == Transport::BluetoothRfcomm as i32
                    && self
                        .settings
                        .transports
                        .contains(&Transport::BluetoothRfcomm)
                {
                    let d = ConnectionDetails {
                        identifier: self.settings.bd_addr.to_vec(),
                    };
                    self.reply(
                        now,
                        raw,
                        ErrorCode::Success,
                        Some(response::Payload::ConnectionDetails(d)),
                        out,
                    );
                } else {
                    self.reply(now, raw, ErrorCode::Unsupported, None, out);
                }
            }
            Payload::SwitchTransport(s) => {
                let here = self.link.map(|l| l.transport as i32);
                if here == Some(s.new_transport) {
                    self.reply(now, raw, ErrorCode::Success, None, out);
                    if let Ok(t) = Transport::try_from(s.new_transport) {
                        out.link.push(LinkAction::SwitchedTo(t));
                    }
                } else {
                    self.reply(now, raw, ErrorCode::Invalid, None, out);
                }
            }
            Payload::IssueMediaControl(m) => match MediaControl::try_from(m.control) {
                Ok(c) => {
                    out.media.push(c);
                    self.reply(now, raw, ErrorCode::Success, None, out);
                }
                Err(_) => self.reply(now, raw, ErrorCode::Invalid, None, out),
            },
            // Accessory-to-phone requests, calling and app features this accessory does not
            // implement.
            _ => {
                info!(
                    "ama: {} is not supported; answering UNSUPPORTED",
                    cmd.as_str_name()
                );
                self.reply(now, raw, ErrorCode::Unsupported, None, out);
            }
        }
    }

    pub(super) fn on_response(
        &mut self,
        now: Duration,
        command: i32,
        resp: Response,
        out: &mut Output,
    ) {
        match AmaCommand::try_from(command) {
            Ok(AmaCommand::StartSpeech) => self.start_speech_answered(now, resp, out),
            Ok(AmaCommand::KeepAlive) => {}
            _ => {
                if resp.error_code != ErrorCode::Success as i32 {
                    info!(
                        "ama: phone answered {} with error {}",
                        envelope::command_name(command),
                        resp.error_code
                    );
                }
            }
        }
    }

    fn persist_or_internal(&mut self, next: super::Persisted) -> ErrorCode {
        if self.persist(next) {
            ErrorCode::Success
        } else {
            ErrorCode::Internal
        }
    }

    fn apply_state(
        &mut self,
        state: Option<State>,
        phone_sets: bool,
        out: &mut Output,
    ) -> ErrorCode {
        let Some(state) = state else {
            return ErrorCode::Invalid;
        };
        match self.features.apply(&state, phone_sets) {
            Ok(Value::Bool(on)) if state.feature == id::WAKE_WORD_DETECTION => {
                info!("ama: wake-word detection {}", if on { "on" } else { "off" });
                out.commands.push(Command::SetWakeWordEnabled(on));
                ErrorCode::Success
            }
            Ok(_) => ErrorCode::Success,
            Err(r) => refusal_code(r),
        }
    }

    fn current_locale(&self) -> String {
        self.persisted
            .locale
            .clone()
            .unwrap_or_else(|| self.settings.locale.clone())
    }

    /// DeviceInformation from the configuration and the persisted name.
    pub fn device_information(&self) -> DeviceInformation {
        let s = &self.settings;
        let mut metadata = std::collections::HashMap::new();
        metadata.insert("firmware_version".to_owned(), s.firmware_version.clone());
        DeviceInformation {
            serial_number: s.serial_number.clone(),
            name: self
                .persisted
                .name
                .clone()
                .unwrap_or_else(|| s.name.clone()),
            supported_transports: s.transports.iter().map(|t| *t as i32).collect(),
            device_type: s.device_type.clone(),
            device_id: s.device_id,
            battery: s.battery_percent.map(|level| DeviceBattery {
                level,
                scale: 100,
                status: 0,
            }),
            status: None,
            product_color: 0,
            associated_devices: Vec::new(),
            supported_speech_initiations: s.initiations.iter().map(|i| *i as i32).collect(),
            supported_wakewords: s.wake_words.clone(),
            metadata,
        }
    }

    /// DeviceConfiguration from the persisted state.
    pub fn device_configuration(&self) -> DeviceConfiguration {
        DeviceConfiguration {
            needs_assistant_override: self.persisted.needs_assistant_override,
            needs_setup: self.persisted.needs_setup,
        }
    }

    fn device_features(&self) -> DeviceFeatures {
        let mut features = 0;
        if self.settings.has_wakeword() {
            features |= super::features::bits::WAKE_WORD;
        }
        if self.settings.battery_percent.is_some() {
            features |= super::features::bits::BATTERY;
        }
        DeviceFeatures {
            features,
            device_attributes: 0,
            feature_properties: Vec::new(),
        }
    }
}

fn refusal_code(r: StateRefusal) -> ErrorCode {
    match r {
        StateRefusal::Unknown => ErrorCode::NotFound,
        StateRefusal::ReadOnly => ErrorCode::Unsupported,
        StateRefusal::BadValue => ErrorCode::Invalid,
    }
}

/// The command whose payload this is (field number = command value).
pub fn payload_command(p: &Payload) -> Option<AmaCommand> {
    use AmaCommand as C;
    Some(match p {
        Payload::Response(_) => return None,
        Payload::ProvideSpeech(_) => C::ProvideSpeech,
        Payload::StartSpeech(_) => C::StartSpeech,
        Payload::StopSpeech(_) => C::StopSpeech,
        Payload::EndpointSpeech(_) => C::EndpointSpeech,
        Payload::NotifySpeechState(_) => C::NotifySpeechState,
        Payload::GetDeviceInformation(_) => C::GetDeviceInformation,
        Payload::GetDeviceConfiguration(_) => C::GetDeviceConfiguration,
        Payload::OverrideAssistant(_) => C::OverrideAssistant,
        Payload::StartSetup(_) => C::StartSetup,
        Payload::CompleteSetup(_) => C::CompleteSetup,
        Payload::NotifyDeviceConfiguration(_) => C::NotifyDeviceConfiguration,
        Payload::UpdateDeviceInformation(_) => C::UpdateDeviceInformation,
        Payload::NotifyDeviceInformation(_) => C::NotifyDeviceInformation,
        Payload::GetDeviceFeatures(_) => C::GetDeviceFeatures,
        Payload::UpgradeTransport(_) => C::UpgradeTransport,
        Payload::SwitchTransport(_) => C::SwitchTransport,
        Payload::ForwardAtCommand(_) => C::ForwardAtCommand,
        Payload::IncomingCall(_) => C::IncomingCall,
        Payload::SynchronizeSettings(_) => C::SynchronizeSettings,
        Payload::ResetConnection(_) => C::ResetConnection,
        Payload::KeepAlive(_) => C::KeepAlive,
        Payload::RemoveDevice(_) => C::RemoveDevice,
        Payload::GetLocales(_) => C::GetLocales,
        Payload::SetLocale(_) => C::SetLocale,
        Payload::LaunchApp(_) => C::LaunchApp,
        Payload::IssueMediaControl(_) => C::IssueMediaControl,
        Payload::GetState(_) => C::GetState,
        Payload::SetState(_) => C::SetState,
        Payload::SynchronizeState(_) => C::SynchronizeState,
        Payload::GetCentralInformation(_) => C::GetCentralInformation,
    })
}
