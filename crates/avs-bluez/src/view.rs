//! BlueZ's objects as we track them, and the translation of D-Bus property maps and signals
//! into [`BackendEvent`]s.

use std::collections::{BTreeMap, HashMap};

use avs_bluetooth::agent::backend::{parse_modalias, profiles_of_uuids};
use avs_bluetooth::agent::{BackendEvent, DeviceInfo};
use avs_bluetooth::model::ProfileKind;
use avs_bluetooth::streaming::TransportState;
use dbus::arg::{PropMap, RefArg};

/// BlueZ's bus name.
pub const BLUEZ: &str = "org.bluez";
/// Timeout of our D-Bus method calls to BlueZ.
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub const ADAPTER_IFACE: &str = "org.bluez.Adapter1";
pub const DEVICE_IFACE: &str = "org.bluez.Device1";
pub const TRANSPORT_IFACE: &str = "org.bluez.MediaTransport1";
pub const PLAYER_IFACE: &str = "org.bluez.MediaPlayer1";

/// A2DP transport of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    pub mac: String,
    pub peer_profile: ProfileKind,
    pub state: TransportState,
}

/// What we know of BlueZ's objects under our adapter.
#[derive(Debug, Clone, Default)]
pub struct BluezView {
    pub adapter_path: String,
    pub alias: String,
    pub discoverable: bool,
    pub devices: BTreeMap<String, DeviceInfo>,
    pub transports: HashMap<String, Transport>,
    /// Player object path -> MAC.
    pub players: HashMap<String, String>,
}

pub fn get_str(m: &PropMap, k: &str) -> Option<String> {
    m.get(k)?.0.as_str().map(str::to_owned)
}

pub fn get_bool(m: &PropMap, k: &str) -> Option<bool> {
    m.get(k)?.0.as_u64().map(|v| v != 0)
}

pub fn get_u32(m: &PropMap, k: &str) -> Option<u32> {
    m.get(k)?.0.as_u64().and_then(|v| u32::try_from(v).ok())
}

pub fn get_strs(m: &PropMap, k: &str) -> Option<Vec<String>> {
    let it = m.get(k)?.0.as_iter()?;
    Some(it.filter_map(|x| x.as_str().map(str::to_owned)).collect())
}

/// `/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF[/...]` -> `AA:BB:CC:DD:EE:FF`.
pub fn mac_of_path(path: &str) -> Option<String> {
    let seg = path.split('/').find_map(|s| s.strip_prefix("dev_"))?;
    let mac = seg.replace('_', ":").to_ascii_uppercase();
    (mac.len() == 17).then_some(mac)
}

/// The peer's A2DP role from a transport's UUID: our sink endpoint (110B) means the peer is the
/// source, our source endpoint (110A) means the peer is the sink.
pub fn peer_profile_of_transport_uuid(uuid: &str) -> ProfileKind {
    if uuid.to_ascii_lowercase().starts_with("0000110a") {
        ProfileKind::A2dpSink
    } else {
        ProfileKind::A2dpSource
    }
}

fn device_from_props(path: &str, p: &PropMap) -> Option<DeviceInfo> {
    let mac = get_str(p, "Address")
        .map(|a| a.to_ascii_uppercase())
        .or_else(|| mac_of_path(path))?;
    let uuids = get_strs(p, "UUIDs").unwrap_or_default();
    Some(DeviceInfo {
        mac,
        name: get_str(p, "Alias")
            .or_else(|| get_str(p, "Name"))
            .unwrap_or_default(),
        class: get_u32(p, "Class").filter(|c| *c != 0),
        vendor_product: get_str(p, "Modalias").and_then(|m| parse_modalias(&m)),
        profiles: profiles_of_uuids(uuids.iter().map(String::as_str)),
        paired: get_bool(p, "Paired").unwrap_or(false),
        connected: get_bool(p, "Connected").unwrap_or(false),
    })
}

impl BluezView {
    fn ours(&self, path: &str) -> bool {
        path.starts_with(&format!("{}/", self.adapter_path))
    }

    /// An object appeared (GetManagedObjects or InterfacesAdded).
    pub fn object_added(
        &mut self,
        path: &str,
        ifaces: &HashMap<String, PropMap>,
        out: &mut Vec<BackendEvent>,
    ) {
        if path == self.adapter_path {
            if let Some(p) = ifaces.get(ADAPTER_IFACE) {
                self.alias = get_str(p, "Alias").unwrap_or_default();
                self.discoverable = get_bool(p, "Discoverable").unwrap_or(false);
            }
            return;
        }
        if !self.ours(path) {
            return;
        }
        if let Some(p) = ifaces.get(DEVICE_IFACE) {
            if let Some(info) = device_from_props(path, p) {
                self.devices.insert(info.mac.clone(), info.clone());
                out.push(BackendEvent::DeviceUpdated(info));
            }
        }
        if let Some(p) = ifaces.get(TRANSPORT_IFACE) {
            let mac = get_str(p, "Device")
                .and_then(|d| mac_of_path(&d))
                .or_else(|| mac_of_path(path));
            if let Some(mac) = mac {
                let t = Transport {
                    mac: mac.clone(),
                    peer_profile: peer_profile_of_transport_uuid(
                        &get_str(p, "UUID").unwrap_or_default(),
                    ),
                    state: get_str(p, "State")
                        .and_then(|s| TransportState::parse(&s))
                        .unwrap_or(TransportState::Idle),
                };
                out.push(BackendEvent::Transport {
                    mac,
                    peer_profile: t.peer_profile,
                    state: t.state,
                });
                self.transports.insert(path.to_owned(), t);
            }
        }
        if let Some(p) = ifaces.get(PLAYER_IFACE) {
            let mac = get_str(p, "Device")
                .and_then(|d| mac_of_path(&d))
                .or_else(|| mac_of_path(path));
            if let Some(mac) = mac {
                self.players.insert(path.to_owned(), mac);
            }
        }
    }

    /// Interfaces went away (InterfacesRemoved).
    pub fn object_removed(&mut self, path: &str, ifaces: &[String], out: &mut Vec<BackendEvent>) {
        for i in ifaces {
            match i.as_str() {
                DEVICE_IFACE => {
                    if let Some(mac) = mac_of_path(path) {
                        if self.devices.remove(&mac).is_some() {
                            out.push(BackendEvent::DeviceRemoved { mac });
                        }
                    }
                }
                TRANSPORT_IFACE => {
                    if let Some(t) = self.transports.remove(path) {
                        out.push(BackendEvent::TransportRemoved { mac: t.mac });
                    }
                }
                PLAYER_IFACE => {
                    self.players.remove(path);
                }
                _ => {}
            }
        }
    }

    /// Properties changed (PropertiesChanged on `path`, interface `iface`).
    pub fn properties_changed(
        &mut self,
        path: &str,
        iface: &str,
        p: &PropMap,
        out: &mut Vec<BackendEvent>,
    ) {
        match iface {
            ADAPTER_IFACE if path == self.adapter_path => {
                if let Some(a) = get_str(p, "Alias") {
                    self.alias = a;
                }
                if let Some(d) = get_bool(p, "Discovering") {
                    out.push(BackendEvent::Discovering(d));
                }
                if let Some(d) = get_bool(p, "Discoverable") {
                    self.discoverable = d;
                    out.push(BackendEvent::Discoverable(d));
                }
            }
            DEVICE_IFACE if self.ours(path) => {
                let Some(mac) = mac_of_path(path) else { return };
                let dev = self
                    .devices
                    .entry(mac.clone())
                    .or_insert_with(|| DeviceInfo {
                        mac: mac.clone(),
                        ..DeviceInfo::default()
                    });
                let mut updated = false;
                if let Some(n) = get_str(p, "Alias").or_else(|| get_str(p, "Name")) {
                    updated |= dev.name != n;
                    dev.name = n;
                }
                if let Some(c) = get_u32(p, "Class") {
                    updated |= dev.class != Some(c);
                    dev.class = Some(c);
                }
                if let Some(m) = get_str(p, "Modalias") {
                    let vp = parse_modalias(&m);
                    updated |= dev.vendor_product != vp;
                    dev.vendor_product = vp;
                }
                if let Some(u) = get_strs(p, "UUIDs") {
                    let ps = profiles_of_uuids(u.iter().map(String::as_str));
                    updated |= dev.profiles != ps;
                    dev.profiles = ps;
                }
                if updated {
                    out.push(BackendEvent::DeviceUpdated(dev.clone()));
                }
                if let Some(v) = get_bool(p, "Paired") {
                    dev.paired = v;
                    out.push(BackendEvent::Paired {
                        mac: mac.clone(),
                        paired: v,
                    });
                }
                if let Some(v) = get_bool(p, "Connected") {
                    dev.connected = v;
                    out.push(BackendEvent::Connected { mac, connected: v });
                }
            }
            TRANSPORT_IFACE => {
                let Some(t) = self.transports.get_mut(path) else {
                    return;
                };
                if let Some(s) = get_str(p, "State").and_then(|s| TransportState::parse(&s)) {
                    t.state = s;
                    out.push(BackendEvent::Transport {
                        mac: t.mac.clone(),
                        peer_profile: t.peer_profile,
                        state: s,
                    });
                }
            }
            _ => {}
        }
    }

    /// The player object of `mac`, if any.
    pub fn player_of(&self, mac: &str) -> Option<String> {
        let mut v: Vec<&String> = self
            .players
            .iter()
            .filter(|(_, m)| *m == mac)
            .map(|(p, _)| p)
            .collect();
        v.sort();
        v.first().map(|p| (*p).clone())
    }

    /// The transport state of `mac`, if it has one.
    pub fn transport_of(&self, mac: &str) -> Option<&Transport> {
        self.transports.values().find(|t| t.mac == mac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_roles() {
        assert_eq!(
            mac_of_path("/org/bluez/hci0/dev_AA_BB_CC_DD_EE_0F/fd0").as_deref(),
            Some("AA:BB:CC:DD:EE:0F")
        );
        assert_eq!(mac_of_path("/org/bluez/hci0"), None);
        assert_eq!(
            peer_profile_of_transport_uuid("0000110B-0000-1000-8000-00805F9B34FB"),
            ProfileKind::A2dpSource
        );
        assert_eq!(
            peer_profile_of_transport_uuid("0000110a-0000-1000-8000-00805f9b34fb"),
            ProfileKind::A2dpSink
        );
    }
}
