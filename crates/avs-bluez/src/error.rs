//! Why the BlueZ backend could not start.

/// A failure of the BlueZ backend at startup (calls made later become
/// `avs_bluetooth::agent::BackendError`s for the agent).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BluezError {
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
}
