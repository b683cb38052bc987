//! What the agent needs from a Bluetooth stack: a small async trait (implemented by
//! `bluez::BluezBackend` and by test doubles) and the events the stack reports.

use std::future::Future;

use crate::model::{MediaAction, ProfileKind};
use crate::streaming::TransportState;

/// What went wrong in a stack call; the agent turns any of them into a Failed event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct BackendError {
    pub kind: BackendErrorKind,
    pub message: String,
}

/// Kinds of stack errors the rules distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendErrorKind {
    /// The device (or adapter) does not exist (an unpair of it counts as done).
    DoesNotExist,
    /// Already paired.
    AlreadyExists,
    /// Already connected.
    AlreadyConnected,
    /// Not connected.
    NotConnected,
    /// The call or its confirmation took longer than the operation timeout.
    Timeout,
    /// The device has no such service (e.g. no AVRCP player).
    NotAvailable,
    /// Anything else (authentication failed, busy, ...).
    Failed,
}

impl BackendError {
    /// A new error.
    pub fn new(kind: BackendErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// What the stack knows about one device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceInfo {
    /// Upper-case MAC.
    pub mac: String,
    /// Alias (or name); empty when unknown.
    pub name: String,
    /// Class of device.
    pub class: Option<u32>,
    /// (vendor id, product id) from Modalias.
    pub vendor_product: Option<(i64, i64)>,
    /// Profiles the peer offers (from its service UUIDs).
    pub profiles: Vec<ProfileKind>,
    pub paired: bool,
    pub connected: bool,
}

/// A change reported by the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendEvent {
    /// A device appeared (discovery) or its properties (name, class, UUIDs) changed.
    DeviceUpdated(DeviceInfo),
    /// A device object went away (unpaired and forgotten).
    DeviceRemoved { mac: String },
    /// Paired property changed.
    Paired { mac: String, paired: bool },
    /// Connected property changed.
    Connected { mac: String, connected: bool },
    /// The adapter's Discovering property changed.
    Discovering(bool),
    /// The adapter's Discoverable property changed.
    Discoverable(bool),
    /// A2DP transport of a device: `peer_profile` is the peer's role (A2DP_SOURCE when it
    /// plays to us).
    Transport {
        mac: String,
        peer_profile: ProfileKind,
        state: TransportState,
    },
    /// The device's A2DP transport went away.
    TransportRemoved { mac: String },
    /// A peer sent an AVRCP command to our media player (its play/pause/next/previous
    /// buttons); BlueZ does not say which peer.
    Avrcp(AvrcpCommand),
}

/// An AVRCP command a peer sent us (BlueZ forwards them as MPRIS Player method calls on the
/// player we registered with Media1.RegisterPlayer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AvrcpCommand {
    Play,
    Pause,
    PlayPause,
    Stop,
    Next,
    Previous,
}

impl AvrcpCommand {
    /// The command of an `org.mpris.MediaPlayer2.Player` method name.
    pub fn of_mpris_method(name: &str) -> Option<Self> {
        Some(match name {
            "Play" => Self::Play,
            "Pause" => Self::Pause,
            "PlayPause" => Self::PlayPause,
            "Stop" => Self::Stop,
            "Next" => Self::Next,
            "Previous" => Self::Previous,
            _ => return None,
        })
    }

    /// Its name on the control socket (`PLAY`, `PLAY_PAUSE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Play => "PLAY",
            Self::Pause => "PAUSE",
            Self::PlayPause => "PLAY_PAUSE",
            Self::Stop => "STOP",
            Self::Next => "NEXT",
            Self::Previous => "PREVIOUS",
        }
    }
}

/// A Bluetooth stack as the agent sees it. Every call returns when the stack has answered;
/// success of pair/connect/disconnect/remove is still only reported on the confirming
/// [`BackendEvent`]. None of these is real-time safe.
pub trait BluetoothBackend: Send + Sync + 'static {
    /// Every device the stack knows, plus the adapter alias, as of the start of the event
    /// stream (every later change comes as a [`BackendEvent`]).
    fn snapshot(
        &self,
    ) -> impl Future<Output = Result<(String, Vec<DeviceInfo>), BackendError>> + Send;
    /// Starts discovery (scan).
    fn start_scan(&self) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Stops discovery.
    fn stop_scan(&self) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Enters (with a timeout in seconds, 0 = none) or leaves discoverable mode.
    fn set_discoverable(
        &self,
        on: bool,
        timeout_s: u32,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Pairs with `mac`.
    fn pair(&self, mac: String) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Removes (unpairs) `mac`.
    fn remove(&self, mac: String) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Connects `mac`.
    fn connect(&self, mac: String) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Disconnects `mac`.
    fn disconnect(&self, mac: String) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Sends an AVRCP command to `mac`'s media player (`Stop` is sent as pause).
    fn media(
        &self,
        mac: String,
        action: MediaAction,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
}

/// Maps a 16-bit service class UUID (as in `0000110a-0000-1000-8000-00805f9b34fb`) to the
/// profile the peer offers.
pub fn profile_of_uuid(uuid: &str) -> Option<ProfileKind> {
    let u = uuid.to_ascii_lowercase();
    if !u.starts_with("0000") || !u.ends_with("-0000-1000-8000-00805f9b34fb") {
        return None;
    }
    match u.get(4..8)? {
        "110a" => Some(ProfileKind::A2dpSource),
        "110b" => Some(ProfileKind::A2dpSink),
        "110c" | "110e" | "110f" => Some(ProfileKind::Avrcp),
        "111e" | "111f" => Some(ProfileKind::Hfp),
        "1124" => Some(ProfileKind::Hid),
        "1101" => Some(ProfileKind::Spp),
        _ => None,
    }
}

/// Profiles offered by a peer with these service UUIDs (sorted, no duplicates).
pub fn profiles_of_uuids<'a>(uuids: impl IntoIterator<Item = &'a str>) -> Vec<ProfileKind> {
    let mut v: Vec<ProfileKind> = uuids.into_iter().filter_map(profile_of_uuid).collect();
    v.sort();
    v.dedup();
    v
}

/// Parses `bluetooth:v000Fp1200d1436` / `usb:v1D6Bp0245d050A` into (vendor, product).
pub fn parse_modalias(m: &str) -> Option<(i64, i64)> {
    let rest = m.split_once(':')?.1;
    let v = rest.strip_prefix('v')?;
    let (vendor, rest) = v.split_at_checked(4)?;
    let p = rest.strip_prefix('p')?;
    let product = p.get(0..4)?;
    Some((
        i64::from_str_radix(vendor, 16).ok()?,
        i64::from_str_radix(product, 16).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_and_modalias() {
        let ps = profiles_of_uuids([
            "0000110a-0000-1000-8000-00805f9b34fb",
            "0000110C-0000-1000-8000-00805F9B34FB",
            "0000110e-0000-1000-8000-00805f9b34fb",
            "00001200-0000-1000-8000-00805f9b34fb",
        ]);
        assert_eq!(ps, vec![ProfileKind::A2dpSource, ProfileKind::Avrcp]);
        assert_eq!(
            parse_modalias("bluetooth:v000Fp1200d1436"),
            Some((0x0f, 0x1200))
        );
        assert_eq!(parse_modalias("garbage"), None);
        assert_eq!(parse_modalias("usb:vZZZZp0000"), None);
    }
}
