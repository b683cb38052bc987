//! The AVS Bluetooth interface on BlueZ (issue 5).
