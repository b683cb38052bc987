//! A connection's helpers against real sockets.

use std::os::fd::{AsFd, OwnedFd};

use ama_proto::proto::Transport;
use ama_proto::session::LinkInfo;
use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;

use super::*;

fn active(stream: UnixStream) -> Active {
    let (r, w) = tokio::io::split(stream);
    Active {
        link: Link {
            reader: Box::new(r),
            writer: Box::new(w),
            info: LinkInfo {
                transport: Transport::BluetoothRfcomm,
                mtu: 990,
                ble: false,
            },
            peer: "phone".into(),
        },
        decoder: Decoder::new(1024),
        since: Duration::ZERO,
        proven: true,
        garbage: 0,
        held: Vec::new(),
        outbox: Outbox::default(),
    }
}

/// Reads until the end of the stream: `Some(bytes read)` at EOF, `None` if none came in 10 s.
async fn read_to_eof(s: &mut UnixStream) -> Option<usize> {
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0;
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    })
    .await
    .ok()
}

/// Regression (lab, ama-rfcomm): a stalled link was dropped without being shut down.
/// bluetoothd keeps its own descriptor of every RFCOMM connection it hands to a profile, so
/// the channel stayed open and the phone never learned that the board had given up.
#[tokio::test]
async fn a_closed_link_is_shut_down_although_another_descriptor_is_open() {
    let (ours, mut phone) = UnixStream::pair().unwrap();
    // bluetoothd's descriptor of the same socket.
    let bluetoothd: OwnedFd = ours.as_fd().try_clone_to_owned().unwrap();
    let mut slot = Some(active(ours));
    drop_link(&mut slot, Duration::ZERO).await;
    assert!(slot.is_none());
    assert_eq!(
        read_to_eof(&mut phone).await,
        Some(0),
        "no end of stream at the phone"
    );
    drop(bluetoothd);
}

/// What waits in the outbox is written before the shutdown, within the flush bound.
#[tokio::test]
async fn closing_flushes_the_outbox_first() {
    let (ours, mut phone) = UnixStream::pair().unwrap();
    let mut slot = Some(active(ours));
    if let Some(a) = slot.as_mut() {
        a.outbox.push(b"\x10\x00\x01\x00", Duration::ZERO);
    }
    drop_link(&mut slot, Duration::from_secs(5)).await;
    assert_eq!(read_to_eof(&mut phone).await, Some(4));
}

/// A phone that reads nothing: `link_io` writes what fits, then waits for the link without
/// blocking its caller (the sender polls it in a `select!`), and still reads what the phone
/// sends meanwhile.
#[tokio::test]
async fn link_io_writes_what_fits_and_still_reads_while_the_link_is_full() {
    let (ours, mut phone) = UnixStream::pair().unwrap();
    let mut slot = Some(active(ours));
    let big = vec![0x10u8; 8 << 20];
    if let Some(a) = slot.as_mut() {
        a.outbox.push(&big, Duration::ZERO);
    }
    let mut buf = [0u8; 64];
    let mut written = 0;
    loop {
        let io = tokio::time::timeout(Duration::from_millis(200), link_io(&mut slot, &mut buf));
        match io.await {
            Ok(Io::Wrote(Ok(n))) => {
                written += n;
                if let Some(a) = slot.as_mut() {
                    a.outbox.taken(n, Duration::ZERO);
                }
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => break, // the socket is full: the write waited and was cancelled
        }
    }
    let waiting = slot.as_ref().map_or(0, |a| a.outbox.len());
    assert!(written > 0 && waiting > 0 && written + waiting == big.len());
    // The phone's request gets through although the link takes no more bytes.
    tokio::io::AsyncWriteExt::write_all(&mut phone, b"\x10\x00\x02\x08\x14")
        .await
        .unwrap();
    let io = tokio::time::timeout(Duration::from_secs(10), link_io(&mut slot, &mut buf)).await;
    assert!(matches!(io, Ok(Io::Read(Ok(5)))), "{io:?}");
    assert_eq!(&buf[..5], b"\x10\x00\x02\x08\x14");
    drop_link(&mut slot, Duration::ZERO).await;
    assert_eq!(read_to_eof(&mut phone).await, Some(written));
}

/// No link, or nothing to write and nothing to read: `link_io` does not complete.
#[tokio::test]
async fn link_io_waits_when_there_is_nothing_to_do() {
    let mut buf = [0u8; 64];
    let mut none = None;
    let io = tokio::time::timeout(Duration::from_millis(50), link_io(&mut none, &mut buf));
    assert!(io.await.is_err());
    let (ours, _phone) = UnixStream::pair().unwrap();
    let mut idle = Some(active(ours));
    let io = tokio::time::timeout(Duration::from_millis(50), link_io(&mut idle, &mut buf));
    assert!(io.await.is_err());
}
