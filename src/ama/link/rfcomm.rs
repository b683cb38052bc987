//! RFCOMM link: registers a BlueZ profile with the AMA SPP UUID (server role, configured
//! channel, authentication required) and accepts the phone's connections as byte streams.
//! Thin over bluer; the bytes are handled by the same code as TCP/Unix links.

use ama_proto::proto::Transport;
use ama_proto::session::LinkInfo;
use futures::StreamExt;

use crate::config::AmaConfig;

use super::{AmaError, Link, RFCOMM_UUID};

/// The registered profile.
pub struct RfcommListener {
    _session: bluer::Session,
    handle: bluer::rfcomm::ProfileHandle,
    addr: [u8; 6],
    mtu: usize,
}

/// The profile we register (exposed for tests against a BlueZ stand-in).
pub fn profile(cfg: &AmaConfig) -> bluer::rfcomm::Profile {
    bluer::rfcomm::Profile {
        uuid: RFCOMM_UUID,
        name: Some("Alexa Mobile Accessory".into()),
        role: Some(bluer::rfcomm::Role::Server),
        channel: Some(u16::from(cfg.rfcomm_channel)),
        require_authentication: Some(true),
        require_authorization: Some(false),
        auto_connect: Some(false),
        ..Default::default()
    }
}

fn bt(e: bluer::Error) -> AmaError {
    AmaError::Bluetooth(e.to_string())
}

impl RfcommListener {
    /// Registers the profile with BlueZ (system bus, or DBUS_SYSTEM_BUS_ADDRESS).
    pub async fn register(cfg: &AmaConfig) -> Result<Self, AmaError> {
        let session = bluer::Session::new().await.map_err(bt)?;
        let adapter = session.default_adapter().await.map_err(bt)?;
        let addr = adapter.address().await.map_err(bt)?.0;
        let handle = session.register_profile(profile(cfg)).await.map_err(bt)?;
        tracing::info!(
            "ama: RFCOMM profile {RFCOMM_UUID} registered on channel {}",
            cfg.rfcomm_channel
        );
        Ok(Self {
            _session: session,
            handle,
            addr,
            mtu: cfg.stream_mtu as usize,
        })
    }

    /// The adapter's address (sent in UPGRADE_TRANSPORT's connection details).
    pub fn bd_addr(&self) -> [u8; 6] {
        self.addr
    }

    /// The next phone connection.
    pub async fn accept(&mut self) -> Result<Link, AmaError> {
        let req = self
            .handle
            .next()
            .await
            .ok_or_else(|| AmaError::Bluetooth("RFCOMM profile unregistered".into()))?;
        let peer = req.device().to_string();
        let stream = req.accept().map_err(|e| AmaError::Accept {
            what: format!("rfcomm from {peer}"),
            source: std::io::Error::other(e.to_string()),
        })?;
        let (r, w) = tokio::io::split(stream);
        Ok(Link {
            reader: Box::new(r),
            writer: Box::new(w),
            info: LinkInfo {
                transport: Transport::BluetoothRfcomm,
                mtu: self.mtu,
                ble: false,
            },
            peer,
        })
    }
}
