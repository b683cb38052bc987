//! The integration tests of avs-bluetooth, one test binary: the device registry under kills.

mod registry_kill;
