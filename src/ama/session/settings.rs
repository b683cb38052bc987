//! What the session needs from the configuration, resolved once.

use std::time::Duration;

use crate::ama::proto::{AudioFormat, AudioProfile, SpeechInitiationType, Transport};
use crate::config::{parse_bd_addr, AmaInitiation, AmaProfile, Config};

/// The session's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSettings {
    pub serial_number: String,
    pub name: String,
    pub device_type: String,
    pub device_id: u32,
    pub firmware_version: String,
    pub battery_percent: Option<u32>,
    pub wake_words: Vec<String>,
    pub initiations: Vec<SpeechInitiationType>,
    pub wakeword_profile: AudioProfile,
    pub tap_profile: AudioProfile,
    pub hold_profile: AudioProfile,
    pub format: AudioFormat,
    /// Bytes of one Opus frame in `format` (CBR).
    pub opus_frame_bytes: usize,
    pub keepalive: Option<Duration>,
    pub link_timeout: Option<Duration>,
    pub start_timeout: Duration,
    pub endpoint_timeout: Duration,
    pub frames_per_packet: usize,
    pub stream_mtu: usize,
    pub max_buffered_frames: usize,
    pub locales: Vec<String>,
    pub locale: String,
    pub bd_addr: [u8; 6],
    /// Transports offered in DeviceInformation; UPGRADE_TRANSPORT to RFCOMM needs it listed.
    pub transports: Vec<Transport>,
}

fn profile(p: AmaProfile) -> AudioProfile {
    match p {
        AmaProfile::CloseTalk => AudioProfile::CloseTalk,
        AmaProfile::NearField => AudioProfile::NearField,
        AmaProfile::FarField => AudioProfile::FarField,
    }
}

fn ms(v: u32) -> Option<Duration> {
    (v > 0).then(|| Duration::from_millis(u64::from(v)))
}

impl SessionSettings {
    /// From a validated configuration.
    pub fn from_config(cfg: &Config) -> Self {
        let a = &cfg.ama;
        let (format, opus_frame_bytes) = if cfg.opus.bitrate == 16_000 {
            (AudioFormat::Opus16khz16kbpsCbr020ms, 40)
        } else {
            (AudioFormat::Opus16khz32kbpsCbr020ms, 80)
        };
        Self {
            serial_number: a.serial_number.clone(),
            name: a.name.clone(),
            device_type: a.device_type.clone(),
            device_id: a.device_id,
            firmware_version: a.firmware_version.clone(),
            battery_percent: a.battery_percent,
            wake_words: a.wake_words.clone(),
            initiations: a
                .initiations
                .iter()
                .map(|i| match i {
                    AmaInitiation::Wakeword => SpeechInitiationType::Wakeword,
                    AmaInitiation::Tap => SpeechInitiationType::Tap,
                    AmaInitiation::PressAndHold => SpeechInitiationType::PressAndHold,
                })
                .collect(),
            wakeword_profile: profile(a.wakeword_profile),
            tap_profile: profile(a.tap_profile),
            hold_profile: profile(a.hold_profile),
            format,
            opus_frame_bytes,
            keepalive: ms(a.keepalive_ms),
            link_timeout: ms(a.link_timeout_ms),
            start_timeout: Duration::from_millis(u64::from(a.start_timeout_ms)),
            endpoint_timeout: Duration::from_millis(u64::from(a.endpoint_timeout_ms)),
            frames_per_packet: a.frames_per_packet as usize,
            stream_mtu: a.stream_mtu as usize,
            max_buffered_frames: a.max_buffered_frames as usize,
            locales: a.locales.clone(),
            locale: a.locale.clone(),
            bd_addr: parse_bd_addr(&a.bd_addr).unwrap_or_default(),
            transports: if matches!(a.link_kind(), crate::config::AmaLink::Ble) {
                vec![Transport::BluetoothLowEnergy, Transport::BluetoothRfcomm]
            } else {
                vec![Transport::BluetoothRfcomm]
            },
        }
    }

    /// Whether wake-word initiation is offered.
    pub fn has_wakeword(&self) -> bool {
        self.initiations.contains(&SpeechInitiationType::Wakeword)
    }
}
