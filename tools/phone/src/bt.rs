//! `ama-phone` over real Bluetooth: BlueZ on the machine running the tool, through bluer.
//!
//! - RFCOMM with a channel: a kernel RFCOMM socket bound to the adapter, connected to
//!   BDADDR:CH. Without a channel: a client profile with the AMA UUID is registered and BlueZ
//!   is asked to connect it (`Device1.ConnectProfile`), so bluetoothd finds the channel in the
//!   board's SDP record and hands the connected socket back.
//! - BLE: the board is found (a bounded discovery when BlueZ does not know it yet), connected,
//!   and the AMA service's characteristics are acquired: AcquireNotify (the board's
//!   notifications, one per read) and AcquireWrite (bluer cuts each write into pieces of at
//!   most the ATT MTU - 3 bytes, which is what the spec asks of a sender). The notify CCCD
//!   needs an encrypted link: an unpaired board is paired first (`Device1.Pair`, which asks
//!   this client's agent or BlueZ's default one).
//!
//! Not real-time safe; the tool's only code that knows BlueZ.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bluer::{Adapter, Address, Session, Uuid};
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::addr::BdAddr;

/// The AMA RFCOMM (SPP) service UUID (spec/ama-protocol.md, Links).
pub const AMA_RFCOMM_UUID: Uuid = Uuid::from_u128(0x931c7e8a_540f_4686_b798_e8df0a2ad9f7);
/// The AMA GATT service 0xFE03 and its characteristics (spec/ama-protocol.md, Links).
pub const AMA_SERVICE_UUID: Uuid = Uuid::from_u128(0x0000fe03_0000_1000_8000_00805f9b34fb);
pub const AMA_WRITE_UUID: Uuid = Uuid::from_u128(0xf04eb177_3005_43a7_ac61_a390ddf83076);
pub const AMA_NOTIFY_UUID: Uuid = Uuid::from_u128(0x2beea05b_1879_4bb4_8a2f_72641f82420b);

fn io(e: bluer::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// A byte stream that keeps what it depends on (the D-Bus session, a profile) alive.
pub struct BtStream<R, W> {
    reader: R,
    writer: W,
    _keep: Vec<Box<dyn std::any::Any + Send>>,
}

impl<R: AsyncRead + Unpin, W: Unpin> AsyncRead for BtStream<R, W> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.reader).poll_read(cx, buf)
    }
}

impl<R: Unpin, W: AsyncWrite + Unpin> AsyncWrite for BtStream<R, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.writer).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.writer).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.writer).poll_shutdown(cx)
    }
}

async fn adapter(session: &Session, name: Option<&str>) -> bluer::Result<Adapter> {
    let a = match name {
        Some(n) => session.adapter(n)?,
        None => session.default_adapter().await?,
    };
    if !a.is_powered().await? {
        a.set_powered(true).await?;
    }
    Ok(a)
}

/// RFCOMM to `addr` (on `channel`, or the one the board's SDP names).
pub async fn connect_rfcomm(
    adapter_name: Option<&str>,
    addr: BdAddr,
    channel: Option<u8>,
) -> std::io::Result<Box<dyn crate::Conn>> {
    let session = Session::new().await.map_err(io)?;
    let adapter = adapter(&session, adapter_name).await.map_err(io)?;
    let peer = Address(addr.0);
    if let Some(ch) = channel {
        let local = adapter.address().await.map_err(io)?;
        let socket = bluer::rfcomm::Socket::new()?;
        socket.bind(bluer::rfcomm::SocketAddr::new(local, 0))?;
        let stream = socket
            .connect(bluer::rfcomm::SocketAddr::new(peer, ch))
            .await?;
        let (r, w) = stream.into_split();
        return Ok(Box::new(BtStream {
            reader: r,
            writer: w,
            _keep: vec![Box::new(session)],
        }));
    }
    let mut handle = session
        .register_profile(bluer::rfcomm::Profile {
            uuid: AMA_RFCOMM_UUID,
            role: Some(bluer::rfcomm::Role::Client),
            require_authentication: Some(true),
            auto_connect: Some(false),
            ..Default::default()
        })
        .await
        .map_err(io)?;
    let device = adapter.device(peer).map_err(io)?;
    let connect = device.connect_profile(&AMA_RFCOMM_UUID);
    let req = tokio::select! {
        r = connect => {
            r.map_err(io)?;
            handle.next().await
        }
        req = handle.next() => req,
    }
    .ok_or_else(|| std::io::Error::other("BlueZ gave no RFCOMM connection"))?;
    let stream = req.accept().map_err(io)?;
    let (r, w) = stream.into_split();
    Ok(Box::new(BtStream {
        reader: r,
        writer: w,
        _keep: vec![Box::new(handle), Box::new(session)],
    }))
}

/// BLE GATT to `addr`: AcquireNotify + AcquireWrite on the AMA characteristics. Also returns
/// how long pairing took when the board had to be paired first.
pub async fn connect_ble(
    adapter_name: Option<&str>,
    addr: BdAddr,
    wait: Duration,
) -> std::io::Result<(Box<dyn crate::Conn>, Option<Duration>)> {
    let session = Session::new().await.map_err(io)?;
    let adapter = adapter(&session, adapter_name).await.map_err(io)?;
    let peer = Address(addr.0);
    let give_up = tokio::time::Instant::now() + wait.max(Duration::from_secs(10));
    if !adapter
        .device_addresses()
        .await
        .map_err(io)?
        .contains(&peer)
    {
        let mut found = adapter.discover_devices().await.map_err(io)?;
        loop {
            tokio::select! {
                ev = found.next() => match ev {
                    Some(bluer::AdapterEvent::DeviceAdded(a)) if a == peer => break,
                    Some(_) => {}
                    None => return Err(std::io::Error::other("discovery ended")),
                },
                _ = tokio::time::sleep_until(give_up) => {
                    return Err(std::io::Error::other(format!("{addr} not found by discovery")));
                }
            }
        }
    }
    let device = adapter.device(peer).map_err(io)?;
    // The notify characteristic's CCCD needs an encrypted link (encrypt-notify): bond first,
    // as the Alexa app does. BlueZ asks the agent of this D-Bus client, or the default agent.
    let mut paired_in = None;
    if !device.is_paired().await.map_err(io)? {
        let t = tokio::time::Instant::now();
        device.pair().await.map_err(io)?;
        paired_in = Some(t.elapsed());
    }
    if !device.is_connected().await.map_err(io)? {
        device.connect().await.map_err(io)?;
    }
    while !device.is_services_resolved().await.map_err(io)? {
        if tokio::time::Instant::now() >= give_up {
            return Err(std::io::Error::other("GATT services not resolved in time"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut write = None;
    let mut notify = None;
    for service in device.services().await.map_err(io)? {
        if service.uuid().await.map_err(io)? != AMA_SERVICE_UUID {
            continue;
        }
        for ch in service.characteristics().await.map_err(io)? {
            match ch.uuid().await.map_err(io)? {
                u if u == AMA_WRITE_UUID => write = Some(ch),
                u if u == AMA_NOTIFY_UUID => notify = Some(ch),
                _ => {}
            }
        }
    }
    let (Some(write), Some(notify)) = (write, notify) else {
        return Err(std::io::Error::other(format!(
            "{addr} has no AMA service {AMA_SERVICE_UUID} with both characteristics"
        )));
    };
    let reader = notify.notify_io().await.map_err(io)?;
    let writer = write.write_io().await.map_err(io)?;
    let stream = BtStream {
        reader,
        writer,
        _keep: vec![Box::new(device), Box::new(adapter), Box::new(session)],
    };
    Ok((Box::new(stream), paired_in))
}
