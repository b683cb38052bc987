//! Errors of the Bluetooth interface as a whole (startup and serving).

use std::path::PathBuf;

use super::registry::RegistryError;

/// Why the Bluetooth interface could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BluetoothError {
    /// The system bus could not be reached or a D-Bus call failed at startup. Check that
    /// dbus and bluetoothd run (or DBUS_SYSTEM_BUS_ADDRESS in tests).
    #[error("D-Bus: {0}")]
    DBus(String),
    /// BlueZ refused something at startup (adapter, agent).
    #[error("BlueZ: {0}")]
    Bluez(String),
    /// No adapter (or not the configured one).
    #[error("no Bluetooth adapter {0}")]
    NoAdapter(String),
    /// The control socket could not be set up.
    #[error("control socket {path}: {source}")]
    Control {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The registry could not be opened.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
