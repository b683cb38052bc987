//! The device registry: uniqueDeviceId (random UUID v4) <-> MAC <-> category, ordered by most
//! recent connection (most recent first), persisted as JSON.
//!
//! **Guarantees**: every change is written atomically (`engine_base::fs::write_atomic`:
//! temporary file in the same directory, fsync, rename over the old file, fsync of the
//! directory), so a kill at any moment leaves
//! either the old or the new registry, never a broken one. An id, once given to a MAC, is kept
//! across restarts until the device is removed. Not real-time safe (file I/O).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use engine_base::fs::write_atomic;
use serde::{Deserialize, Serialize};

use super::model::DeviceCategory;

/// One known device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeviceRecord {
    /// The uniqueDeviceId given to AVS.
    pub unique_device_id: String,
    /// Upper-case `AA:BB:CC:DD:EE:FF`.
    pub mac: String,
    /// Category (UNKNOWN until SetDeviceCategories says otherwise).
    pub category: DeviceCategory,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    version: u32,
    /// Most recent first.
    devices: Vec<DeviceRecord>,
}

const FILE_VERSION: u32 = 1;

/// A registry that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Reading or writing the file failed; the in-memory registry is unchanged by a failed
    /// read and still holds the change after a failed write (it is retried on the next change).
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// The file is not a registry (never produced by our own writes; a hand edit or another
    /// program). The caller may move it aside and start empty.
    #[error("{path}: not a device registry: {message}")]
    Format { path: PathBuf, message: String },
}

/// The registry, in memory, with the file it is persisted to.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    path: Option<PathBuf>,
    records: Vec<DeviceRecord>,
}

/// Normalizes a MAC address to upper case.
pub fn normalize_mac(mac: &str) -> String {
    mac.trim().to_ascii_uppercase()
}

impl Registry {
    /// A registry that is never persisted (tests, `devices` without a state dir).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Opens the registry at `path`; a missing file is an empty registry.
    pub fn open(path: &Path) -> Result<Self, RegistryError> {
        let records = match fs::read(path) {
            Ok(bytes) => {
                let f: RegistryFile =
                    serde_json::from_slice(&bytes).map_err(|e| RegistryError::Format {
                        path: path.to_owned(),
                        message: e.to_string(),
                    })?;
                if f.version != FILE_VERSION {
                    return Err(RegistryError::Format {
                        path: path.to_owned(),
                        message: format!("version {} (accepted: {FILE_VERSION})", f.version),
                    });
                }
                f.devices
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(RegistryError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        Ok(Self {
            path: Some(path.to_owned()),
            records,
        })
    }

    /// Opens the registry at `path`; an unreadable file is moved aside (`.corrupt`) and an empty
    /// registry is returned with the reason, so the engine keeps running.
    pub fn open_or_recover(path: &Path) -> (Self, Option<RegistryError>) {
        match Self::open(path) {
            Ok(r) => (r, None),
            Err(e) => {
                let aside = path.with_extension("json.corrupt");
                let _ = fs::rename(path, aside);
                (
                    Self {
                        path: Some(path.to_owned()),
                        records: Vec::new(),
                    },
                    Some(e),
                )
            }
        }
    }

    /// All records, most recent first.
    pub fn records(&self) -> &[DeviceRecord] {
        &self.records
    }

    /// The record of `id`.
    pub fn by_id(&self, id: &str) -> Option<&DeviceRecord> {
        self.records.iter().find(|r| r.unique_device_id == id)
    }

    /// The record of `mac`.
    pub fn by_mac(&self, mac: &str) -> Option<&DeviceRecord> {
        let mac = normalize_mac(mac);
        self.records.iter().find(|r| r.mac == mac)
    }

    /// The id of `mac`, creating (and persisting) a new random one when unknown. New devices go
    /// to the end (least recent).
    pub fn id_for_mac(&mut self, mac: &str) -> Result<String, RegistryError> {
        if let Some(r) = self.by_mac(mac) {
            return Ok(r.unique_device_id.clone());
        }
        let id = uuid::Uuid::new_v4().to_string();
        self.records.push(DeviceRecord {
            unique_device_id: id.clone(),
            mac: normalize_mac(mac),
            category: DeviceCategory::Unknown,
        });
        self.save()?;
        Ok(id)
    }

    /// Moves `id` to most recent (called on each connection).
    pub fn touch(&mut self, id: &str) -> Result<(), RegistryError> {
        match self.records.iter().position(|r| r.unique_device_id == id) {
            Some(0) | None => Ok(()),
            Some(i) => {
                let r = self.records.remove(i);
                self.records.insert(0, r);
                self.save()
            }
        }
    }

    /// Sets the category of `id`; false when `id` is unknown.
    pub fn set_category(
        &mut self,
        id: &str,
        category: DeviceCategory,
    ) -> Result<bool, RegistryError> {
        match self.records.iter_mut().find(|r| r.unique_device_id == id) {
            None => Ok(false),
            Some(r) if r.category == category => Ok(true),
            Some(r) => {
                r.category = category;
                self.save().map(|()| true)
            }
        }
    }

    /// Forgets `mac`.
    pub fn remove_mac(&mut self, mac: &str) -> Result<(), RegistryError> {
        let mac = normalize_mac(mac);
        let before = self.records.len();
        self.records.retain(|r| r.mac != mac);
        if self.records.len() != before {
            self.save()?;
        }
        Ok(())
    }

    /// Forgets every device and writes the (empty) registry atomically, even when it was
    /// already empty (the logout/reset flow).
    pub fn clear(&mut self) -> Result<(), RegistryError> {
        self.records.clear();
        self.save()
    }

    /// Keeps only the MACs for which `keep` is true (ScanDevices drops ids of MACs that BlueZ no
    /// longer knows).
    pub fn retain_macs(&mut self, keep: impl Fn(&str) -> bool) -> Result<(), RegistryError> {
        let before = self.records.len();
        self.records.retain(|r| keep(&r.mac));
        if self.records.len() != before {
            self.save()?;
        }
        Ok(())
    }

    /// Writes the registry atomically (no-op for an in-memory registry).
    pub fn save(&self) -> Result<(), RegistryError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = RegistryFile {
            version: FILE_VERSION,
            devices: self.records.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| RegistryError::Format {
            path: path.clone(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        write_atomic(path, &bytes).map_err(|source| RegistryError::Io {
            path: path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_across_reopen_and_order_follows_touch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("reg.json");
        let mut r = Registry::open(&path).expect("open");
        let a = r.id_for_mac("aa:bb:cc:dd:ee:01").expect("a");
        let b = r.id_for_mac("AA:BB:CC:DD:EE:02").expect("b");
        assert_ne!(a, b);
        assert_eq!(r.id_for_mac("AA:BB:CC:DD:EE:01").expect("again"), a);
        assert!(uuid::Uuid::parse_str(&a).is_ok_and(|u| u.get_version_num() == 4));
        r.touch(&b).expect("touch");
        assert!(r.set_category(&a, DeviceCategory::Phone).expect("cat"));
        assert!(!r.set_category("nope", DeviceCategory::Phone).expect("cat"));
        let r2 = Registry::open(&path).expect("reopen");
        let ids: Vec<_> = r2
            .records()
            .iter()
            .map(|x| x.unique_device_id.clone())
            .collect();
        assert_eq!(ids, vec![b.clone(), a.clone()]);
        assert_eq!(
            r2.by_id(&a).map(|x| x.category),
            Some(DeviceCategory::Phone)
        );
        assert_eq!(
            r2.by_mac("aa:bb:cc:dd:ee:02")
                .map(|x| x.unique_device_id.clone()),
            Some(b)
        );
        let mut r3 = r2.clone();
        r3.remove_mac("AA:BB:CC:DD:EE:01").expect("remove");
        assert_eq!(Registry::open(&path).expect("open").records().len(), 1);
        r3.clear().expect("clear");
        assert!(Registry::open(&path).expect("reopen").records().is_empty());
    }

    #[test]
    fn a_foreign_file_is_moved_aside_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("reg.json");
        fs::write(&path, b"{not json").expect("write");
        assert!(matches!(
            Registry::open(&path),
            Err(RegistryError::Format { .. })
        ));
        let (r, err) = Registry::open_or_recover(&path);
        assert!(err.is_some());
        assert!(r.records().is_empty());
        assert!(dir.path().join("reg.json.corrupt").exists());
    }
}
