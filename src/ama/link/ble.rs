//! BLE link: the AMA GATT application (gatt.rs: service 0xFE03, its two characteristics, the
//! notify CCCD requiring encryption) and LE advertising with the 0xFE03 service data through
//! bluer. A pump task turns the phone's writes into a byte stream for the session and cuts what
//! the session writes into notifications of at most (ATT MTU - 5) bytes, within the spec's
//! (ATT MTU - 3) (spec/ama-protocol.md, "Links"). Framing and the session are the same code as
//! on stream links. Not real-time safe (async side only).

use std::collections::{BTreeMap, BTreeSet};

use ama_proto::proto::Transport;
use ama_proto::session::LinkInfo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::UnixDatagram;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::config::AmaConfig;

use super::gatt::{self, GattEvent};
use super::{AmaError, Link, SERVICE_UUID};

/// Bytes buffered between the pump and the session in each direction.
const PIPE: usize = 64 * 1024;

/// The running GATT server and advertisement.
pub struct BleListener {
    links: mpsc::Receiver<Link>,
    addr: [u8; 6],
    _session: bluer::Session,
    _app: gatt::GattApp,
    _adv: bluer::adv::AdvertisementHandle,
    pump: tokio::task::JoinHandle<()>,
}

impl Drop for BleListener {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// The LE advertisement: the AMA service UUID, its service data, the device name.
pub fn advertisement(cfg: &AmaConfig) -> bluer::adv::Advertisement {
    let mut service_data = BTreeMap::new();
    service_data.insert(SERVICE_UUID, cfg.ble_service_data.0.clone());
    bluer::adv::Advertisement {
        advertisement_type: bluer::adv::Type::Peripheral,
        service_uuids: BTreeSet::from([SERVICE_UUID]),
        service_data,
        discoverable: Some(true),
        local_name: Some(cfg.name.clone()),
        ..Default::default()
    }
}

fn bt(e: bluer::Error) -> AmaError {
    AmaError::Bluetooth(e.to_string())
}

impl BleListener {
    /// Powers the default adapter, serves the GATT application and starts advertising.
    pub async fn start(cfg: &AmaConfig) -> Result<Self, AmaError> {
        let session = bluer::Session::new().await.map_err(bt)?;
        let adapter = session.default_adapter().await.map_err(bt)?;
        adapter.set_powered(true).await.map_err(bt)?;
        let addr = adapter.address().await.map_err(bt)?.0;
        let (events_tx, events) = mpsc::channel(8);
        let adapter_path = format!("/org/bluez/{}", adapter.name());
        let app = gatt::serve(&adapter_path, cfg.ble_notify_encryption, events_tx).await?;
        let adv = adapter.advertise(advertisement(cfg)).await.map_err(bt)?;
        info!(
            "ama: BLE GATT service {SERVICE_UUID} served and advertised on {} (notify {})",
            adapter.name(),
            if cfg.ble_notify_encryption {
                "needs an encrypted link"
            } else {
                "open: ble_notify_encryption = false"
            }
        );
        let (link_tx, links) = mpsc::channel(2);
        let pump = tokio::spawn(pump(events, link_tx));
        Ok(Self {
            links,
            addr,
            _session: session,
            _app: app,
            _adv: adv,
            pump,
        })
    }

    /// The adapter's address.
    pub fn bd_addr(&self) -> [u8; 6] {
        self.addr
    }

    /// The next phone: ready once it has subscribed to notifications. Cancel-safe.
    pub async fn accept(&mut self) -> Result<Link, AmaError> {
        self.links
            .recv()
            .await
            .ok_or_else(|| AmaError::Bluetooth("GATT server stopped".into()))
    }
}

async fn read_opt<R: AsyncRead + Unpin>(
    r: &mut Option<R>,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    match r {
        Some(r) => r.read(buf).await,
        None => std::future::pending().await,
    }
}

/// Largest notification written for an ATT MTU. Two bytes below the spec's (MTU - 3), as
/// bluer does: its authors found BlueZ dropping the end of notifications that fill the MTU.
pub fn notification_size(att_mtu: u16) -> usize {
    usize::from(att_mtu).saturating_sub(5).max(1)
}

fn tokio_socket(s: std::os::unix::net::UnixDatagram) -> Option<UnixDatagram> {
    match s
        .set_nonblocking(true)
        .and_then(|()| UnixDatagram::from_std(s))
    {
        Ok(s) => Some(s),
        Err(e) => {
            warn!("ama: BLE socket from BlueZ unusable: {e}");
            None
        }
    }
}

/// Moves bytes between the characteristics and the session's stream, one phone at a time.
async fn pump(mut events: mpsc::Receiver<GattEvent>, links: mpsc::Sender<Link>) {
    // Phone -> session.
    let mut to_session: Option<DuplexStream> = None;
    // Session -> phone.
    let mut from_session: Option<DuplexStream> = None;
    let mut notifier: Option<UnixDatagram> = None;
    let mut outbuf = vec![0u8; 20];
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(GattEvent::Write(bytes)) => {
                    if let Some(s) = to_session.as_mut() {
                        if s.write_all(&bytes).await.is_err() {
                            to_session = None;
                        }
                    }
                }
                Some(GattEvent::Notify { socket, mtu, peer }) => {
                    let Some(socket) = tokio_socket(socket) else { continue };
                    let piece = notification_size(mtu);
                    info!("ama: BLE phone {peer} subscribed (notifications up to {piece} bytes)");
                    // A new subscription replaces the previous phone's link.
                    let (session_reader, pump_writer) = tokio::io::duplex(PIPE);
                    let (pump_reader, session_writer) = tokio::io::duplex(PIPE);
                    to_session = Some(pump_writer);
                    from_session = Some(pump_reader);
                    outbuf = vec![0u8; piece];
                    notifier = Some(socket);
                    let link = Link {
                        reader: Box::new(session_reader),
                        writer: Box::new(session_writer),
                        // LinkInfo's BLE MTU is the ATT MTU: frames are sized to MTU - 3 = piece.
                        info: LinkInfo { transport: Transport::BluetoothLowEnergy, mtu: piece + 3, ble: true },
                        peer,
                    };
                    if links.send(link).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
            n = read_opt(&mut from_session, &mut outbuf) => {
                let sent = match (n, notifier.as_mut()) {
                    (Ok(n), Some(w)) if n > 0 => w.send(&outbuf[..n]).await.is_ok(),
                    _ => false,
                };
                if !sent {
                    info!("ama: BLE notification session ended");
                    // Ends the session's link: its reader sees end of stream.
                    from_session = None;
                    to_session = None;
                    notifier = None;
                }
            },
        }
    }
}
