//! Byte-stream links over TCP and Unix sockets: the same bytes an RFCOMM link carries, for
//! tests and development (`[ama] link = "tcp://127.0.0.1:PORT"` or `"unix:/path"`).

use std::path::{Path, PathBuf};

use ama_proto::proto::Transport;
use ama_proto::session::LinkInfo;
use tokio::net::{TcpListener, UnixListener};

use super::{AmaError, Link};

/// A TCP or Unix listener.
#[derive(Debug)]
pub enum StreamListener {
    Tcp {
        listener: TcpListener,
        mtu: usize,
    },
    Unix {
        listener: UnixListener,
        path: PathBuf,
        mtu: usize,
    },
}

impl StreamListener {
    /// Listens on `addr` (`HOST:PORT`; port 0 picks a free one, see [`Self::local_addr`]).
    pub async fn tcp(addr: &str, mtu: usize) -> Result<Self, AmaError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| AmaError::Listen {
                what: format!("tcp://{addr}"),
                source,
            })?;
        Ok(Self::Tcp { listener, mtu })
    }

    /// Listens on the Unix socket `path`, replacing a stale socket file left by a killed run.
    pub fn unix(path: &Path, mtu: usize) -> Result<Self, AmaError> {
        let err = |source| AmaError::Listen {
            what: format!("unix:{}", path.display()),
            source,
        };
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            use std::os::unix::fs::FileTypeExt;
            if meta.file_type().is_socket() {
                std::fs::remove_file(path).map_err(err)?;
            }
        }
        let listener = UnixListener::bind(path).map_err(err)?;
        Ok(Self::Unix {
            listener,
            path: path.to_owned(),
            mtu,
        })
    }

    /// The bound address, as a `link` value (`tcp://...` or `unix:...`).
    pub fn local_addr(&self) -> String {
        match self {
            Self::Tcp { listener, .. } => listener
                .local_addr()
                .map(|a| format!("tcp://{a}"))
                .unwrap_or_else(|_| "tcp://?".into()),
            Self::Unix { path, .. } => format!("unix:{}", path.display()),
        }
    }

    /// The next connection. Cancel-safe.
    pub async fn accept(&mut self) -> Result<Link, AmaError> {
        match self {
            Self::Tcp { listener, mtu } => {
                let (sock, peer) = listener.accept().await.map_err(|source| AmaError::Accept {
                    what: "tcp".into(),
                    source,
                })?;
                let _ = sock.set_nodelay(true);
                let (r, w) = sock.into_split();
                Ok(Link {
                    reader: Box::new(r),
                    writer: Box::new(w),
                    info: info(*mtu),
                    peer: peer.to_string(),
                })
            }
            Self::Unix {
                listener,
                path,
                mtu,
            } => {
                let (sock, _) = listener.accept().await.map_err(|source| AmaError::Accept {
                    what: format!("unix:{}", path.display()),
                    source,
                })?;
                let (r, w) = sock.into_split();
                Ok(Link {
                    reader: Box::new(r),
                    writer: Box::new(w),
                    info: info(*mtu),
                    peer: format!("unix:{}", path.display()),
                })
            }
        }
    }
}

/// Stream links stand in for RFCOMM.
fn info(mtu: usize) -> LinkInfo {
    LinkInfo {
        transport: Transport::BluetoothRfcomm,
        mtu,
        ble: false,
    }
}

impl Drop for StreamListener {
    fn drop(&mut self) {
        if let Self::Unix { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}
