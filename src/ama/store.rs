//! The AMA accessory state on disk: `ama-state.json` in `[ama] state_dir`, the file-backed
//! [`StateStore`] of the session. Written with the engine's one atomic write (temp file,
//! fsync, rename, fsync of the directory). Not real-time safe (file I/O).

use std::path::{Path, PathBuf};

use ama_proto::session::{Persisted, StateStore, StoreError};

/// A JSON file `ama-state.json` in a directory. Not real-time safe (file I/O).
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// A store in `dir` (created on first save).
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }

    /// The state file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join("ama-state.json")
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

impl StateStore for FileStore {
    fn load(&mut self) -> Result<Persisted, StoreError> {
        let path = self.path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| StoreError::Parse {
                path: path.clone(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Persisted::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    fn save(&mut self, state: &Persisted) -> Result<(), StoreError> {
        let path = self.path();
        let text = serde_json::to_vec_pretty(state).map_err(|e| StoreError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        engine_base::fs::write_atomic(&path, &text).map_err(io(&path))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ama_proto::envelope;
    use ama_proto::proto::{
        control_envelope::Payload, Command as AmaCommand, CompleteSetup, DeviceConfiguration,
        Transport,
    };
    use ama_proto::session::{LinkInfo, Output, Session, SessionSettings};

    use super::*;

    #[test]
    fn file_store_round_trips_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FileStore::new(&dir.path().join("sub"));
        assert_eq!(s.load().unwrap(), Persisted::default());
        let p = Persisted {
            needs_setup: false,
            needs_assistant_override: true,
            name: Some("Kitchen".into()),
            locale: Some("de-DE".into()),
        };
        s.save(&p).unwrap();
        assert_eq!(FileStore::new(&dir.path().join("sub")).load().unwrap(), p);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("ama-state.json")]);
    }

    #[test]
    fn broken_file_is_a_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ama-state.json"), "{not json").unwrap();
        let err = FileStore::new(dir.path()).load().unwrap_err();
        assert!(matches!(err, StoreError::Parse { .. }), "{err}");
    }

    /// The session's device configuration persists through this store (COMPLETE_SETUP, then a
    /// new session on the same directory).
    #[test]
    fn device_configuration_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Session::new(
            SessionSettings::default(),
            Box::new(FileStore::new(dir.path())),
        );
        s.link_up(
            Duration::ZERO,
            LinkInfo {
                transport: Transport::BluetoothRfcomm,
                mtu: 990,
                ble: false,
            },
        );
        let mut out = Output::default();
        let complete = envelope::request(
            AmaCommand::CompleteSetup,
            Payload::CompleteSetup(CompleteSetup { error_code: 0 }),
        );
        s.on_envelope(Duration::from_millis(1), complete, &mut out);
        assert_eq!(out.send.len(), 1, "one answer");
        drop(s);
        let again = Session::new(
            SessionSettings::default(),
            Box::new(FileStore::new(dir.path())),
        );
        assert_eq!(
            again.device_configuration(),
            DeviceConfiguration {
                needs_assistant_override: false,
                needs_setup: false
            }
        );
    }
}
