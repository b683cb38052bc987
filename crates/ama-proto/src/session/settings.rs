//! What the session needs to know about the accessory, resolved once by whoever configures it
//! (the application converts its `[ama]` section; this crate knows no configuration file).

use std::time::Duration;

use crate::proto::{AudioFormat, AudioProfile, SpeechInitiationType, Transport};

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

impl Default for SessionSettings {
    /// The accessory the engine's built-in default configuration describes: the application's
    /// `[ama]` section takes its defaults from here (the one source) and converts back into
    /// these settings.
    fn default() -> Self {
        Self {
            serial_number: "0000000001".into(),
            name: "AMA Engine".into(),
            device_type: "A1B2C3D4E5F6G7".into(),
            device_id: 0,
            firmware_version: env!("CARGO_PKG_VERSION").into(),
            battery_percent: None,
            wake_words: vec!["ALEXA".into()],
            initiations: vec![
                SpeechInitiationType::Wakeword,
                SpeechInitiationType::Tap,
                SpeechInitiationType::PressAndHold,
            ],
            wakeword_profile: AudioProfile::NearField,
            tap_profile: AudioProfile::NearField,
            hold_profile: AudioProfile::CloseTalk,
            format: AudioFormat::Opus16khz32kbpsCbr020ms,
            opus_frame_bytes: 80,
            keepalive: Some(Duration::from_secs(10)),
            link_timeout: Some(Duration::from_secs(30)),
            start_timeout: Duration::from_secs(5),
            endpoint_timeout: Duration::from_secs(30),
            frames_per_packet: 4,
            stream_mtu: 990,
            max_buffered_frames: 500,
            locales: vec!["en-US".into(), "en-GB".into(), "de-DE".into()],
            locale: "en-US".into(),
            bd_addr: [0; 6],
            transports: vec![Transport::BluetoothRfcomm],
        }
    }
}

impl SessionSettings {
    /// Whether wake-word initiation is offered.
    pub fn has_wakeword(&self) -> bool {
        self.initiations.contains(&SpeechInitiationType::Wakeword)
    }
}
