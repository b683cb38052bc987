//! Persisted accessory state: device configuration (needs_setup, needs_assistant_override),
//! the name the phone gave, the locale; and the [`StateStore`] the session keeps it in. The
//! session does no I/O of its own: the file store is the application's (it writes atomically
//! through `engine_base::fs::write_atomic`).

use std::path::PathBuf;

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
