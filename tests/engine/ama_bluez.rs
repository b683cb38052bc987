//! The BLE GATT server, LE advertising and RFCOMM profile registration against a BlueZ
//! stand-in: a private dbus-daemon acting as the system bus, python-dbusmock's bluez5 template
//! (Debian python3-dbusmock, /usr/bin/python3), plus the GattManager1 and LEAdvertisingManager1
//! methods the template lacks. The test then plays bluetoothd's part towards our objects:
//! AcquireNotify gives the notification socket, the phone's writes arrive as WriteValue calls
//! (AcquireWrite is not offered: bluetoothd corrupts the write that triggers it), and a whole
//! AMA exchange runs with a 23-byte ATT MTU (so every frame is cut into 20-byte pieces).
//!
//! Not exercised without a radio: real pairing/bonding and encryption, the phone's ATT client,
//! MTU exchange, real advertising on air, RFCOMM sockets (bluer's accept needs a real RFCOMM fd).

use std::collections::HashMap;
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ama_engine::ama::link::{RFCOMM_UUID, RX_CHAR_UUID, SERVICE_UUID, TX_CHAR_UUID};
use ama_proto::envelope;
use ama_proto::proto::{
    control_envelope::Payload, response, Command as C, ConnectionDetails, ErrorCode,
    GetDeviceInformation, UpgradeTransport,
};
use ama_proto::transport::{encode_envelope, Decoder, Frame, VersionPacket};
use dbus::arg::{PropMap, RefArg, Variant};
use dbus::blocking::Connection;
use dbus::Path;

use crate::ama_support;
use crate::ama_support::Trigger;

const T: Duration = Duration::from_secs(5);

struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts the private bus and the bluez5 mock; returns the processes and the bus address.
fn bluez_mock(dir: &std::path::Path) -> (Procs, String) {
    let addr = format!("unix:path={}", dir.join("bus").display());
    let daemon = Command::new("dbus-daemon")
        .args([
            "--config-file=/usr/share/dbus-1/session.conf",
            "--nofork",
            "--nopidfile",
        ])
        .arg(format!("--address={addr}"))
        .stdout(Stdio::null())
        .spawn()
        .expect("dbus-daemon (package dbus) is installed by scripts/setup.sh");
    let mut procs = Procs(vec![daemon]);
    for _ in 0..100 {
        if dir.join("bus").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mock = Command::new("/usr/bin/python3")
        .args(["-m", "dbusmock", "--system", "--template", "bluez5"])
        .env("DBUS_SYSTEM_BUS_ADDRESS", &addr)
        .stdout(Stdio::null())
        .spawn()
        .expect("python3-dbusmock is installed by scripts/setup.sh");
    procs.0.push(mock);
    (procs, addr)
}

fn call<R: dbus::arg::ReadAll, A: dbus::arg::AppendAll>(
    c: &Connection,
    dest: &str,
    path: &str,
    iface: &str,
    method: &str,
    args: A,
) -> Result<R, dbus::Error> {
    c.with_proxy(dest, path, T).method_call(iface, method, args)
}

fn strings(v: &dyn RefArg) -> Vec<String> {
    v.as_iter()
        .map(|it| it.filter_map(|x| x.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[test]
fn gatt_server_advertising_and_rfcomm_profile_against_the_bluez_mock() {
    let name = "gatt_server_advertising_and_rfcomm_profile_against_the_bluez_mock";
    if !crate::support::in_own_process(module_path!(), name) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_procs, addr) = bluez_mock(dir.path());
    // libdbus (here and in the engine code under test) reads the system bus address from the
    // environment once per process: this test runs in a process of its own (above).
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &addr);
    let conn = Connection::new_system().unwrap();
    let mut up = false;
    for _ in 0..250 {
        let r: Result<(bool,), _> = call(
            &conn,
            "org.freedesktop.DBus",
            "/",
            "org.freedesktop.DBus",
            "NameHasOwner",
            ("org.bluez",),
        );
        if matches!(r, Ok((true,))) {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(up, "the bluez5 mock did not start");
    let _: (String,) = call(
        &conn,
        "org.bluez",
        "/org/bluez",
        "org.bluez.Mock",
        "AddAdapter",
        ("hci0", "ama-test"),
    )
    .unwrap();
    let mock = "org.freedesktop.DBus.Mock";
    for (iface, name, sig) in [
        ("org.bluez.GattManager1", "RegisterApplication", "oa{sv}"),
        ("org.bluez.GattManager1", "UnregisterApplication", "o"),
        (
            "org.bluez.LEAdvertisingManager1",
            "RegisterAdvertisement",
            "oa{sv}",
        ),
        (
            "org.bluez.LEAdvertisingManager1",
            "UnregisterAdvertisement",
            "o",
        ),
    ] {
        let _: () = call(
            &conn,
            "org.bluez",
            "/org/bluez/hci0",
            mock,
            "AddMethod",
            (iface, name, sig, "", ""),
        )
        .unwrap();
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rig = rt.block_on(ama_support::start(
        |c| c.ama.link = ama_engine::config::AmaLink::Ble,
        Duration::from_millis(2),
    ));
    assert_eq!(rig.addr, "ble");

    // The GATT application and the advertisement were registered with the adapter.
    type Calls = Vec<(u64, Vec<Variant<Box<dyn RefArg>>>)>;
    let calls = |method: &str| -> Calls {
        let (c,): (Calls,) = call(
            &conn,
            "org.bluez",
            "/org/bluez/hci0",
            mock,
            "GetMethodCalls",
            (method,),
        )
        .unwrap();
        c
    };
    let app_calls = calls("RegisterApplication");
    assert_eq!(app_calls.len(), 1);
    let app_path = app_calls[0].1[0].0.as_str().unwrap().to_owned();
    let adv_calls = calls("RegisterAdvertisement");
    assert_eq!(adv_calls.len(), 1);
    let adv_path = adv_calls[0].1[0].0.as_str().unwrap().to_owned();

    // Find our process's connections on the bus: the ones that serve the application and the
    // advertisement (the GATT application has a connection of its own).
    let (names,): (Vec<String>,) = call(
        &conn,
        "org.freedesktop.DBus",
        "/",
        "org.freedesktop.DBus",
        "ListNames",
        (),
    )
    .unwrap();
    let me = conn.unique_name().to_string();
    type Objects = HashMap<Path<'static>, HashMap<String, PropMap>>;
    // The connection whose object at `path` introspects with interface `iface`.
    let owner_of = |path: &str, iface: &str| -> String {
        names
            .iter()
            .filter(|n| n.starts_with(':') && **n != me)
            .find(|n| {
                call::<(String,), _>(
                    &conn,
                    n,
                    path,
                    "org.freedesktop.DBus.Introspectable",
                    "Introspect",
                    (),
                )
                .is_ok_and(|(xml,)| xml.contains(iface))
            })
            .unwrap_or_else(|| panic!("no connection serves {iface} at {path}"))
            .clone()
    };
    let owner = owner_of(&app_path, "org.freedesktop.DBus.ObjectManager");
    let adv_owner = owner_of(&adv_path, "org.bluez.LEAdvertisement1");
    let (objects,): (Objects,) = call(
        &conn,
        &owner,
        &app_path,
        "org.freedesktop.DBus.ObjectManager",
        "GetManagedObjects",
        (),
    )
    .unwrap();
    let mut service_ok = false;
    let mut rx_path = None;
    let mut tx_path = None;
    for (path, ifaces) in &objects {
        if let Some(s) = ifaces.get("org.bluez.GattService1") {
            service_ok = s["UUID"].0.as_str() == Some(&SERVICE_UUID.to_string())
                && s["Primary"].0.as_u64() == Some(1);
        }
        if let Some(ch) = ifaces.get("org.bluez.GattCharacteristic1") {
            let uuid = ch["UUID"].0.as_str().unwrap().to_owned();
            let flags = strings(&*ch["Flags"].0);
            if uuid == RX_CHAR_UUID.to_string() {
                assert!(
                    flags.contains(&"write".into())
                        && flags.contains(&"write-without-response".into()),
                    "{flags:?}"
                );
                assert!(
                    !ch.contains_key("WriteAcquired"),
                    "AcquireWrite offered: bluetoothd corrupts the write that triggers it"
                );
                rx_path = Some(path.to_string());
            } else if uuid == TX_CHAR_UUID.to_string() {
                // The CCCD needs encryption: BlueZ makes an unbonded phone pair first.
                assert!(
                    flags.contains(&"notify".into())
                        && flags.contains(&"encrypt-notify".into())
                        && flags.contains(&"encrypt-read".into()),
                    "{flags:?}"
                );
                assert_eq!(
                    ch["NotifyAcquired"].0.as_u64(),
                    Some(0),
                    "AcquireNotify offered"
                );
                tx_path = Some(path.to_string());
            }
        }
    }
    assert!(
        service_ok,
        "service 0xFE03 missing or not primary: {objects:?}"
    );
    let (rx_path, tx_path) = (rx_path.unwrap(), tx_path.unwrap());

    let (adv,): (PropMap,) = call(
        &conn,
        &adv_owner,
        &adv_path,
        "org.freedesktop.DBus.Properties",
        "GetAll",
        ("org.bluez.LEAdvertisement1",),
    )
    .unwrap();
    assert_eq!(adv["Type"].0.as_str(), Some("peripheral"));
    assert!(strings(&*adv["ServiceUUIDs"].0).contains(&SERVICE_UUID.to_string()));
    assert_eq!(adv["LocalName"].0.as_str(), Some("AMA Engine"));
    let sd = format!("{:?}", adv["ServiceData"].0);
    assert!(sd.contains(&SERVICE_UUID.to_string()), "{sd}");

    // Play bluetoothd: the phone subscribes (AcquireNotify) and writes (WriteValue), MTU 23.
    let device = Path::from("/org/bluez/hci0/dev_11_22_33_44_55_66");
    let acquire_opts = || {
        let mut opts = PropMap::new();
        opts.insert(
            "device".into(),
            Variant(Box::new(device.clone()) as Box<dyn RefArg>),
        );
        opts.insert("mtu".into(), Variant(Box::new(23u16) as Box<dyn RefArg>));
        opts.insert(
            "link".into(),
            Variant(Box::new("LE".to_string()) as Box<dyn RefArg>),
        );
        opts
    };
    let (nfd, nmtu): (dbus::arg::OwnedFd, u16) = call(
        &conn,
        &owner,
        &tx_path,
        "org.bluez.GattCharacteristic1",
        "AcquireNotify",
        (acquire_opts(),),
    )
    .unwrap();
    let acquired: Result<(dbus::arg::OwnedFd, u16), _> = call(
        &conn,
        &owner,
        &rx_path,
        "org.bluez.GattCharacteristic1",
        "AcquireWrite",
        (acquire_opts(),),
    );
    assert!(acquired.is_err(), "AcquireWrite must not be served");
    // One ATT write each, as bluetoothd forwards them (one WriteValue per Write Request).
    let write = |piece: &[u8]| {
        let _: () = call(
            &conn,
            &owner,
            &rx_path,
            "org.bluez.GattCharacteristic1",
            "WriteValue",
            (piece.to_vec(), acquire_opts()),
        )
        .unwrap();
    };
    assert_eq!(nmtu, 23);
    // SAFETY: into_fd hands over ownership of a valid socket fd received from D-Bus; nothing
    // else closes it.
    let notify = unsafe { UnixDatagram::from_raw_fd(nfd.into_fd()) };
    // bluer hands out non-blocking sockets; this side reads with a timeout instead.
    notify.set_nonblocking(false).unwrap();
    notify.set_read_timeout(Some(T)).unwrap();

    let mut pieces = Vec::new();
    let mut dec = Decoder::default();
    let got = |want: usize, dec: &mut Decoder, pieces: &mut Vec<usize>| -> Vec<u8> {
        let mut all = Vec::new();
        let mut buf = [0u8; 512];
        while all.len() < want {
            let n = notify.recv(&mut buf).expect("notification");
            pieces.push(n);
            all.extend_from_slice(&buf[..n]);
        }
        let _ = dec;
        all
    };
    let version = got(20, &mut dec, &mut pieces);
    assert_eq!(
        VersionPacket::decode(&version).unwrap(),
        VersionPacket::new(800, 5000)
    );

    let device_information = || {
        request_bytes(
            C::GetDeviceInformation,
            Payload::GetDeviceInformation(GetDeviceInformation { device_id: 0 }),
        )
    };
    for piece in device_information().chunks(20) {
        write(piece);
    }
    let reply = next_envelope(&notify, &mut dec, &mut pieces);
    let r = envelope::response_of(&reply).unwrap();
    assert_eq!(r.error_code, ErrorCode::Success as i32);
    let Some(response::Payload::DeviceInformation(info)) = &r.payload else {
        panic!("{r:?}")
    };
    assert_eq!(info.supported_transports, vec![0, 1], "BLE and RFCOMM");

    // UPGRADE_TRANSPORT(RFCOMM): the answer carries the adapter's BD_ADDR (the mock's hci0).
    let req = request_bytes(
        C::UpgradeTransport,
        Payload::UpgradeTransport(UpgradeTransport { transport: 1 }),
    );
    for piece in req.chunks(20) {
        write(piece);
    }
    let upgrade = next_envelope(&notify, &mut dec, &mut pieces);
    let r = envelope::response_of(&upgrade).unwrap();
    assert_eq!(
        r.payload,
        Some(response::Payload::ConnectionDetails(ConnectionDetails {
            identifier: vec![0, 1, 2, 3, 4, 5]
        }))
    );

    // A whole frame in one WriteValue (a long or prepared write) reaches the session too.
    let _: () = call(
        &conn,
        &owner,
        &rx_path,
        "org.bluez.GattCharacteristic1",
        "WriteValue",
        (device_information(), PropMap::new()),
    )
    .unwrap();
    let again = next_envelope(&notify, &mut dec, &mut pieces);
    let r = envelope::response_of(&again).unwrap();
    assert_eq!(r.error_code, ErrorCode::Success as i32);
    assert!(matches!(
        r.payload,
        Some(response::Payload::DeviceInformation(_))
    ));

    // An utterance: START_SPEECH in pieces, answered; voice frames come back cut to 20 bytes.
    rt.block_on(rig.triggers.send(Trigger::Hold { release_after: 12 }))
        .unwrap();
    let mut opus = Vec::new();
    let mut endpointed = false;
    let mut buf = [0u8; 512];
    while !endpointed {
        let n = notify.recv(&mut buf).expect("speech notification");
        pieces.push(n);
        dec.push(&buf[..n]);
        while let Some(f) = dec.next_frame() {
            match f.unwrap() {
                Frame::Control(body) => {
                    let env = envelope::decode(&body).unwrap();
                    match env.payload {
                        Some(Payload::StartSpeech(s)) => {
                            let mut ok = Vec::new();
                            encode_envelope(
                                &envelope::reply(
                                    C::StartSpeech as i32,
                                    ErrorCode::Success,
                                    Some(response::Payload::Dialog(s.dialog.unwrap())),
                                ),
                                &mut ok,
                            );
                            for piece in ok.chunks(20) {
                                write(piece);
                            }
                        }
                        Some(Payload::EndpointSpeech(_)) => endpointed = true,
                        _ => {}
                    }
                }
                Frame::Voice(v) => opus.extend(v.chunks(80).map(<[u8]>::to_vec)),
            }
        }
    }
    assert!(
        pieces.iter().all(|&n| n <= 20),
        "notifications larger than MTU - 3: {pieces:?}"
    );
    assert_eq!(
        opus,
        rig.stream(1).unwrap().sent,
        "every Opus frame once, in order, over BLE"
    );

    // RFCOMM: the BLE link registered the profile for upgrades, and so does an "rfcomm" link:
    // AMA SPP UUID, channel 19, authentication, server role.
    drop(notify);
    let cfg = ama_support::config(dir.path(), |c| {
        c.ama.link = ama_engine::config::AmaLink::Rfcomm
    });
    let l = rt
        .block_on(ama_engine::ama::link::rfcomm::RfcommListener::register(
            &cfg.ama,
        ))
        .unwrap();
    assert_eq!(l.bd_addr(), [0, 1, 2, 3, 4, 5]);
    let (pcalls,): (Calls,) = call(
        &conn,
        "org.bluez",
        "/org/bluez",
        mock,
        "GetMethodCalls",
        ("RegisterProfile",),
    )
    .unwrap();
    assert_eq!(
        pcalls.len(),
        2,
        "one for the BLE link's upgrades, one for the rfcomm link"
    );
    for (_, args) in &pcalls {
        assert_eq!(
            args[1].0.as_str().map(str::to_lowercase),
            Some(RFCOMM_UUID.to_string())
        );
        let opts = format!("{:?}", args[2].0);
        assert!(
            opts.contains("\"Channel\"") && opts.contains("19"),
            "{opts}"
        );
        assert!(opts.contains("\"RequireAuthentication\""), "{opts}");
        assert!(opts.contains("\"server\""), "{opts}");
    }

    let _ = rt.block_on(rig.stop());
}

/// A request envelope, framed for the control stream.
fn request_bytes(command: C, payload: Payload) -> Vec<u8> {
    let mut out = Vec::new();
    encode_envelope(&envelope::request(command, payload), &mut out);
    out
}

/// Reads notifications (recording their sizes) until a control frame decodes.
fn next_envelope(
    notify: &UnixDatagram,
    dec: &mut Decoder,
    pieces: &mut Vec<usize>,
) -> ama_proto::proto::ControlEnvelope {
    let mut buf = [0u8; 512];
    loop {
        let n = notify.recv(&mut buf).expect("notification");
        pieces.push(n);
        dec.push(&buf[..n]);
        if let Some(Ok(Frame::Control(body))) = dec.next_frame() {
            return envelope::decode(&body).unwrap();
        }
    }
}
