//! BLE link: a BlueZ GATT server with the AMA service (0xFE03) and its two characteristics,
//! and LE advertising with the 0xFE03 service data. Thin over bluer: a pump task turns the
//! phone's writes into a byte stream for the session and cuts what the session writes into
//! notifications of at most (ATT MTU - 3) bytes (spec/ama-protocol.md, "Links"). Framing and
//! the session are the same code as on stream links.
//!
//! The notify characteristic's read requires encryption (`encrypt_read`); bluer 0.17 has no
//! flag for "CCCD write needs encryption", so bonding is enforced by BlueZ's pairing policy
//! (the RFCOMM profile requires authentication).

use std::collections::{BTreeMap, BTreeSet};

use bluer::gatt::local::{
    characteristic_control, Application, Characteristic, CharacteristicControl,
    CharacteristicControlEvent, CharacteristicNotify, CharacteristicNotifyMethod,
    CharacteristicRead, CharacteristicWrite, CharacteristicWriteMethod, Service,
};
use bluer::gatt::{CharacteristicReader, CharacteristicWriter};
use futures::{FutureExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::{AmaError, Link, RX_CHAR_UUID, SERVICE_UUID, TX_CHAR_UUID};
use crate::ama::proto::Transport;
use crate::ama::session::LinkInfo;
use crate::config::{parse_hex_data, AmaConfig};

/// Bytes buffered between the pump and the session in each direction.
const PIPE: usize = 64 * 1024;

/// The running GATT server and advertisement.
pub struct BleListener {
    links: mpsc::Receiver<Link>,
    addr: [u8; 6],
    _session: bluer::Session,
    _app: bluer::gatt::local::ApplicationHandle,
    _adv: bluer::adv::AdvertisementHandle,
    pump: tokio::task::JoinHandle<()>,
}

impl Drop for BleListener {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// The GATT application: service 0xFE03, the phone's write characteristic (write and
/// write-without-response) and the accessory's notify characteristic (read needs encryption).
pub fn application(
    rx: bluer::gatt::local::CharacteristicControlHandle,
    tx: bluer::gatt::local::CharacteristicControlHandle,
) -> Application {
    Application {
        services: vec![Service {
            uuid: SERVICE_UUID,
            primary: true,
            characteristics: vec![
                Characteristic {
                    uuid: RX_CHAR_UUID,
                    write: Some(CharacteristicWrite {
                        write: true,
                        write_without_response: true,
                        method: CharacteristicWriteMethod::Io,
                        ..Default::default()
                    }),
                    control_handle: rx,
                    ..Default::default()
                },
                Characteristic {
                    uuid: TX_CHAR_UUID,
                    read: Some(CharacteristicRead {
                        read: true,
                        encrypt_read: true,
                        fun: Box::new(|_| async move { Ok(Vec::new()) }.boxed()),
                        ..Default::default()
                    }),
                    notify: Some(CharacteristicNotify {
                        notify: true,
                        method: CharacteristicNotifyMethod::Io,
                        ..Default::default()
                    }),
                    control_handle: tx,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The LE advertisement: the AMA service UUID, its service data, the device name.
pub fn advertisement(cfg: &AmaConfig) -> bluer::adv::Advertisement {
    let mut service_data = BTreeMap::new();
    service_data.insert(
        SERVICE_UUID,
        parse_hex_data(&cfg.ble_service_data).unwrap_or_default(),
    );
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
        let (rx_ctl, rx_handle) = characteristic_control();
        let (tx_ctl, tx_handle) = characteristic_control();
        let app = adapter
            .serve_gatt_application(application(rx_handle, tx_handle))
            .await
            .map_err(bt)?;
        let adv = adapter.advertise(advertisement(cfg)).await.map_err(bt)?;
        info!(
            "ama: BLE GATT service {SERVICE_UUID} served and advertised on {}",
            adapter.name()
        );
        let (link_tx, links) = mpsc::channel(2);
        let pump = tokio::spawn(pump(rx_ctl, tx_ctl, link_tx));
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

/// Moves bytes between the characteristics and the session's stream, one phone at a time.
async fn pump(
    rx_ctl: CharacteristicControl,
    tx_ctl: CharacteristicControl,
    links: mpsc::Sender<Link>,
) {
    let mut rx_ctl = Box::pin(rx_ctl);
    let mut tx_ctl = Box::pin(tx_ctl);
    // Phone -> session.
    let mut reader: Option<CharacteristicReader> = None;
    let mut to_session: Option<DuplexStream> = None;
    // Session -> phone.
    let mut from_session: Option<DuplexStream> = None;
    let mut notifier: Option<CharacteristicWriter> = None;
    let mut inbuf = vec![0u8; 512];
    let mut outbuf = vec![0u8; 20];
    loop {
        tokio::select! {
            ev = rx_ctl.next() => match ev {
                Some(CharacteristicControlEvent::Write(req)) => match req.accept() {
                    Ok(r) => reader = Some(r),
                    Err(e) => warn!("ama: BLE write session refused: {e}"),
                },
                Some(_) => {}
                None => return,
            },
            ev = tx_ctl.next() => match ev {
                Some(CharacteristicControlEvent::Notify(w)) => {
                    // bluer's writer MTU is the largest notification it sends (ATT MTU - 5,
                    // a BlueZ workaround), within the spec's (ATT MTU - 3).
                    let piece = w.mtu().max(1);
                    let peer = w.device_address().to_string();
                    info!("ama: BLE phone {peer} subscribed (notifications up to {piece} bytes)");
                    // A new subscription replaces the previous phone's link.
                    let (session_reader, pump_writer) = tokio::io::duplex(PIPE);
                    let (pump_reader, session_writer) = tokio::io::duplex(PIPE);
                    to_session = Some(pump_writer);
                    from_session = Some(pump_reader);
                    outbuf = vec![0u8; piece];
                    notifier = Some(w);
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
                Some(_) => {}
                None => return,
            },
            n = read_opt(&mut reader, &mut inbuf) => match n {
                Ok(0) | Err(_) => reader = None, // the phone may acquire the write socket again
                Ok(n) => {
                    if let Some(s) = to_session.as_mut() {
                        if s.write_all(&inbuf[..n]).await.is_err() {
                            to_session = None;
                        }
                    }
                }
            },
            n = read_opt(&mut from_session, &mut outbuf) => {
                let sent = match (n, notifier.as_mut()) {
                    (Ok(n), Some(w)) if n > 0 => w.write_all(&outbuf[..n]).await.is_ok(),
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
