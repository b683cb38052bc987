//! Errors of the Bluetooth interface as a whole (startup and serving).

use avs_bluetooth::registry::RegistryError;
use avs_bluez::BluezError;

use crate::control::ControlError;

/// Why the Bluetooth interface could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BluetoothError {
    /// The BlueZ backend could not start (system bus, adapter, agent).
    #[error(transparent)]
    Bluez(#[from] BluezError),
    /// The control socket could not be set up or failed.
    #[error(transparent)]
    Control(#[from] ControlError),
    /// The registry could not be opened.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
