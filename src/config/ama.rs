//! [ama] section: the Alexa Mobile Accessory link, the accessory's identity and the session's
//! timers. Every field is validated; errors name the key and the accepted values.

use std::path::PathBuf;
use std::time::Duration;

use ama_proto::proto::{AudioFormat, AudioProfile, SpeechInitiationType, Transport};
use ama_proto::session::SessionSettings;
use serde::{Deserialize, Serialize};

use super::{check_range, Invalid};

/// Which link carries AMA. Parsed once, when the file is loaded; written back as the same
/// string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum AmaLink {
    /// No AMA link (`"none"`).
    None,
    /// A TCP listener (`"tcp://127.0.0.1:PORT"`), same bytes as RFCOMM; for tests and development.
    Tcp(String),
    /// A Unix stream socket listener (`"unix:/path"`).
    Unix(PathBuf),
    /// BlueZ RFCOMM profile with the AMA SPP UUID (`"rfcomm"`).
    Rfcomm,
    /// BlueZ GATT server and LE advertising (`"ble"`).
    Ble,
}

/// The values `[ama] link` accepts.
pub const LINK_VALUES: &str = "\"none\", \"tcp://HOST:PORT\", \"unix:/path\", \"rfcomm\", \"ble\"";

impl AmaLink {
    /// Parses the `link` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" | "" => Some(Self::None),
            "rfcomm" => Some(Self::Rfcomm),
            "ble" => Some(Self::Ble),
            _ => {
                if let Some(addr) = s.strip_prefix("tcp://") {
                    let (host, port) = addr.rsplit_once(':')?;
                    (!host.is_empty() && port.parse::<u16>().is_ok())
                        .then(|| Self::Tcp(addr.to_owned()))
                } else if let Some(path) = s.strip_prefix("unix:") {
                    (!path.is_empty()).then(|| Self::Unix(PathBuf::from(path)))
                } else {
                    None
                }
            }
        }
    }
}

impl TryFrom<String> for AmaLink {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("{s:?} is not a link (accepted: {LINK_VALUES})"))
    }
}

impl From<AmaLink> for String {
    fn from(l: AmaLink) -> String {
        match l {
            AmaLink::None => "none".into(),
            AmaLink::Tcp(addr) => format!("tcp://{addr}"),
            AmaLink::Unix(path) => format!("unix:{}", path.display()),
            AmaLink::Rfcomm => "rfcomm".into(),
            AmaLink::Ble => "ble".into(),
        }
    }
}

/// A Bluetooth device address (`AA:BB:CC:DD:EE:FF` in the file), parsed once at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BdAddr(pub [u8; 6]);

impl TryFrom<String> for BdAddr {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        parse_bd_addr(&s).map(Self).ok_or_else(|| {
            format!("{s:?} is not a Bluetooth address (accepted: AA:BB:CC:DD:EE:FF)")
        })
    }
}

impl From<BdAddr> for String {
    fn from(a: BdAddr) -> String {
        let b = a.0;
        format!(
            "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// Bytes written as an even number of hex digits in the file, parsed once at load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HexBytes(pub Vec<u8>);

impl TryFrom<String> for HexBytes {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        parse_hex(&s)
            .map(Self)
            .ok_or_else(|| format!("{s:?} is not hex (accepted: an even number of hex digits)"))
    }
}

impl From<HexBytes> for String {
    fn from(h: HexBytes) -> String {
        h.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// How the audio is picked up, per initiation (AMA AudioProfile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmaProfile {
    CloseTalk,
    NearField,
    FarField,
}

/// Ways the user can start a dialog (AMA SpeechInitiationType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmaInitiation {
    Wakeword,
    Tap,
    PressAndHold,
}

/// [ama] section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AmaConfig {
    /// `"none"`, `"tcp://HOST:PORT"`, `"unix:/path"`, `"rfcomm"` or `"ble"`.
    pub link: AmaLink,
    /// Serial number in DeviceInformation (at most 20 bytes).
    pub serial_number: String,
    /// Device name (at most 20 bytes; the phone may rename it, the new name is persisted).
    pub name: String,
    /// Device type registered with Amazon (at most 20 bytes).
    pub device_type: String,
    /// Device id in DeviceInformation.
    pub device_id: u32,
    /// Firmware version, sent in DeviceInformation.metadata["firmware_version"].
    pub firmware_version: String,
    /// Battery level in percent, if the board reports one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_percent: Option<u32>,
    /// Wake words the accessory detects.
    pub wake_words: Vec<String>,
    /// Supported speech initiations.
    pub initiations: Vec<AmaInitiation>,
    /// Audio profile for wake-word dialogs.
    pub wakeword_profile: AmaProfile,
    /// Audio profile for tap dialogs.
    pub tap_profile: AmaProfile,
    /// Audio profile for press-and-hold dialogs.
    pub hold_profile: AmaProfile,
    /// Directory for persisted state (device configuration, name, locale).
    pub state_dir: PathBuf,
    /// Send a KEEP_ALIVE when nothing was sent for this long, ms (0: never).
    pub keepalive_ms: u32,
    /// Drop the link when nothing was received for this long, ms (0: never).
    pub link_timeout_ms: u32,
    /// A new link must send a valid control frame (a known command) within this time, ms;
    /// until then it cannot replace the phone's link, and after it it is closed.
    pub handshake_timeout_ms: u32,
    /// A link that sends this many malformed bytes without a valid frame between is closed.
    pub max_garbage_bytes: u32,
    /// STOP_SPEECH (INTERNAL) when START_SPEECH is not answered within this time, ms.
    pub start_timeout_ms: u32,
    /// STOP_SPEECH (INTERNAL) when the phone does not endpoint within this time, ms.
    pub endpoint_timeout_ms: u32,
    /// Whole Opus frames packed per voice frame (fewer if the MTU is smaller).
    pub frames_per_packet: u32,
    /// Largest frame written at once on byte-stream links (RFCOMM, TCP, Unix), bytes.
    pub stream_mtu: u32,
    /// Frames buffered from the trigger until START_SPEECH is answered (older ones are dropped).
    pub max_buffered_frames: u32,
    /// Version packet: transport packet size.
    pub transport_packet_size: u16,
    /// Version packet: max transactional data size.
    pub max_transactional_data_size: u16,
    /// Locales offered in GET_LOCALES.
    pub locales: Vec<String>,
    /// Locale used until the phone sets another (persisted).
    pub locale: String,
    /// RFCOMM channel for the AMA SPP profile.
    pub rfcomm_channel: u8,
    /// BD_ADDR sent in UPGRADE_TRANSPORT's connection details on stream links (BLE and RFCOMM
    /// use the adapter's address).
    pub bd_addr: BdAddr,
    /// Service data for UUID 0xFE03 in LE advertising, hex (at most 20 bytes).
    pub ble_service_data: HexBytes,
    /// The notify characteristic's CCCD requires an encrypted (bonded) link, as AMA asks.
    /// Turn off only to test with an unpaired GATT client.
    pub ble_notify_encryption: bool,
}

/// The session's values come from ama-proto's `SessionSettings::default()` (one source);
/// the rest (link, state, admission, version packet, RFCOMM, BLE) is the application's.
impl Default for AmaConfig {
    fn default() -> Self {
        let s = SessionSettings::default();
        Self {
            link: AmaLink::None,
            serial_number: s.serial_number,
            name: s.name,
            device_type: s.device_type,
            device_id: s.device_id,
            firmware_version: s.firmware_version,
            battery_percent: s.battery_percent,
            wake_words: s.wake_words,
            initiations: s.initiations.iter().map(|&i| initiation_of(i)).collect(),
            wakeword_profile: profile_of(s.wakeword_profile),
            tap_profile: profile_of(s.tap_profile),
            hold_profile: profile_of(s.hold_profile),
            state_dir: PathBuf::from("/var/lib/ama-engine"),
            keepalive_ms: ms_of(s.keepalive),
            link_timeout_ms: ms_of(s.link_timeout),
            handshake_timeout_ms: 10_000,
            max_garbage_bytes: 4096,
            start_timeout_ms: ms_of(Some(s.start_timeout)),
            endpoint_timeout_ms: ms_of(Some(s.endpoint_timeout)),
            frames_per_packet: s.frames_per_packet as u32,
            stream_mtu: s.stream_mtu as u32,
            max_buffered_frames: s.max_buffered_frames as u32,
            transport_packet_size: 800,
            max_transactional_data_size: 5000,
            locales: s.locales,
            locale: s.locale,
            rfcomm_channel: 19,
            bd_addr: BdAddr(s.bd_addr),
            ble_service_data: HexBytes(vec![0, 0]),
            ble_notify_encryption: true,
        }
    }
}

/// The file's name for an AMA audio profile.
fn profile_of(p: AudioProfile) -> AmaProfile {
    match p {
        AudioProfile::CloseTalk => AmaProfile::CloseTalk,
        AudioProfile::NearField => AmaProfile::NearField,
        AudioProfile::FarField => AmaProfile::FarField,
    }
}

/// The file's name for an AMA speech initiation.
fn initiation_of(i: SpeechInitiationType) -> AmaInitiation {
    match i {
        SpeechInitiationType::Wakeword => AmaInitiation::Wakeword,
        SpeechInitiationType::Tap => AmaInitiation::Tap,
        SpeechInitiationType::PressAndHold => AmaInitiation::PressAndHold,
    }
}

/// A duration in whole ms (None: 0, "never").
fn ms_of(d: Option<Duration>) -> u32 {
    d.map_or(0, |d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
}

/// Parses `AA:BB:CC:DD:EE:FF` into six bytes, most significant first.
pub fn parse_bd_addr(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut out {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Parses an even-length hex string.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn check_len(key: &str, v: &str) -> Result<(), Invalid> {
    if v.is_empty() || v.len() > 20 {
        return Err(Invalid::new(
            key,
            format!("{:?} is {} bytes", v, v.len()),
            "1 to 20 bytes",
        ));
    }
    Ok(())
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

impl AmaConfig {
    /// What the AMA session needs, as ama-proto takes it; `opus_bitrate` is `[opus] bitrate`.
    pub fn session_settings(&self, opus_bitrate: u32) -> SessionSettings {
        let (format, opus_frame_bytes) = if opus_bitrate == 16_000 {
            (AudioFormat::Opus16khz16kbpsCbr020ms, 40)
        } else {
            (AudioFormat::Opus16khz32kbpsCbr020ms, 80)
        };
        SessionSettings {
            serial_number: self.serial_number.clone(),
            name: self.name.clone(),
            device_type: self.device_type.clone(),
            device_id: self.device_id,
            firmware_version: self.firmware_version.clone(),
            battery_percent: self.battery_percent,
            wake_words: self.wake_words.clone(),
            initiations: self
                .initiations
                .iter()
                .map(|i| match i {
                    AmaInitiation::Wakeword => SpeechInitiationType::Wakeword,
                    AmaInitiation::Tap => SpeechInitiationType::Tap,
                    AmaInitiation::PressAndHold => SpeechInitiationType::PressAndHold,
                })
                .collect(),
            wakeword_profile: profile(self.wakeword_profile),
            tap_profile: profile(self.tap_profile),
            hold_profile: profile(self.hold_profile),
            format,
            opus_frame_bytes,
            keepalive: ms(self.keepalive_ms),
            link_timeout: ms(self.link_timeout_ms),
            start_timeout: Duration::from_millis(u64::from(self.start_timeout_ms)),
            endpoint_timeout: Duration::from_millis(u64::from(self.endpoint_timeout_ms)),
            frames_per_packet: self.frames_per_packet as usize,
            stream_mtu: self.stream_mtu as usize,
            max_buffered_frames: self.max_buffered_frames as usize,
            locales: self.locales.clone(),
            locale: self.locale.clone(),
            bd_addr: self.bd_addr.0,
            transports: if self.link == AmaLink::Ble {
                vec![Transport::BluetoothLowEnergy, Transport::BluetoothRfcomm]
            } else {
                vec![Transport::BluetoothRfcomm]
            },
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        check_len("ama.serial_number", &self.serial_number)?;
        check_len("ama.name", &self.name)?;
        check_len("ama.device_type", &self.device_type)?;
        if self.firmware_version.is_empty() || self.firmware_version.len() > 64 {
            return Err(Invalid::new(
                "ama.firmware_version",
                "empty or too long",
                "1 to 64 bytes",
            ));
        }
        if let Some(b) = self.battery_percent {
            check_range("ama.battery_percent", b, 0, 100)?;
        }
        if self.wake_words.is_empty() || self.wake_words.iter().any(|w| w.is_empty()) {
            return Err(Invalid::new(
                "ama.wake_words",
                "empty list or empty word",
                "a list of words such as [\"ALEXA\"]",
            ));
        }
        if self.initiations.is_empty() {
            return Err(Invalid::new(
                "ama.initiations",
                "empty list",
                "one or more of \"wakeword\", \"tap\", \"press_and_hold\"",
            ));
        }
        if self.state_dir.as_os_str().is_empty() {
            return Err(Invalid::new(
                "ama.state_dir",
                "empty path",
                "a directory path",
            ));
        }
        check_range("ama.keepalive_ms", self.keepalive_ms, 0, 600_000)?;
        if self.keepalive_ms != 0 && self.keepalive_ms < 100 {
            return Err(Invalid::new(
                "ama.keepalive_ms",
                format!("{} is too short", self.keepalive_ms),
                "0 (never) or 100 to 600000",
            ));
        }
        if self.link_timeout_ms != 0
            && (self.link_timeout_ms < 200 || self.link_timeout_ms <= self.keepalive_ms)
        {
            return Err(Invalid::new(
                "ama.link_timeout_ms",
                format!(
                    "{} must exceed ama.keepalive_ms ({}) and 200",
                    self.link_timeout_ms, self.keepalive_ms
                ),
                "0 (never) or more than keepalive_ms, at most 3600000",
            ));
        }
        check_range("ama.link_timeout_ms", self.link_timeout_ms, 0, 3_600_000)?;
        check_range(
            "ama.handshake_timeout_ms",
            self.handshake_timeout_ms,
            100,
            600_000,
        )?;
        check_range("ama.max_garbage_bytes", self.max_garbage_bytes, 16, 1 << 20)?;
        check_range("ama.start_timeout_ms", self.start_timeout_ms, 100, 60_000)?;
        check_range(
            "ama.endpoint_timeout_ms",
            self.endpoint_timeout_ms,
            500,
            300_000,
        )?;
        check_range("ama.frames_per_packet", self.frames_per_packet, 1, 16)?;
        check_range("ama.stream_mtu", self.stream_mtu, 23, 65_535)?;
        check_range(
            "ama.max_buffered_frames",
            self.max_buffered_frames,
            10,
            10_000,
        )?;
        if self.locales.is_empty() || !self.locales.contains(&self.locale) {
            return Err(Invalid::new(
                "ama.locale",
                format!("{:?} is not in ama.locales", self.locale),
                format!("one of {:?}", self.locales),
            ));
        }
        check_range("ama.rfcomm_channel", self.rfcomm_channel, 1, 30)?;
        if self.ble_service_data.0.len() > 20 {
            return Err(Invalid::new(
                "ama.ble_service_data",
                format!("{} bytes is too long", self.ble_service_data.0.len()),
                "an even number of hex digits, at most 40",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_parse() {
        assert_eq!(AmaLink::parse("none"), Some(AmaLink::None));
        assert_eq!(
            AmaLink::parse("tcp://127.0.0.1:7000"),
            Some(AmaLink::Tcp("127.0.0.1:7000".into()))
        );
        assert_eq!(
            AmaLink::parse("unix:/tmp/a.sock"),
            Some(AmaLink::Unix("/tmp/a.sock".into()))
        );
        assert_eq!(AmaLink::parse("ble"), Some(AmaLink::Ble));
        assert_eq!(AmaLink::parse("tcp://x"), None);
        assert_eq!(AmaLink::parse("tcp://:80"), None);
        assert_eq!(AmaLink::parse("udp://1:2"), None);
    }

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_key() {
        assert!(AmaConfig::default().validate().is_ok());
        let bad = |f: fn(&mut AmaConfig)| {
            let mut c = AmaConfig::default();
            f(&mut c);
            c.validate().unwrap_err().key
        };
        assert_eq!(bad(|c| c.name = "x".repeat(21)), "ama.name");
        assert_eq!(bad(|c| c.locale = "fr-FR".into()), "ama.locale");
        assert_eq!(bad(|c| c.frames_per_packet = 0), "ama.frames_per_packet");
        assert_eq!(
            bad(|c| c.ble_service_data = HexBytes(vec![0; 21])),
            "ama.ble_service_data"
        );
        assert_eq!(bad(|c| c.link_timeout_ms = 5_000), "ama.link_timeout_ms");
        assert_eq!(
            parse_bd_addr("01:23:45:67:89:AB"),
            Some([1, 0x23, 0x45, 0x67, 0x89, 0xAB])
        );
        // Values parsed at load: a bad one is a parse error naming its line, key and the
        // accepted values.
        let parse = |text: &str| {
            crate::config::Config::parse(text, std::path::Path::new("a.toml"))
                .unwrap_err()
                .to_string()
        };
        let e = parse("[ama]\nlink = \"carrier-pigeon\"\n");
        assert!(
            e.starts_with("a.toml:2:") && e.contains("ama.link") && e.contains("rfcomm"),
            "{e}"
        );
        let e = parse("[ama]\n\nbd_addr = \"00:11\"\n");
        assert!(
            e.starts_with("a.toml:3:") && e.contains("ama.bd_addr"),
            "{e}"
        );
        let e = parse("[ama]\nble_service_data = \"0\"\n");
        assert!(e.contains("ama.ble_service_data"), "{e}");
    }

    #[test]
    fn typed_values_print_as_they_were_written() {
        let text = "[ama]\nlink = \"tcp://127.0.0.1:7000\"\nbd_addr = \"01:23:45:67:89:AB\"\n\
                    ble_service_data = \"00ff\"\n";
        let c = crate::config::Config::parse(text, std::path::Path::new("a.toml")).unwrap();
        assert_eq!(c.ama.link, AmaLink::Tcp("127.0.0.1:7000".into()));
        let again = crate::config::Config::parse(&c.to_toml(), std::path::Path::new("b.toml"));
        assert_eq!(again.unwrap(), c);
    }

    /// The defaults come from `SessionSettings::default()`; converting back gives it again
    /// (the mappings are inverse, and `[opus]`'s and the link's defaults give its format and
    /// transports).
    #[test]
    fn the_default_converts_back_into_ama_protos_defaults() {
        let c = crate::config::Config::default();
        assert_eq!(
            c.ama.session_settings(c.opus.bitrate),
            SessionSettings::default()
        );
    }
}
