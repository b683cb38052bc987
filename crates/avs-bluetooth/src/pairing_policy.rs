//! The pairing agent's policy, pure: which `org.bluez.Agent1` request is accepted, and why.
//!
//! BlueZ does consult a NoInputNoOutput agent: a peer's just-works pairing raises
//! `RequestAuthorization` (LE, and BR/EDR with a confirm hint), numeric comparison raises
//! `RequestConfirmation`, legacy BR/EDR pairing raises `RequestPinCode`, and a connection to a
//! service of an untrusted device raises `AuthorizeService` (A2DP's AVDTP, for example). The
//! backend (crate avs-bluez, `pairing.rs`) asks [`decide`] and logs the answer with its [`Reason`]; the
//! adapter's Pairable property follows [`pairable`].
//!
//! **Guarantees**: no I/O, no clock; every request gets an answer.

use serde::{Deserialize, Serialize};

/// When the pairing agent accepts an incoming (peer-initiated) pairing request
/// (`[bluetooth] pairing_policy` in the application's config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairingPolicy {
    /// Only while discoverable (EnterDiscoverableMode) or while a PairDevices directive runs.
    WhenDiscoverable,
    /// Always (just-works, NoInputNoOutput).
    Always,
    /// Never accept a peer-initiated pairing (PairDevices still works).
    Never,
}

/// The PIN a device without keyboard or display answers legacy (pre-2.1) pairing with.
pub const LEGACY_PIN: &str = "0000";

/// When the agent core admits pairing, as it publishes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairingWindow {
    /// EnterDiscoverableMode is in force.
    pub discoverable: bool,
    /// MACs (upper case) of the devices a running PairDevices directive is pairing.
    pub pairing: Vec<String>,
}

impl PairingWindow {
    /// Discoverable, or a PairDevices directive running.
    pub fn is_open(&self) -> bool {
        self.discoverable || !self.pairing.is_empty()
    }

    fn pairs_with(&self, mac: &str) -> bool {
        self.pairing.iter().any(|m| m.eq_ignore_ascii_case(mac))
    }
}

/// The Agent1 requests that need a decision (Cancel and Release need none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentRequest {
    /// Just-works pairing (or cable pairing) to authorize.
    RequestAuthorization,
    /// Numeric comparison: confirm the passkey shown on the peer.
    RequestConfirmation,
    /// Legacy pairing: the PIN to use.
    RequestPinCode,
    /// Passkey entry: the passkey typed on this device.
    RequestPasskey,
    /// Show the passkey the peer must type.
    DisplayPasskey,
    /// Show the PIN the peer must type.
    DisplayPinCode,
    /// A connection to one of our services from the device.
    AuthorizeService,
}

impl AgentRequest {
    /// The D-Bus method name.
    pub fn method(self) -> &'static str {
        match self {
            Self::RequestAuthorization => "RequestAuthorization",
            Self::RequestConfirmation => "RequestConfirmation",
            Self::RequestPinCode => "RequestPinCode",
            Self::RequestPasskey => "RequestPasskey",
            Self::DisplayPasskey => "DisplayPasskey",
            Self::DisplayPinCode => "DisplayPinCode",
            Self::AuthorizeService => "AuthorizeService",
        }
    }
}

/// Why a request was accepted or rejected (logged with the device).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `pairing_policy = "always"`.
    PolicyAlways,
    /// Discoverable (EnterDiscoverableMode).
    Discoverable,
    /// A PairDevices directive is pairing this very device.
    OwnPairDevices,
    /// A PairDevices directive is running (`when-discoverable` admits peers meanwhile).
    PairDevicesRunning,
    /// Neither discoverable nor a PairDevices running.
    WindowClosed,
    /// `pairing_policy = "never"` and not a device PairDevices is pairing.
    PolicyNever,
    /// The device is bonded with us.
    Bonded,
    /// The device is not bonded with us.
    NotBonded,
    /// This device has no keyboard to type a passkey.
    NoKeyboard,
    /// This device has no display to show a code.
    NoDisplay,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PolicyAlways => "pairing_policy is always",
            Self::Discoverable => "discoverable",
            Self::OwnPairDevices => "a PairDevices directive is pairing this device",
            Self::PairDevicesRunning => "a PairDevices directive is running",
            Self::WindowClosed => "not discoverable and no PairDevices running",
            Self::PolicyNever => "pairing_policy is never",
            Self::Bonded => "bonded",
            Self::NotBonded => "not bonded",
            Self::NoKeyboard => "no keyboard to enter a passkey",
            Self::NoDisplay => "no display to show a code",
        })
    }
}

/// The answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An empty reply (authorized, confirmed).
    Accept(Reason),
    /// Reply with this PIN.
    Pin(&'static str, Reason),
    /// `org.bluez.Error.Rejected`.
    Reject(Reason),
}

impl Decision {
    /// Whether the request was granted.
    pub fn granted(self) -> bool {
        !matches!(self, Self::Reject(_))
    }

    /// Why.
    pub fn reason(self) -> Reason {
        match self {
            Self::Accept(r) | Self::Pin(_, r) | Self::Reject(r) => r,
        }
    }
}

/// Whether a peer's pairing with `mac` is admitted now: `Ok` with the reason, or `Err`.
fn admits(policy: PairingPolicy, window: &PairingWindow, mac: &str) -> Result<Reason, Reason> {
    if window.pairs_with(mac) {
        return Ok(Reason::OwnPairDevices);
    }
    match policy {
        PairingPolicy::Always => Ok(Reason::PolicyAlways),
        PairingPolicy::Never => Err(Reason::PolicyNever),
        PairingPolicy::WhenDiscoverable if window.discoverable => Ok(Reason::Discoverable),
        PairingPolicy::WhenDiscoverable if !window.pairing.is_empty() => {
            Ok(Reason::PairDevicesRunning)
        }
        PairingPolicy::WhenDiscoverable => Err(Reason::WindowClosed),
    }
}

/// The answer to `request` from the device `mac`; `bonded` is BlueZ's Paired property of
/// that device (only `AuthorizeService` reads it).
///
/// - Pairing requests (authorization, confirmation, legacy PIN) are granted while the policy
///   admits the device: always, never (but for PairDevices' own device), or while discoverable
///   or a PairDevices runs; the PIN is [`LEGACY_PIN`].
/// - Passkey entry and display requests are rejected: a NoInputNoOutput device can do neither.
/// - `AuthorizeService` is granted for bonded devices only, whatever the service (A2DP, AVRCP,
///   the AMA RFCOMM profile).
pub fn decide(
    policy: PairingPolicy,
    window: &PairingWindow,
    request: AgentRequest,
    mac: &str,
    bonded: bool,
) -> Decision {
    let pairing = |accept: fn(Reason) -> Decision| match admits(policy, window, mac) {
        Ok(r) => accept(r),
        Err(r) => Decision::Reject(r),
    };
    match request {
        AgentRequest::RequestAuthorization | AgentRequest::RequestConfirmation => {
            pairing(Decision::Accept)
        }
        AgentRequest::RequestPinCode => pairing(|r| Decision::Pin(LEGACY_PIN, r)),
        AgentRequest::RequestPasskey => Decision::Reject(Reason::NoKeyboard),
        AgentRequest::DisplayPasskey | AgentRequest::DisplayPinCode => {
            Decision::Reject(Reason::NoDisplay)
        }
        AgentRequest::AuthorizeService if bonded => Decision::Accept(Reason::Bonded),
        AgentRequest::AuthorizeService => Decision::Reject(Reason::NotBonded),
    }
}

/// The adapter's Pairable property: true while the policy admits some peer.
pub fn pairable(policy: PairingPolicy, window: &PairingWindow) -> bool {
    match policy {
        PairingPolicy::Always => true,
        PairingPolicy::Never => !window.pairing.is_empty(),
        PairingPolicy::WhenDiscoverable => window.is_open(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgentRequest as R;
    use PairingPolicy as P;

    const PHONE: &str = "00:AA:01:01:00:01";
    const OTHER: &str = "11:22:33:44:55:66";
    const PAIRING: [AgentRequest; 3] = [
        R::RequestAuthorization,
        R::RequestConfirmation,
        R::RequestPinCode,
    ];

    fn closed() -> PairingWindow {
        PairingWindow::default()
    }

    fn discoverable() -> PairingWindow {
        PairingWindow {
            discoverable: true,
            pairing: vec![],
        }
    }

    fn pairing_phone() -> PairingWindow {
        PairingWindow {
            discoverable: false,
            pairing: vec![PHONE.to_owned()],
        }
    }

    #[test]
    fn pairing_requests_follow_the_window_when_discoverable() {
        for req in PAIRING {
            let d = decide(P::WhenDiscoverable, &closed(), req, PHONE, false);
            assert_eq!(d.reason(), Reason::WindowClosed, "{req:?}");
            assert!(!d.granted());
            let d = decide(P::WhenDiscoverable, &discoverable(), req, PHONE, false);
            assert!(d.granted(), "{req:?}");
            assert_eq!(d.reason(), Reason::Discoverable);
            let d = decide(P::WhenDiscoverable, &pairing_phone(), req, PHONE, false);
            assert_eq!(d.reason(), Reason::OwnPairDevices);
            let d = decide(P::WhenDiscoverable, &pairing_phone(), req, OTHER, false);
            assert_eq!(d, pairing_grant(req, Reason::PairDevicesRunning));
        }
    }

    fn pairing_grant(req: AgentRequest, r: Reason) -> Decision {
        if req == R::RequestPinCode {
            Decision::Pin(LEGACY_PIN, r)
        } else {
            Decision::Accept(r)
        }
    }

    #[test]
    fn never_admits_only_the_device_pair_devices_pairs() {
        for req in PAIRING {
            let d = decide(P::Never, &discoverable(), req, PHONE, false);
            assert_eq!(d, Decision::Reject(Reason::PolicyNever));
            let d = decide(P::Never, &pairing_phone(), req, OTHER, false);
            assert_eq!(d, Decision::Reject(Reason::PolicyNever));
            let d = decide(P::Never, &pairing_phone(), req, "00:aa:01:01:00:01", false);
            assert_eq!(d, pairing_grant(req, Reason::OwnPairDevices));
        }
    }

    #[test]
    fn always_admits_every_pairing() {
        for req in PAIRING {
            let d = decide(P::Always, &closed(), req, PHONE, false);
            assert_eq!(d, pairing_grant(req, Reason::PolicyAlways));
        }
    }

    #[test]
    fn legacy_pin_is_the_fixed_one() {
        let d = decide(P::Always, &closed(), R::RequestPinCode, PHONE, false);
        assert_eq!(d, Decision::Pin("0000", Reason::PolicyAlways));
    }

    #[test]
    fn passkey_entry_and_display_are_refused_even_when_open() {
        for policy in [P::Always, P::WhenDiscoverable, P::Never] {
            for w in [closed(), discoverable(), pairing_phone()] {
                let d = decide(policy, &w, R::RequestPasskey, PHONE, true);
                assert_eq!(d, Decision::Reject(Reason::NoKeyboard));
                for req in [R::DisplayPasskey, R::DisplayPinCode] {
                    let d = decide(policy, &w, req, PHONE, true);
                    assert_eq!(d, Decision::Reject(Reason::NoDisplay));
                }
            }
        }
    }

    #[test]
    fn services_are_authorized_for_bonded_devices_only() {
        for policy in [P::Always, P::WhenDiscoverable, P::Never] {
            for w in [closed(), discoverable(), pairing_phone()] {
                let d = decide(policy, &w, R::AuthorizeService, PHONE, true);
                assert_eq!(d, Decision::Accept(Reason::Bonded));
                let d = decide(policy, &w, R::AuthorizeService, PHONE, false);
                assert_eq!(d, Decision::Reject(Reason::NotBonded));
            }
        }
    }

    #[test]
    fn pairable_follows_the_policy() {
        assert!(pairable(P::Always, &closed()));
        assert!(!pairable(P::Never, &discoverable()));
        assert!(pairable(P::Never, &pairing_phone()));
        assert!(!pairable(P::WhenDiscoverable, &closed()));
        assert!(pairable(P::WhenDiscoverable, &discoverable()));
        assert!(pairable(P::WhenDiscoverable, &pairing_phone()));
    }

    #[test]
    fn method_names_are_bluez_ones() {
        assert_eq!(R::AuthorizeService.method(), "AuthorizeService");
        assert_eq!(R::RequestPinCode.method(), "RequestPinCode");
    }
}
