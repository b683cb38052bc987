//! Who may act on the AMA GATT characteristics (issue 11, defect 3 on BLE). Pure: no D-Bus;
//! the bond state comes through [`BondLookup`], which gatt.rs implements on BlueZ and the
//! tests with a double.
//!
//! BlueZ shares each characteristic between all connected devices: one acquired notify socket
//! whose notifications go to every subscribed device, and `AcquireNotify` is called only when
//! no device is subscribed (so a new subscription means the current phone's notifications are
//! gone: its link is dead). Writes come one `WriteValue` each with the writing device (we do
//! not offer `AcquireWrite`: BlueZ would put every device's writes into that one socket,
//! unattributed). The rule, per call:
//! - **writes** reach the session only from the active phone; from any other device they are
//!   refused (`NotAuthorized`) while a phone is active: they neither replace nor disturb it;
//! - **a subscription** (`AcquireNotify`) makes its device the active phone when there is
//!   none or it is the active one; otherwise (the current link is dead, see above) only a
//!   device BlueZ reports bonded (`Bonded`, or `Paired` on a BlueZ without `Bonded`) replaces
//!   it; any other device is refused and the active phone stays;
//! - the active phone is cleared when its session ends (the pump calls [`Admission::end`]).
//!
//! Not real-time safe (async side only).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// Whether BlueZ reports a device bonded (paired with stored keys).
pub trait BondLookup: Send + Sync + 'static {
    /// `device` is the BlueZ object path ("/org/bluez/hci0/dev_11_22_33_44_55_66"). Any
    /// failure to find out counts as not bonded.
    fn is_bonded<'a>(&'a self, device: &'a str) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
}

/// Why a call was refused (the text of the D-Bus error BlueZ gets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// What a subscription needs before it is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribe {
    /// No phone is active, or it is this device: admitted.
    Admit,
    /// Another phone is active: admitted only if this device is bonded.
    IfBonded,
}

/// The active phone (its device path), shared by the GATT handlers and the pump.
#[derive(Debug, Default)]
pub struct Admission {
    active: Mutex<Option<String>>,
    /// The device last refused, so a flood of refused writes is logged once.
    last_refused: Mutex<Option<String>>,
}

impl Admission {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The active phone's device path.
    pub fn active(&self) -> Option<String> {
        self.lock().clone()
    }

    /// A write from `device` (None: BlueZ did not say who): Ok when it may reach the session.
    pub fn write(&self, device: Option<&str>) -> Result<(), Refused> {
        match (self.lock().as_deref(), device) {
            (None, _) => Ok(()),
            (Some(a), Some(d)) if a == d => Ok(()),
            (Some(a), d) => {
                let d = d.unwrap_or("an unnamed device");
                self.note_refusal(d, a);
                Err(Refused(format!("{d} is not the connected phone")))
            }
        }
    }

    fn note_refusal(&self, device: &str, active: &str) {
        let mut last = self.last_refused.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_deref() != Some(device) {
            tracing::warn!("ama: BLE write from {device} refused: {active} is the phone");
            *last = Some(device.to_owned());
        }
    }

    /// What a subscription from `device` needs.
    pub fn subscribe(&self, device: &str) -> Subscribe {
        match self.lock().as_deref() {
            None => Subscribe::Admit,
            Some(a) if a == device => Subscribe::Admit,
            Some(_) => Subscribe::IfBonded,
        }
    }

    /// `device` becomes the active phone.
    pub fn activate(&self, device: &str) {
        *self.lock() = Some(device.to_owned());
        *self.last_refused.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// `device`'s session ended: no phone is active unless another took its place.
    pub fn end(&self, device: &str) {
        let mut a = self.lock();
        if a.as_deref() == Some(device) {
            *a = None;
        }
    }

    /// Decides a subscription from `device`, asking `bonds` only when another phone is
    /// active; an admitted device becomes the active phone.
    pub async fn admit_subscription(
        &self,
        bonds: &dyn BondLookup,
        device: &str,
    ) -> Result<(), Refused> {
        if self.subscribe(device) == Subscribe::IfBonded && !bonds.is_bonded(device).await {
            let active = self.active().unwrap_or_default();
            tracing::warn!(
                "ama: BLE subscription from {device} refused: not bonded, and {active} is the phone"
            );
            return Err(Refused(format!(
                "{device} is not bonded; another phone is connected"
            )));
        }
        self.activate(device);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Bonded devices by path; counts the lookups.
    #[derive(Default)]
    struct Bonds {
        bonded: HashSet<String>,
        asked: Mutex<Vec<String>>,
    }

    impl BondLookup for Bonds {
        fn is_bonded<'a>(
            &'a self,
            device: &'a str,
        ) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
            self.asked.lock().unwrap().push(device.to_owned());
            Box::pin(async move { self.bonded.contains(device) })
        }
    }

    const PHONE: &str = "/org/bluez/hci0/dev_11_22_33_44_55_66";
    const STRANGER: &str = "/org/bluez/hci0/dev_66_55_44_33_22_11";
    const OTHER_PHONE: &str = "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF";

    fn block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn an_unbonded_device_neither_replaces_nor_disturbs_the_phone() {
        let adm = Admission::new();
        let bonds = Bonds::default();
        // The first phone needs no bond lookup (BlueZ's encrypt-notify made it pair).
        block(adm.admit_subscription(&bonds, PHONE)).unwrap();
        assert!(bonds.asked.lock().unwrap().is_empty());
        assert_eq!(adm.active().as_deref(), Some(PHONE));
        assert_eq!(adm.write(Some(PHONE)), Ok(()));

        // The stranger's writes are refused, unnamed writes too; its subscription as well.
        assert!(adm.write(Some(STRANGER)).is_err());
        assert!(adm.write(None).is_err());
        assert!(block(adm.admit_subscription(&bonds, STRANGER)).is_err());
        assert_eq!(*bonds.asked.lock().unwrap(), [STRANGER]);
        assert_eq!(adm.active().as_deref(), Some(PHONE), "the phone stays");
        assert_eq!(adm.write(Some(PHONE)), Ok(()));
        // The phone subscribing again needs no lookup.
        block(adm.admit_subscription(&bonds, PHONE)).unwrap();
        assert_eq!(bonds.asked.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_bonded_device_replaces_a_phone_whose_subscription_is_gone() {
        let adm = Admission::new();
        let bonds = Bonds {
            bonded: HashSet::from([OTHER_PHONE.to_owned()]),
            ..Bonds::default()
        };
        block(adm.admit_subscription(&bonds, PHONE)).unwrap();
        // Its writes alone do not take the link.
        assert!(adm.write(Some(OTHER_PHONE)).is_err());
        block(adm.admit_subscription(&bonds, OTHER_PHONE)).unwrap();
        assert_eq!(adm.active().as_deref(), Some(OTHER_PHONE));
        assert!(adm.write(Some(PHONE)).is_err());
        assert_eq!(adm.write(Some(OTHER_PHONE)), Ok(()));
    }

    #[test]
    fn when_the_phones_session_ends_anyone_may_subscribe() {
        let adm = Admission::new();
        let bonds = Bonds::default();
        block(adm.admit_subscription(&bonds, PHONE)).unwrap();
        // A stale end (another device's) changes nothing.
        adm.end(STRANGER);
        assert_eq!(adm.active().as_deref(), Some(PHONE));
        adm.end(PHONE);
        assert_eq!(adm.active(), None);
        assert_eq!(adm.write(Some(STRANGER)), Ok(()), "no phone to disturb");
        block(adm.admit_subscription(&bonds, STRANGER)).unwrap();
        assert!(bonds.asked.lock().unwrap().is_empty());
    }
}
