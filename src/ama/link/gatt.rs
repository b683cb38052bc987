//! The AMA GATT application (service 0xFE03 and its two characteristics), served with
//! dbus-crossroads on a system-bus connection of its own and registered through
//! `org.bluez.GattManager1.RegisterApplication`.
//!
//! We serve it ourselves rather than through bluer's GATT server because bluer 0.17 has no
//! `encrypt-notify` flag, and the AMA notify characteristic's CCCD must require encryption
//! (spec/ama-protocol.md, "Links"): with `encrypt-notify`, BlueZ answers an unencrypted
//! subscription with "insufficient encryption", which makes the phone pair (bond) first.
//!
//! The phone's side arrives as [`GattEvent`]s: BlueZ's `AcquireNotify` gets one end of a
//! SOCK_SEQPACKET pair (one datagram per notification); the phone's writes arrive through
//! `WriteValue`, one call per ATT write, in order.
//!
//! The write characteristic does not offer `AcquireWrite` (no `WriteAcquired` property):
//! bluetoothd (5.66, and later releases as of this writing) keeps only a pointer to the ATT
//! write that triggers the acquisition, not a copy, and sends those bytes into the socket when
//! our `AcquireWrite` reply arrives, by which time the buffer has been reused. The phone's first
//! write then arrives as garbage (the lab's ama-ble suite: "bad frame header 622D" in place of
//! GET_DEVICE_INFORMATION, which stayed unanswered). `WriteValue` copies the bytes into its
//! D-Bus message before bluetoothd returns, so every write arrives intact.
//! Not real-time safe (async side only).

use std::os::fd::IntoRawFd;
use std::os::unix::net::UnixDatagram;
use std::sync::Arc;

use dbus::arg::{PropMap, RefArg};
use dbus::channel::MatchingReceiver;
use dbus::message::MatchRule;
use dbus::nonblock::{Proxy, SyncConnection};
use dbus::Path;
use dbus_crossroads::{Crossroads, IfaceBuilder, MethodErr};
use tokio::sync::mpsc;

use super::{AmaError, RX_CHAR_UUID, SERVICE_UUID, TX_CHAR_UUID};

/// Object path of the application (its ObjectManager).
pub const APP_PATH: &str = "/org/ama_engine/gatt";
const SERVICE_PATH: &str = "/org/ama_engine/gatt/service0";
const RX_PATH: &str = "/org/ama_engine/gatt/service0/char0";
const TX_PATH: &str = "/org/ama_engine/gatt/service0/char1";
const BLUEZ: &str = "org.bluez";
const CHAR_IFACE: &str = "org.bluez.GattCharacteristic1";
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the phone did to our characteristics.
#[derive(Debug)]
pub enum GattEvent {
    /// The phone subscribed to the notify characteristic: the socket notifications are
    /// written to (one datagram each), the ATT MTU and the phone's address.
    Notify {
        socket: UnixDatagram,
        mtu: u16,
        peer: String,
    },
    /// One ATT write of the phone's, delivered through `WriteValue`.
    Write(Vec<u8>),
}

/// The characteristics' flags as BlueZ reads them: (write characteristic, notify
/// characteristic). `encrypt_notify` adds `encrypt-notify` (the CCCD needs encryption) and
/// `encrypt-read`.
pub fn flags(encrypt_notify: bool) -> (Vec<String>, Vec<String>) {
    let rx = ["write", "write-without-response"];
    let tx: &[&str] = if encrypt_notify {
        &["read", "encrypt-read", "notify", "encrypt-notify"]
    } else {
        &["read", "notify"]
    };
    let own = |f: &[&str]| f.iter().map(|s| (*s).to_owned()).collect();
    (own(&rx), own(tx))
}

/// The running application. Dropping it closes its bus connection, which makes BlueZ
/// unregister the application.
pub struct GattApp {
    resource: tokio::task::JoinHandle<()>,
    _conn: Arc<SyncConnection>,
}

impl Drop for GattApp {
    fn drop(&mut self) {
        self.resource.abort();
    }
}

struct Chr {
    uuid: String,
    flags: Vec<String>,
    events: mpsc::Sender<GattEvent>,
}

fn failed(what: &str) -> MethodErr {
    MethodErr::from(("org.bluez.Error.Failed", what))
}

/// "/org/bluez/hci0/dev_11_22_33_44_55_66" -> "11:22:33:44:55:66".
fn peer_of(device: &str) -> String {
    device
        .rsplit('/')
        .next()
        .and_then(|d| d.strip_prefix("dev_"))
        .map(|d| d.replace('_', ":"))
        .unwrap_or_else(|| device.to_owned())
}

/// The `mtu` and `device` options BlueZ passes to Acquire* (defaults when absent).
fn acquire_options(options: &PropMap) -> (u16, String) {
    let mtu = options
        .get("mtu")
        .and_then(|v| v.0.as_u64())
        .and_then(|m| u16::try_from(m).ok())
        .unwrap_or(23);
    let peer = options
        .get("device")
        .and_then(|v| v.0.as_str())
        .map(peer_of)
        .unwrap_or_else(|| "unknown".into());
    (mtu, peer)
}

/// A non-blocking, close-on-exec SOCK_SEQPACKET pair: (BlueZ's end, ours).
fn seqpacket_pair() -> std::io::Result<(dbus::arg::OwnedFd, UnixDatagram)> {
    use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
    let (theirs, ours) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
    )?;
    // SAFETY: into_raw_fd gives up std's ownership; dbus's OwnedFd takes it over and closes it
    // once the reply carrying it has been sent.
    let theirs = unsafe { dbus::arg::OwnedFd::new(theirs.into_raw_fd()) };
    Ok((theirs, UnixDatagram::from(ours)))
}

/// AcquireNotify: BlueZ gets one end of a new socket pair and the ATT MTU; the pump gets the
/// other end through `event(socket, mtu, peer)`.
fn acquire(
    c: &mut Chr,
    options: &PropMap,
    event: impl FnOnce(UnixDatagram, u16, String) -> GattEvent,
) -> Result<(dbus::arg::OwnedFd, u16), MethodErr> {
    let (mtu, peer) = acquire_options(options);
    let (theirs, ours) = seqpacket_pair().map_err(|e| failed(&e.to_string()))?;
    c.events
        .try_send(event(ours, mtu, peer))
        .map_err(|_| failed("the AMA link is busy"))?;
    Ok((theirs, mtu))
}

fn common(b: &mut IfaceBuilder<Chr>) {
    b.property("UUID").get(|_, c: &mut Chr| Ok(c.uuid.clone()));
    b.property("Service")
        .get(|_, _: &mut Chr| Ok(Path::from(SERVICE_PATH)));
    b.property("Flags")
        .get(|_, c: &mut Chr| Ok(c.flags.clone()));
}

/// The phone's write characteristic: WriteValue only. No `WriteAcquired` property, so BlueZ
/// never calls AcquireWrite, whose first write it delivers corrupted (see the module's doc).
fn rx_iface(b: &mut IfaceBuilder<Chr>) {
    common(b);
    b.method(
        "WriteValue",
        ("value", "options"),
        (),
        |_, c: &mut Chr, (value, _): (Vec<u8>, PropMap)| {
            c.events
                .try_send(GattEvent::Write(value))
                .map_err(|_| failed("the AMA link is busy"))
        },
    );
}

/// The accessory's notify characteristic: AcquireNotify; reads give an empty value.
fn tx_iface(b: &mut IfaceBuilder<Chr>) {
    common(b);
    b.property("NotifyAcquired").get(|_, _: &mut Chr| Ok(false));
    b.method(
        "ReadValue",
        ("options",),
        ("value",),
        |_, _: &mut Chr, (_,): (PropMap,)| Ok((Vec::<u8>::new(),)),
    );
    b.method(
        "AcquireNotify",
        ("options",),
        ("fd", "mtu"),
        |_, c: &mut Chr, (options,): (PropMap,)| {
            acquire(c, &options, |socket, mtu, peer| GattEvent::Notify {
                socket,
                mtu,
                peer,
            })
        },
    );
    // Notifications only go through the acquired socket.
    b.method("StartNotify", (), (), |_, _: &mut Chr, ()| {
        Err::<(), _>(MethodErr::from((
            "org.bluez.Error.NotSupported",
            "notifications are delivered through AcquireNotify",
        )))
    });
    b.method("StopNotify", (), (), |_, _: &mut Chr, ()| Ok(()));
}

/// Builds the object tree: the ObjectManager at [`APP_PATH`], the service and both
/// characteristics.
fn tree(encrypt_notify: bool, events: mpsc::Sender<GattEvent>) -> Crossroads {
    let mut cr = Crossroads::new();
    let om = cr.object_manager();
    cr.insert(APP_PATH, &[om], ());
    let service = cr.register("org.bluez.GattService1", |b: &mut IfaceBuilder<()>| {
        b.property("UUID").get(|_, _| Ok(SERVICE_UUID.to_string()));
        b.property("Primary").get(|_, _| Ok(true));
        b.property("Includes")
            .get(|_, _| Ok(Vec::<Path<'static>>::new()));
    });
    cr.insert(SERVICE_PATH, &[service], ());
    let (rx_flags, tx_flags) = flags(encrypt_notify);
    let rx = cr.register(CHAR_IFACE, rx_iface);
    cr.insert(
        RX_PATH,
        &[rx],
        Chr {
            uuid: RX_CHAR_UUID.to_string(),
            flags: rx_flags,
            events: events.clone(),
        },
    );
    // A second registration of the same interface name with other methods: crossroads keys
    // interfaces by token, so each characteristic gets its own method set.
    let tx = cr.register(CHAR_IFACE, tx_iface);
    cr.insert(
        TX_PATH,
        &[tx],
        Chr {
            uuid: TX_CHAR_UUID.to_string(),
            flags: tx_flags,
            events,
        },
    );
    cr
}

fn bus(e: impl std::fmt::Display) -> AmaError {
    AmaError::Bluetooth(e.to_string())
}

/// Serves the application on a new system-bus connection and registers it with the
/// adapter at `adapter_path` ("/org/bluez/hci0"). The phone's actions arrive on `events`.
pub async fn serve(
    adapter_path: &str,
    encrypt_notify: bool,
    events: mpsc::Sender<GattEvent>,
) -> Result<GattApp, AmaError> {
    let (resource, conn) = tokio::task::spawn_blocking(dbus_tokio::connection::new_system_sync)
        .await
        .map_err(bus)?
        .map_err(bus)?;
    let resource = tokio::spawn(async move {
        let err = resource.await;
        tracing::warn!("ama: GATT application's bus connection lost: {err}");
    });
    let mut cr = tree(encrypt_notify, events);
    conn.start_receive(
        MatchRule::new_method_call(),
        Box::new(move |msg, conn| {
            if cr.handle_message(msg, conn).is_err() {
                tracing::debug!("ama: a GATT call could not be answered");
            }
            true
        }),
    );
    let app = GattApp {
        resource,
        _conn: conn.clone(),
    };
    Proxy::new(BLUEZ, adapter_path, CALL_TIMEOUT, conn)
        .method_call::<(), _, _, _>(
            "org.bluez.GattManager1",
            "RegisterApplication",
            (Path::from(APP_PATH), PropMap::new()),
        )
        .await
        .map_err(bus)?;
    Ok(app)
}

#[cfg(test)]
mod tests {
    use std::os::fd::FromRawFd;

    use super::*;
    use dbus::arg::Variant;

    #[test]
    fn notify_flags_require_encryption_unless_turned_off() {
        let (rx, tx) = flags(true);
        assert_eq!(rx, ["write", "write-without-response"]);
        assert_eq!(tx, ["read", "encrypt-read", "notify", "encrypt-notify"]);
        let (_, tx) = flags(false);
        assert_eq!(tx, ["read", "notify"]);
    }

    #[test]
    fn acquire_options_name_the_peer_and_mtu() {
        let mut o = PropMap::new();
        o.insert(
            "device".into(),
            Variant(
                Box::new(Path::from("/org/bluez/hci0/dev_11_22_33_44_55_66")) as Box<dyn RefArg>,
            ),
        );
        o.insert("mtu".into(), Variant(Box::new(185u16) as Box<dyn RefArg>));
        assert_eq!(acquire_options(&o), (185, "11:22:33:44:55:66".to_owned()));
        assert_eq!(acquire_options(&PropMap::new()), (23, "unknown".to_owned()));
    }

    /// Collects what crossroads sends back.
    #[derive(Default)]
    struct Replies(std::sync::Mutex<Vec<dbus::Message>>);

    impl dbus::channel::Sender for Replies {
        fn send(&self, msg: dbus::Message) -> Result<u32, ()> {
            self.0.lock().unwrap().push(msg);
            Ok(0)
        }
    }

    /// One method call on the tree, as BlueZ would make it: its reply.
    fn call_tree(
        cr: &mut Crossroads,
        path: &str,
        iface: &str,
        method: &str,
        args: impl dbus::arg::AppendAll,
    ) -> dbus::Message {
        let mut msg = dbus::Message::new_method_call(":1.1", path, iface, method).unwrap();
        msg.append_all(args);
        msg.set_serial(1);
        let replies = Replies::default();
        cr.handle_message(msg, &replies).unwrap();
        let mut r = replies.0.into_inner().unwrap();
        assert_eq!(r.len(), 1);
        r.pop().unwrap()
    }

    #[test]
    fn writes_arrive_through_write_value_never_an_acquired_socket() {
        // bluetoothd hands the ATT write that triggers AcquireWrite to the socket only when
        // the reply arrives, from a buffer it no longer owns: the lab's "bad frame header
        // 622D". Without the WriteAcquired property it never calls AcquireWrite.
        let (tx, mut rx) = mpsc::channel(4);
        let mut cr = tree(true, tx);
        let props = call_tree(
            &mut cr,
            RX_PATH,
            "org.freedesktop.DBus.Properties",
            "GetAll",
            (CHAR_IFACE,),
        );
        let props: PropMap = props.read1().unwrap();
        assert_eq!(
            props["UUID"].0.as_str(),
            Some(RX_CHAR_UUID.to_string().as_str())
        );
        assert!(
            !props.contains_key("WriteAcquired"),
            "WriteAcquired makes BlueZ call AcquireWrite: {:?}",
            props.keys()
        );
        let r = call_tree(
            &mut cr,
            RX_PATH,
            CHAR_IFACE,
            "AcquireWrite",
            (PropMap::new(),),
        );
        assert_eq!(r.msg_type(), dbus::MessageType::Error);

        // Each WriteValue is one ATT write, delivered whole and in order.
        for piece in [&[0x10u8, 0x00, 0x05][..], &[0x08, 0x14, 0xA2, 0x01, 0x00]] {
            let r = call_tree(
                &mut cr,
                RX_PATH,
                CHAR_IFACE,
                "WriteValue",
                (piece.to_vec(), PropMap::new()),
            );
            assert_eq!(r.msg_type(), dbus::MessageType::MethodReturn);
        }
        let mut got = Vec::new();
        while let Ok(GattEvent::Write(b)) = rx.try_recv() {
            got.extend(b);
        }
        assert_eq!(got, [0x10, 0x00, 0x05, 0x08, 0x14, 0xA2, 0x01, 0x00]);
    }

    #[test]
    fn the_pair_carries_one_datagram_per_send() {
        let (theirs, ours) = seqpacket_pair().unwrap();
        // SAFETY: into_fd hands over the descriptor dbus's OwnedFd owned.
        let theirs = unsafe { UnixDatagram::from_raw_fd(theirs.into_fd()) };
        theirs.send(b"abc").unwrap();
        theirs.send(b"de").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(ours.recv(&mut buf).unwrap(), 3);
        assert_eq!(ours.recv(&mut buf).unwrap(), 2);
        drop(theirs);
        assert_eq!(
            ours.recv(&mut buf).unwrap(),
            0,
            "end of stream once BlueZ closes"
        );
    }
}
