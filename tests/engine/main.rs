//! The integration tests of the application (crate ama-engine), one test binary: the engine's
//! commands end to end (ALSA through the file plugin, simulate, run with the AMA link and the
//! phone tool, the Bluetooth interface and the control socket against a private D-Bus with
//! python-dbusmock's BlueZ, the bridge), and the configuration on the command line.
//! Shared helpers are modules here (`support`, `ama_support`, `bluetooth_support`) or the
//! workspace's test-support crate.

mod ama_support;
mod bluetooth_support;
mod prometheus_support;
mod support;

mod aec_echo;
mod aec_wakeword;
mod alsa_capture;
mod ama_bluez;
mod ama_duck;
mod ama_e2e;
mod ama_independent;
mod ama_run;
mod bluetooth_avrcp_reset;
mod bluetooth_interface;
mod bluetooth_pairing_agent;
mod bluetooth_timeouts;
mod bluetooth_v1_restart;
mod bridge_run;
mod compare_peers_script;
mod config_cli;
mod control_socket;
mod denoise_sisdr;
mod gate_streams;
mod hostile;
mod install_script;
mod service_run;
mod simulate_input;
mod simulate_opus;
mod telemetry_prometheus;
mod wakeword_simulate;
