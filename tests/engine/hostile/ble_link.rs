//! The AMA link's admission rule on BLE (issue 11, defect 3): on Bluetooth links only a bonded
//! device may replace the phone. `ama-engine run` with `link = "ble"` against the BlueZ mock
//! (tests/support/bluez_mock.py, plus the GattManager1/LEAdvertisingManager1 methods the
//! template lacks); the test plays bluetoothd towards the engine's GATT application. A device
//! the mock does not report paired writes a valid request and garbage, and subscribes: every
//! call is refused and the phone's dialog goes on; a paired device's subscription is admitted.

use std::os::fd::FromRawFd;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use ama_proto::envelope;
use ama_proto::proto::{
    control_envelope::Payload, response, Command as C, ControlEnvelope, GetDeviceConfiguration,
    GetDeviceInformation,
};
use ama_proto::transport::{encode_envelope, Decoder, Frame};
use dbus::arg::{PropMap, RefArg, Variant};
use dbus::blocking::Connection;
use dbus::Path;

use super::{garbage, long_run, run_config, spawn_run_env};
use crate::bluetooth_support::Mock;

const T: Duration = Duration::from_secs(10);
const APP: &str = "/org/ama_engine/gatt";
const RX: &str = "/org/ama_engine/gatt/service0/char0";
const TX: &str = "/org/ama_engine/gatt/service0/char1";
const CHAR: &str = "org.bluez.GattCharacteristic1";
const PHONE: &str = "11:22:33:44:55:66";
const STRANGER: &str = "66:55:44:33:22:11";
const SECOND_PHONE: &str = "AA:BB:CC:DD:EE:FF";

fn dev(mac: &str) -> Path<'static> {
    Path::from(format!("/org/bluez/hci0/dev_{}", mac.replace(':', "_")))
}

/// The options bluetoothd passes with WriteValue / AcquireNotify.
fn opts(mac: &str) -> PropMap {
    let mut o = PropMap::new();
    o.insert(
        "device".into(),
        Variant(Box::new(dev(mac)) as Box<dyn RefArg>),
    );
    o.insert("mtu".into(), Variant(Box::new(23u16) as Box<dyn RefArg>));
    o.insert(
        "link".into(),
        Variant(Box::new("LE".to_string()) as Box<dyn RefArg>),
    );
    o
}

fn request(command: C, payload: Payload) -> Vec<u8> {
    let mut out = Vec::new();
    encode_envelope(&envelope::request(command, payload), &mut out);
    out
}

/// Reads notifications until a control frame decodes.
fn next_envelope(notify: &UnixDatagram, dec: &mut Decoder) -> ControlEnvelope {
    let mut buf = [0u8; 512];
    loop {
        if let Some(Ok(Frame::Control(body))) = dec.next_frame() {
            return envelope::decode(&body).unwrap();
        }
        let n = notify.recv(&mut buf).expect("notification");
        dec.push(&buf[..n]);
    }
}

struct Gatt {
    conn: Connection,
    owner: String,
}

impl Gatt {
    /// Waits for the engine's application and finds the connection that serves it.
    fn find(address: &str) -> Self {
        let mut ch = dbus::channel::Channel::open_private(address).unwrap();
        ch.register().unwrap();
        let conn = Connection::from(ch);
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let (names,): (Vec<String>,) = conn
                .with_proxy("org.freedesktop.DBus", "/", T)
                .method_call("org.freedesktop.DBus", "ListNames", ())
                .unwrap();
            let me = conn.unique_name().to_string();
            for n in names.iter().filter(|n| n.starts_with(':') && **n != me) {
                let xml: Result<(String,), _> = conn.with_proxy(n, APP, T).method_call(
                    "org.freedesktop.DBus.Introspectable",
                    "Introspect",
                    (),
                );
                if xml.is_ok_and(|(x,)| x.contains("org.freedesktop.DBus.ObjectManager")) {
                    return Self {
                        owner: n.clone(),
                        conn,
                    };
                }
            }
            assert!(
                Instant::now() < end,
                "the engine served no GATT application"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn write(&self, mac: &str, bytes: &[u8]) -> Result<(), dbus::Error> {
        self.conn.with_proxy(&self.owner, RX, T).method_call(
            CHAR,
            "WriteValue",
            (bytes.to_vec(), opts(mac)),
        )
    }

    fn subscribe(&self, mac: &str) -> Result<UnixDatagram, dbus::Error> {
        let (fd, _): (dbus::arg::OwnedFd, u16) = self
            .conn
            .with_proxy(&self.owner, TX, T)
            .method_call(CHAR, "AcquireNotify", (opts(mac),))?;
        // SAFETY: into_fd hands over a valid socket received from D-Bus; nothing else closes it.
        let s = unsafe { UnixDatagram::from_raw_fd(fd.into_fd()) };
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(T)).unwrap();
        Ok(s)
    }
}

fn is_device_information(env: &ControlEnvelope) -> bool {
    matches!(
        envelope::response_of(env).map(|r| &r.payload),
        Some(Some(response::Payload::DeviceInformation(_)))
    )
}

#[test]
fn an_unbonded_device_cannot_replace_or_disturb_the_ble_phone() {
    let mut mock = Mock::start();
    mock.add_paired(PHONE, "Phone");
    mock.add_device(STRANGER, "Stranger");
    mock.add_paired(SECOND_PHONE, "Second phone");
    let gatt_conn = {
        let mut ch = dbus::channel::Channel::open_private(&mock.address).unwrap();
        ch.register().unwrap();
        Connection::from(ch)
    };
    crate::bluetooth_support::add_le_managers(&gatt_conn);
    let dir = tempfile::tempdir().unwrap();
    let cfg = run_config(dir.path(), "link = \"ble\"", "");
    long_run(&cfg, 120);
    let mut engine = spawn_run_env(
        &cfg,
        dir.path(),
        &[("DBUS_SYSTEM_BUS_ADDRESS", mock.address.as_str())],
    );
    let gatt = Gatt::find(&mock.address);

    // The phone subscribes and gets the version packet; its request is answered.
    let notify = gatt.subscribe(PHONE).unwrap();
    let mut dec = Decoder::default();
    let mut version = Vec::new();
    let mut buf = [0u8; 512];
    while version.len() < 20 {
        let n = notify.recv(&mut buf).expect("version packet");
        version.extend_from_slice(&buf[..n]);
    }
    dec.push(&version[20..]);
    let info = request(
        C::GetDeviceInformation,
        Payload::GetDeviceInformation(GetDeviceInformation { device_id: 0 }),
    );
    for piece in info.chunks(20) {
        gatt.write(PHONE, piece).unwrap();
    }
    assert!(is_device_information(&next_envelope(&notify, &mut dec)));

    // The stranger: a valid request, then garbage, then a subscription. All refused.
    let config = request(
        C::GetDeviceConfiguration,
        Payload::GetDeviceConfiguration(GetDeviceConfiguration {}),
    );
    for piece in config.chunks(20) {
        let e = gatt.write(STRANGER, piece).unwrap_err();
        assert_eq!(e.name(), Some("org.bluez.Error.NotAuthorized"), "{e:?}");
    }
    for piece in garbage(3, 400).chunks(20) {
        assert!(gatt.write(STRANGER, piece).is_err());
    }
    let e = gatt.subscribe(STRANGER).unwrap_err();
    assert_eq!(e.name(), Some("org.bluez.Error.NotAuthorized"), "{e:?}");

    // The phone's link is untouched: its next request's answer is the next frame (an answer
    // to the stranger's GetDeviceConfiguration would come first).
    for piece in info.chunks(20) {
        gatt.write(PHONE, piece).unwrap();
    }
    let next = next_envelope(&notify, &mut dec);
    assert!(is_device_information(&next), "{next:?}");

    // A paired device subscribing (BlueZ asks only once nobody is subscribed) is admitted.
    let second = gatt.subscribe(SECOND_PHONE).unwrap();
    let n = second
        .recv(&mut buf)
        .expect("the second phone's version packet");
    assert!(n > 0);

    assert!(
        engine.try_wait().unwrap().is_none(),
        "the engine kept running"
    );
    engine.kill().unwrap();
    let out = engine.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
}
