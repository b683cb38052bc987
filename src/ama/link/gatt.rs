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
//! SOCK_SEQPACKET pair (one datagram per notification), and each ATT write arrives as a
//! `WriteValue` naming its device. `AcquireWrite` is not offered: BlueZ keeps one acquired
//! write socket per characteristic and puts every device's writes into it unattributed, so
//! a stranger's bytes would land in the phone's session. Who may write or subscribe is
//! admission.rs's rule (bonded devices only may replace the phone). A second reason, found
//! by the lab (ama-ble suite: "bad frame header 622D" in place of GET_DEVICE_INFORMATION):
//! bluetoothd 5.66 keeps only a pointer to the ATT write that triggers AcquireWrite and sends
//! those bytes into the socket when our reply arrives, by which time the buffer has been
//! reused; `WriteValue` copies the bytes into its D-Bus message, so every write arrives intact.
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

use super::admission::{Admission, BondLookup};
use super::{AmaError, RX_CHAR_UUID, SERVICE_UUID, TX_CHAR_UUID};

/// Object path of the application (its ObjectManager).
pub const APP_PATH: &str = "/org/ama_engine/gatt";
const SERVICE_PATH: &str = "/org/ama_engine/gatt/service0";
const RX_PATH: &str = "/org/ama_engine/gatt/service0/char0";
const TX_PATH: &str = "/org/ama_engine/gatt/service0/char1";
const BLUEZ: &str = "org.bluez";
const CHAR_IFACE: &str = "org.bluez.GattCharacteristic1";
const DEVICE_IFACE: &str = "org.bluez.Device1";
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the phone did to our characteristics.
#[derive(Debug)]
pub enum GattEvent {
    /// The phone subscribed to the notify characteristic (and is now the active phone): the
    /// socket notifications are written to (one datagram each), the ATT MTU, the phone's
    /// address and its BlueZ object path.
    Notify {
        socket: UnixDatagram,
        mtu: u16,
        peer: String,
        device: String,
    },
    /// One ATT write of the active phone, delivered through `WriteValue`.
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
    admission: Arc<Admission>,
    bonds: Arc<dyn BondLookup>,
}

fn failed(what: &str) -> MethodErr {
    MethodErr::from(("org.bluez.Error.Failed", what))
}

fn not_authorized(what: &str) -> MethodErr {
    MethodErr::from(("org.bluez.Error.NotAuthorized", what))
}

/// Bond state from BlueZ: Device1's `Bonded`, or `Paired` where BlueZ has no `Bonded`.
pub struct BluezBonds(pub Arc<SyncConnection>);

impl BondLookup for BluezBonds {
    fn is_bonded<'a>(
        &'a self,
        device: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>> {
        use dbus::nonblock::stdintf::org_freedesktop_dbus::Properties;
        Box::pin(async move {
            let Ok(path) = Path::new(device) else {
                return false;
            };
            let p = Proxy::new(BLUEZ, path, CALL_TIMEOUT, self.0.clone());
            match p.get::<bool>(DEVICE_IFACE, "Bonded").await {
                Ok(b) => b,
                Err(_) => p.get::<bool>(DEVICE_IFACE, "Paired").await.unwrap_or(false),
            }
        })
    }
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
    let peer = device_of(options)
        .as_deref()
        .map(peer_of)
        .unwrap_or_else(|| "unknown".into());
    (mtu, peer)
}

/// The `device` option: the calling device's object path.
fn device_of(options: &PropMap) -> Option<String> {
    options
        .get("device")
        .and_then(|v| v.0.as_str())
        .map(str::to_owned)
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

/// AcquireNotify, once admitted: BlueZ gets one end of a new socket pair and the ATT MTU;
/// the pump gets the other end.
fn acquire_notify(
    events: &mpsc::Sender<GattEvent>,
    mtu: u16,
    peer: String,
    device: String,
) -> Result<(dbus::arg::OwnedFd, u16), MethodErr> {
    let (theirs, ours) = seqpacket_pair().map_err(|e| failed(&e.to_string()))?;
    events
        .try_send(GattEvent::Notify {
            socket: ours,
            mtu,
            peer,
            device,
        })
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

/// The phone's write characteristic: WriteValue only (see the module doc), from the active
/// phone only.
fn rx_iface(b: &mut IfaceBuilder<Chr>) {
    common(b);
    b.method(
        "WriteValue",
        ("value", "options"),
        (),
        |_, c: &mut Chr, (value, options): (Vec<u8>, PropMap)| {
            c.admission
                .write(device_of(&options).as_deref())
                .map_err(|r| not_authorized(&r.0))?;
            c.events
                .try_send(GattEvent::Write(value))
                .map_err(|_| failed("the AMA link is busy"))
        },
    );
}

/// The accessory's notify characteristic: AcquireNotify (admitted by the bond rule when
/// another phone is active); reads give an empty value.
fn tx_iface(b: &mut IfaceBuilder<Chr>) {
    common(b);
    b.property("NotifyAcquired").get(|_, _: &mut Chr| Ok(false));
    b.method(
        "ReadValue",
        ("options",),
        ("value",),
        |_, _: &mut Chr, (_,): (PropMap,)| Ok((Vec::<u8>::new(),)),
    );
    b.method_with_cr_async(
        "AcquireNotify",
        ("options",),
        ("fd", "mtu"),
        |mut ctx, cr, (options,): (PropMap,)| {
            let (mtu, peer) = acquire_options(&options);
            let device = device_of(&options).unwrap_or_else(|| "unknown".into());
            let chr = cr
                .data_mut::<Chr>(ctx.path())
                .map(|c| (c.events.clone(), c.admission.clone(), c.bonds.clone()));
            async move {
                let Some((events, admission, bonds)) = chr else {
                    return ctx.reply(Err(failed("no such characteristic")));
                };
                let r = match admission.admit_subscription(&*bonds, &device).await {
                    Ok(()) => acquire_notify(&events, mtu, peer, device),
                    Err(refused) => Err(not_authorized(&refused.0)),
                };
                ctx.reply(r)
            }
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
fn tree(
    encrypt_notify: bool,
    events: mpsc::Sender<GattEvent>,
    admission: Arc<Admission>,
    bonds: Arc<dyn BondLookup>,
) -> Crossroads {
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
            admission: admission.clone(),
            bonds: bonds.clone(),
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
            admission,
            bonds,
        },
    );
    cr
}

fn bus(e: impl std::fmt::Display) -> AmaError {
    AmaError::Bluetooth(e.to_string())
}

/// Serves the application on a new system-bus connection and registers it with the
/// adapter at `adapter_path` ("/org/bluez/hci0"). The phone's actions arrive on `events`;
/// `admission` holds the active phone (the pump ends it).
pub async fn serve(
    adapter_path: &str,
    encrypt_notify: bool,
    events: mpsc::Sender<GattEvent>,
    admission: Arc<Admission>,
) -> Result<GattApp, AmaError> {
    let (resource, conn) = tokio::task::spawn_blocking(dbus_tokio::connection::new_system_sync)
        .await
        .map_err(bus)?
        .map_err(bus)?;
    let resource = tokio::spawn(async move {
        let err = resource.await;
        tracing::warn!("ama: GATT application's bus connection lost: {err}");
    });
    let bonds: Arc<dyn BondLookup> = Arc::new(BluezBonds(conn.clone()));
    let mut cr = tree(encrypt_notify, events, admission, bonds);
    // AcquireNotify may wait for BlueZ (the bond lookup): its reply is sent from a task.
    cr.set_async_support(Some((
        conn.clone(),
        Box::new(|f| {
            tokio::spawn(f);
        }),
    )));
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
