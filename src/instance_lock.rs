//! One engine per state: before anything else (the capture device, BlueZ, the sockets),
//! `run` and `bluetooth` take an exclusive `flock` on a lock file in each directory whose
//! state they own: `ama-engine.lock` in `[bluetooth] state_dir` (registry) and the control
//! socket's directory when the Bluetooth side runs, in `[ama] state_dir` when an AMA link is
//! served. A second engine on the same state exits with an error naming the running one's pid
//! (written into the lock file). The lock goes with the process (also on kill -9), so a stale
//! control socket is only ever removed by the engine that holds the lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::config::{AmaLink, Config};

/// The lock file's name inside each directory.
pub const LOCK_FILE: &str = "ama-engine.lock";

/// Held locks; dropping it releases them.
#[derive(Debug)]
pub struct InstanceLock {
    _files: Vec<Flock<File>>,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another ama-engine ({holder}) is running on this state: {path} is locked; \
         stop it first or give this one its own state_dir and [control] path"
    )]
    Held { path: PathBuf, holder: String },
    #[error("cannot create the lock file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The lock files `cfg` asks for: with `bluetooth`, the registry's directory and the control
/// socket's; with an AMA link, `[ama] state_dir`.
pub fn lock_paths(cfg: &Config, bluetooth: bool) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if bluetooth {
        dirs.push(cfg.bluetooth.state_dir.clone());
        if let Some(d) = cfg.control.path.parent() {
            dirs.push(if d.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                d.to_owned()
            });
        }
    }
    if cfg.ama.link != AmaLink::None {
        dirs.push(cfg.ama.state_dir.clone());
    }
    dirs.into_iter().map(|d| d.join(LOCK_FILE)).collect()
}

/// Takes every lock in `paths` (creating the directories), or fails naming the holder.
pub fn acquire(paths: &[PathBuf]) -> Result<InstanceLock, LockError> {
    let mut files: Vec<Flock<File>> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for path in paths {
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // The same directory named twice (or through a symlink) is locked once.
        let canon = path
            .parent()
            .and_then(|d| d.canonicalize().ok())
            .map_or_else(|| path.clone(), |d| d.join(LOCK_FILE));
        if seen.contains(&canon) {
            continue;
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let mut f = match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
            Ok(l) => l,
            Err((mut f, Errno::EWOULDBLOCK)) => {
                return Err(LockError::Held {
                    path: path.clone(),
                    holder: holder(&mut f),
                })
            }
            Err((_, e)) => return Err(io(e.into())),
        };
        write_pid(&mut f).map_err(io)?;
        seen.push(canon);
        files.push(f);
    }
    Ok(InstanceLock { _files: files })
}

fn holder(f: &mut File) -> String {
    let mut s = String::new();
    let _ = f.read_to_string(&mut s);
    match s.trim().parse::<u32>() {
        Ok(pid) => format!("pid {pid}"),
        Err(_) => "pid unknown".into(),
    }
}

fn write_pid(f: &mut File) -> std::io::Result<()> {
    f.set_len(0)?;
    f.rewind()?;
    writeln!(f, "{}", std::process::id())?;
    f.flush()
}

/// [`lock_paths`] + [`acquire`].
pub fn acquire_for(cfg: &Config, bluetooth: bool) -> Result<InstanceLock, LockError> {
    acquire(&lock_paths(cfg, bluetooth))
}
