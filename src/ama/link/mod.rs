//! Links that carry AMA bytes: byte streams (TCP and Unix sockets for tests and development,
//! RFCOMM through BlueZ) and the BLE GATT server. Each yields a [`Link`]: a reader, a writer
//! and the [`LinkInfo`] the session needs. Everything above the link (framing, session) is the
//! same for all of them.
//!
//! **Invariant**: only `link/ble.rs`, `link/gatt.rs` and `link/rfcomm.rs` know BlueZ/D-Bus.

pub mod admission;
pub mod ble;
pub mod gatt;
pub mod rfcomm;
pub mod stream;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::{AmaConfig, AmaLink};
use ama_proto::session::LinkInfo;

/// The AMA SPP service UUID registered for RFCOMM (spec/ama-protocol.md, "Links").
pub const RFCOMM_UUID: uuid::Uuid = uuid::uuid!("931C7E8A-540F-4686-B798-E8DF0A2AD9F7");
/// The AMA GATT service (0xFE03).
pub const SERVICE_UUID: uuid::Uuid = uuid::uuid!("0000FE03-0000-1000-8000-00805F9B34FB");
/// The characteristic the phone writes to.
pub const RX_CHAR_UUID: uuid::Uuid = uuid::uuid!("F04EB177-3005-43A7-AC61-A390DDF83076");
/// The characteristic the accessory notifies on.
pub const TX_CHAR_UUID: uuid::Uuid = uuid::uuid!("2BEEA05B-1879-4BB4-8A2F-72641F82420B");

/// Reading half of a link.
pub type Reader = Box<dyn AsyncRead + Unpin + Send>;
/// Writing half of a link.
pub type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// One connected phone.
pub struct Link {
    pub reader: Reader,
    pub writer: Writer,
    pub info: LinkInfo,
    /// Who is on the other end (socket address or BD_ADDR), for logs.
    pub peer: String,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("info", &self.info)
            .field("peer", &self.peer)
            .finish()
    }
}

/// Errors of the AMA link layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AmaError {
    /// `[ama] link = "none"`: nothing to serve.
    #[error("no AMA link configured ([ama] link = \"none\")")]
    NoLink,
    /// The listener could not be set up (address in use, bad path, permissions).
    #[error("cannot listen on {what}: {source}")]
    Listen {
        what: String,
        source: std::io::Error,
    },
    /// Accepting a connection failed.
    #[error("accept on {what} failed: {source}")]
    Accept {
        what: String,
        source: std::io::Error,
    },
    /// BlueZ refused or is not there (no adapter, no bluetoothd, D-Bus error).
    #[error("bluetooth: {0}")]
    Bluetooth(String),
}

/// A listening link of the configured kind.
pub enum Listener {
    Stream(stream::StreamListener),
    Rfcomm(rfcomm::RfcommListener),
    /// BLE, plus the RFCOMM profile a phone moves to after UPGRADE_TRANSPORT (None when BlueZ
    /// refused the profile; BLE then works alone and upgrades are refused by the phone's
    /// failed connect).
    Ble(ble::BleListener, Option<rfcomm::RfcommListener>),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Stream(_) => "Listener::Stream",
            Self::Rfcomm(_) => "Listener::Rfcomm",
            Self::Ble(..) => "Listener::Ble",
        })
    }
}

impl Listener {
    /// Starts listening as `[ama] link` says.
    pub async fn bind(cfg: &AmaConfig) -> Result<Self, AmaError> {
        match cfg.link.clone() {
            AmaLink::None => Err(AmaError::NoLink),
            AmaLink::Tcp(addr) => Ok(Self::Stream(
                stream::StreamListener::tcp(&addr, cfg.stream_mtu as usize).await?,
            )),
            AmaLink::Unix(path) => Ok(Self::Stream(stream::StreamListener::unix(
                &path,
                cfg.stream_mtu as usize,
            )?)),
            AmaLink::Rfcomm => Ok(Self::Rfcomm(rfcomm::RfcommListener::register(cfg).await?)),
            AmaLink::Ble => {
                let ble = ble::BleListener::start(cfg).await?;
                let rfcomm = match rfcomm::RfcommListener::register(cfg).await {
                    Ok(r) => Some(r),
                    Err(e) => {
                        tracing::warn!(
                            "ama: RFCOMM profile for transport upgrades not registered: {e}"
                        );
                        None
                    }
                };
                Ok(Self::Ble(ble, rfcomm))
            }
        }
    }

    /// Waits for the next phone. Cancel-safe (a connection is never half-taken).
    pub async fn accept(&mut self) -> Result<Link, AmaError> {
        match self {
            Self::Stream(l) => l.accept().await,
            Self::Rfcomm(l) => l.accept().await,
            Self::Ble(l, None) => l.accept().await,
            // Both accepts are cancel-safe, so the loser of the race loses nothing.
            Self::Ble(l, Some(r)) => tokio::select! {
                link = l.accept() => link,
                link = r.accept() => link,
            },
        }
    }

    /// The accessory's Bluetooth address, when the link knows it (RFCOMM, BLE).
    pub fn bd_addr(&self) -> Option<[u8; 6]> {
        match self {
            Self::Stream(_) => None,
            Self::Rfcomm(l) => Some(l.bd_addr()),
            Self::Ble(l, _) => Some(l.bd_addr()),
        }
    }
}
