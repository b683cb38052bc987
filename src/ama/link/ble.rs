//! BLE link: the AMA GATT application (gatt.rs: service 0xFE03, its two characteristics, the
//! notify CCCD requiring encryption) and LE advertising with the 0xFE03 service data through
//! bluer. A pump task turns the phone's writes into a byte stream for the session and cuts what
//! the session writes into notifications of at most (ATT MTU - 5) bytes, within the spec's
//! (ATT MTU - 3) (spec/ama-protocol.md, "Links"). Framing and the session are the same code as
//! on stream links. Not real-time safe (async side only).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use ama_proto::proto::Transport;
use ama_proto::session::LinkInfo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::UnixDatagram;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::config::AmaConfig;

use super::admission::Admission;
use super::gatt::{self, GattEvent};
use super::{AmaError, Link, SERVICE_UUID};

/// Bytes buffered between the pump and the session in each direction.
const PIPE: usize = 64 * 1024;

/// How long BlueZ gets to answer one RegisterAdvertisement (it answers in milliseconds), and
/// how many registrations are tried before the link fails to start.
const ADV_REPLY: Duration = Duration::from_secs(10);
const ADV_ATTEMPTS: u32 = 3;

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
        let admission = std::sync::Arc::new(Admission::new());
        let app = gatt::serve(
            &adapter_path,
            cfg.ble_notify_encryption,
            events_tx,
            admission.clone(),
        )
        .await?;
        let adv = answered_within(ADV_ATTEMPTS, ADV_REPLY, || {
            adapter.advertise(advertisement(cfg))
        })
        .await
        .map_err(|tries| {
            AmaError::Bluetooth(format!(
                "BlueZ answered none of {tries} RegisterAdvertisement calls within {} s",
                ADV_REPLY.as_secs()
            ))
        })?
        .map_err(bt)?;
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
        let pump = tokio::spawn(pump(events, link_tx, admission));
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

/// Calls `register` until one call answers within `wait`, at most `attempts` times; an
/// answer (success or error) is returned at once, `Err(attempts)` when none came. BlueZ 5.66
/// can leave a RegisterAdvertisement unanswered although it advertises: the lab saw it once
/// when the adapter's discoverable mode changed during the registration (the engine waited
/// bluer's 120 s, the AMA link failed and the engine exited). A fresh registration is
/// answered; the unanswered one stays with BlueZ (advertising the same data, if at all) until
/// the engine's D-Bus connection closes. Not real-time safe.
async fn answered_within<T, E, Fut>(
    attempts: u32,
    wait: Duration,
    mut register: impl FnMut() -> Fut,
) -> Result<Result<T, E>, u32>
where
    Fut: Future<Output = Result<T, E>>,
{
    for attempt in 1..=attempts {
        match tokio::time::timeout(wait, register()).await {
            Ok(answer) => return Ok(answer),
            Err(_) => warn!(
                "ama: BlueZ did not answer RegisterAdvertisement within {} s (try {attempt} of \
                 {attempts}): registering again",
                wait.as_secs_f32()
            ),
        }
    }
    Err(attempts)
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

/// Moves bytes between the characteristics and the session's stream, one phone at a time
/// (the active phone of `admission`, which the GATT handlers set and this ends).
async fn pump(
    mut events: mpsc::Receiver<GattEvent>,
    links: mpsc::Sender<Link>,
    admission: std::sync::Arc<Admission>,
) {
    // Phone -> session.
    let mut to_session: Option<DuplexStream> = None;
    // Session -> phone.
    let mut from_session: Option<DuplexStream> = None;
    let mut notifier: Option<UnixDatagram> = None;
    let mut outbuf = vec![0u8; 20];
    let mut active = String::new();
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
                Some(GattEvent::Notify { socket, mtu, peer, device }) => {
                    let Some(socket) = tokio_socket(socket) else {
                        admission.end(&device);
                        continue;
                    };
                    active = device;
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
                    admission.end(&active);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    const WAIT: Duration = Duration::from_millis(20);

    #[tokio::test]
    async fn an_unanswered_registration_is_made_again() {
        let calls = Cell::new(0);
        let r = answered_within(3, WAIT, || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n < 3 {
                    std::future::pending::<()>().await;
                }
                Ok::<u32, String>(n)
            }
        })
        .await;
        assert_eq!(r, Ok(Ok(3)));
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test]
    async fn an_error_answer_is_not_retried_and_silence_gives_up() {
        let calls = Cell::new(0);
        let r = answered_within(3, WAIT, || {
            calls.set(calls.get() + 1);
            async { Err::<(), _>("refused") }
        })
        .await;
        assert_eq!((r, calls.get()), (Ok(Err("refused")), 1));
        let r = answered_within(2, WAIT, std::future::pending::<Result<(), ()>>).await;
        assert_eq!(r, Err(2));
    }
}
