//! Persisted accessory state: device configuration (needs_setup, needs_assistant_override),
//! the name the phone gave, the locale. Written atomically: temp file, fsync, rename, fsync dir.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What survives a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    pub needs_setup: bool,
    pub needs_assistant_override: bool,
    /// Name set by UPDATE_DEVICE_INFORMATION (None: the configured name).
    pub name: Option<String>,
    /// Locale set by SET_LOCALE (None: the configured locale).
    pub locale: Option<String>,
}

impl Default for Persisted {
    fn default() -> Self {
        Self {
            needs_setup: true,
            needs_assistant_override: false,
            name: None,
            locale: None,
        }
    }
}

/// A store that could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading, writing, syncing or renaming failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape; it is left in place and defaults used.
    #[error("{path}: not a valid state file: {message}")]
    Parse { path: PathBuf, message: String },
}

/// Where the session keeps [`Persisted`]. The session answers INTERNAL when `save` fails.
pub trait StateStore: Send + Sync {
    /// Loads the state (defaults when there is none yet).
    fn load(&mut self) -> Result<Persisted, StoreError>;
    /// Saves the state atomically.
    fn save(&mut self, state: &Persisted) -> Result<(), StoreError>;
}

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
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let path = self.path();
        let tmp = self.dir.join(".ama-state.json.tmp");
        let text = serde_json::to_vec_pretty(state).map_err(|e| StoreError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(&text).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))?;
        Ok(())
    }
}

/// A store in memory (tests, or when no state dir is usable).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    pub state: Option<Persisted>,
    /// Make `save` fail (tests of the INTERNAL answer).
    pub fail_saves: bool,
}

impl StateStore for MemoryStore {
    fn load(&mut self) -> Result<Persisted, StoreError> {
        Ok(self.state.clone().unwrap_or_default())
    }

    fn save(&mut self, state: &Persisted) -> Result<(), StoreError> {
        if self.fail_saves {
            return Err(StoreError::Io {
                path: PathBuf::from("<memory>"),
                source: std::io::Error::other("save refused"),
            });
        }
        self.state = Some(state.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
}
