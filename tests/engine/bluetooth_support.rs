//! Shared harness of the Bluetooth integration tests: the BlueZ mock (a private dbus-daemon as
//! the system bus with python-dbusmock's bluez5 template, driven through bluez_mock.py), the
//! engine binary (`ama-engine bluetooth`), and a control-socket client that checks every event
//! by a typed round trip against the model.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use avs_bluetooth::model::{ContextObject, Event, InterfaceVersion};
use serde_json::{json, Value};

/// How long any wait may take before the test fails (generous: machines are noisy; no test
/// asserts a duration).
pub const WAIT: Duration = Duration::from_secs(60);

/// Adds the GattManager1 and LEAdvertisingManager1 methods (recording calls only) that the
/// bluez5 template lacks to the mock's hci0, through `conn` on the mock's bus.
pub fn add_le_managers(conn: &dbus::blocking::Connection) {
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
        let _: () = conn
            .with_proxy("org.bluez", "/org/bluez/hci0", WAIT)
            .method_call(
                "org.freedesktop.DBus.Mock",
                "AddMethod",
                (iface, name, sig, "", ""),
            )
            .expect("add a method to the bluez5 mock");
    }
}

/// The BlueZ mock.
pub struct Mock {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    pub address: String,
}

impl Mock {
    /// Starts the bus and the mock with one adapter (hci0).
    pub fn start() -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/bluez_mock.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start /usr/bin/python3 tests/support/bluez_mock.py (python3-dbusmock)");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("mock hello");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("mock: {e}: {line}"));
        let address = v["address"]
            .as_str()
            .unwrap_or_else(|| panic!("mock did not start: {line}"))
            .to_owned();
        Self {
            child,
            stdin,
            stdout,
            address,
        }
    }

    /// Runs one command; panics when the mock reports an error.
    pub fn op(&mut self, cmd: Value) -> Value {
        match self.try_op(cmd.clone()) {
            Ok(v) => v,
            Err(e) => panic!("mock {cmd}: {e}"),
        }
    }

    /// Runs one command.
    pub fn try_op(&mut self, cmd: Value) -> Result<Value, String> {
        let stdin = self.stdin.as_mut().expect("mock stdin");
        writeln!(stdin, "{cmd}").expect("write to mock");
        stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("mock answer");
        let v: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
        if v["ok"] == true {
            Ok(v["result"].clone())
        } else {
            Err(v["error"].to_string())
        }
    }

    pub fn add_device(&mut self, mac: &str, name: &str) {
        self.op(json!({"op": "add_device", "mac": mac, "name": name}));
    }

    /// A device that is already paired (paired before the engine started, or by the peer).
    pub fn add_paired(&mut self, mac: &str, name: &str) {
        self.add_device(mac, name);
        self.op(json!({"op": "pair_peer", "mac": mac}));
    }

    pub fn device_prop(&mut self, mac: &str, prop: &str) -> Value {
        self.op(json!({"op": "get_device", "mac": mac, "prop": prop}))
    }

    pub fn adapter_prop(&mut self, prop: &str) -> Value {
        self.op(json!({"op": "get_adapter", "prop": prop}))
    }

    /// Polls until `prop` of the adapter equals `want` (or fails after [`WAIT`]).
    pub fn wait_adapter(&mut self, prop: &str, want: Value) {
        let start = Instant::now();
        loop {
            let got = self.adapter_prop(prop);
            if got == want {
                return;
            }
            assert!(
                start.elapsed() < WAIT,
                "adapter {prop} stayed {got}, wanted {want}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn fail(&mut self, key: &str, method: &str, error: &str) {
        self.op(json!({"op": "fail", "key": key, "method": method, "error": error}));
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        // Closing stdin makes the helper stop the bus and the mock.
        drop(self.stdin.take());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The engine running `ama-engine bluetooth` against the mock.
pub struct Engine {
    child: Child,
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub version: InterfaceVersion,
}

impl Engine {
    /// Starts the engine with its state and socket in `dir`; returns once the socket accepts.
    pub fn start(mock: &Mock, dir: &Path, version: InterfaceVersion) -> Self {
        Self::start_with(mock, dir, version, "")
    }

    /// Same, with extra lines for the [bluetooth] section.
    pub fn start_with(mock: &Mock, dir: &Path, version: InterfaceVersion, extra: &str) -> Self {
        let socket = dir.join("control.sock");
        let cfg = dir.join("engine.toml");
        std::fs::write(
            &cfg,
            format!(
                "[bluetooth]\ninterface_version = \"{}\"\nstate_dir = \"{}\"\n\
                 friendly_name = \"Test Headset\"\n{extra}\n[control]\npath = \"{}\"\n",
                version.as_str(),
                dir.display(),
                socket.display()
            ),
        )
        .expect("write config");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("engine.log"))
            .expect("log");
        let _ = std::fs::remove_file(&socket);
        let child = Command::new(env!("CARGO_BIN_EXE_ama-engine"))
            .args(["bluetooth", "--config"])
            .arg(&cfg)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &mock.address)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start ama-engine");
        let mut e = Self {
            child,
            dir: dir.to_owned(),
            socket,
            version,
        };
        let start = Instant::now();
        while UnixStream::connect(&e.socket).is_err() {
            if let Ok(Some(status)) = e.child.try_wait() {
                panic!("engine exited ({status}): {}", e.log());
            }
            assert!(start.elapsed() < WAIT, "no control socket: {}", e.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        e
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("engine.log")).unwrap_or_default()
    }

    pub fn client(&self) -> Client {
        Client::connect(&self.socket, self.version)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGTERM and wait.
    pub fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }

    /// SIGKILL and wait.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- engine log ----\n{}", self.log());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Checks an event line by a typed round trip: the payload must parse into the model's type
/// for its name (unknown or missing fields fail), the context must be present exactly when the
/// event carries it and must parse as BluetoothState, and serializing back must give the same
/// JSON.
pub fn check_event(version: InterfaceVersion, line: &Value) -> Event {
    let ev = &line["event"];
    let header = &ev["header"];
    assert_eq!(header["namespace"], "Bluetooth", "{line}");
    let name = header["name"]
        .as_str()
        .unwrap_or_else(|| panic!("no name: {line}"));
    let id = header["messageId"]
        .as_str()
        .unwrap_or_else(|| panic!("no messageId: {line}"));
    assert!(!id.is_empty());
    let typed = Event::parse(version, name, ev["payload"].clone())
        .unwrap_or_else(|e| panic!("event {name} does not match the model: {e}: {line}"));
    let ctx = match line.get("context") {
        Some(c) => {
            let arr = c
                .as_array()
                .unwrap_or_else(|| panic!("context not a list: {line}"));
            assert_eq!(arr.len(), 1, "{line}");
            Some(
                ContextObject::parse(version, arr[0].clone())
                    .unwrap_or_else(|e| panic!("context of {name} does not match: {e}: {line}")),
            )
        }
        None => None,
    };
    assert_eq!(
        ctx.is_some(),
        typed.carries_context(),
        "context presence of {name}: {line}"
    );
    let back = typed.to_message(id, ctx.as_ref());
    assert_eq!(&back, line, "round trip of {name}");
    for k in line
        .as_object()
        .map(|o| o.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        assert!(
            k == "event" || k == "context",
            "unexpected key {k} in {line}"
        );
    }
    typed
}

/// A control-socket client.
pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    version: InterfaceVersion,
    queue: VecDeque<Value>,
}

impl Client {
    pub fn connect(path: &Path, version: InterfaceVersion) -> Self {
        let s = UnixStream::connect(path).expect("connect control socket");
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut c = Self {
            writer: s.try_clone().expect("clone"),
            reader: BufReader::new(s),
            version,
            queue: VecDeque::new(),
        };
        // The answer proves the engine has accepted (and subscribed) this client, so every
        // event sent afterwards reaches it.
        let stats = c.command("stats");
        assert!(stats.get("stats").is_some(), "{stats}");
        c
    }

    pub fn send_raw(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).expect("send");
        self.writer.write_all(b"\n").expect("send");
    }

    pub fn send(&mut self, v: &Value) {
        self.send_raw(&v.to_string());
    }

    /// Sends a Bluetooth directive; returns its messageId.
    pub fn directive(&mut self, name: &str, payload: Value) -> String {
        let id = format!("test-{}", uuid::Uuid::new_v4());
        self.send(
            &json!({"directive": {"header": {"namespace": "Bluetooth", "name": name,
            "messageId": id}, "payload": payload}}),
        );
        id
    }

    pub fn ids(&mut self, name: &str, ids: &[&str]) -> String {
        if self.version == InterfaceVersion::V1 {
            return self.directive(name, json!({"device": {"uniqueDeviceId": ids[0]}}));
        }
        let devices: Vec<Value> = ids.iter().map(|i| json!({"uniqueDeviceId": i})).collect();
        self.directive(name, json!({"devices": devices}))
    }

    fn read_line(&mut self, deadline: Instant) -> Value {
        let mut buf = String::new();
        loop {
            assert!(
                Instant::now() < deadline,
                "timed out; unread: {:?}",
                self.queue
            );
            match self.reader.read_line(&mut buf) {
                Ok(0) => panic!("control socket closed"),
                Ok(_) if buf.ends_with('\n') => break,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("read: {e}"),
            }
        }
        let v: Value = serde_json::from_str(&buf).unwrap_or_else(|e| panic!("bad line {e}: {buf}"));
        if v.get("event").is_some() {
            check_event(self.version, &v);
        }
        v
    }

    /// Returns the first line (queued or new) that satisfies `pred`; earlier lines stay queued.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.queue.iter().position(&pred) {
            return self.queue.remove(i).expect("queued");
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.read_line(deadline);
            if pred(&v) {
                return v;
            }
            self.queue.push_back(v);
            assert!(
                Instant::now() < deadline,
                "no {what}; seen: {:?}",
                self.queue
            );
        }
    }

    /// The next event called `name` (other lines stay queued).
    pub fn event(&mut self, name: &str) -> Value {
        self.wait_for(name, |v| v["event"]["header"]["name"] == name)
    }

    /// All event lines up to and including the first called `name`, in order (consumed).
    pub fn events_until(&mut self, name: &str) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(v) = self.queue.pop_front() {
            let stop = v["event"]["header"]["name"] == name;
            if v.get("event").is_some() {
                out.push(v);
            }
            if stop {
                return out;
            }
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.read_line(deadline);
            let stop = v["event"]["header"]["name"] == name;
            if v.get("event").is_some() {
                out.push(v);
            }
            if stop {
                return out;
            }
        }
    }

    /// The next error line.
    pub fn error(&mut self) -> Value {
        self.wait_for("error line", |v| v.get("error").is_some())
    }

    /// Sends a local command and returns its answer line.
    pub fn command(&mut self, cmd: &str) -> Value {
        self.send(&json!({"command": cmd}));
        let key = match cmd {
            "context" => "context",
            "stats" => "stats",
            "reset" => "reset",
            _ => "ok",
        };
        self.wait_for(cmd, |v| v.get(key).is_some() || v.get("error").is_some())
    }

    /// Drops every queued line.
    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// Names of the queued events.
    pub fn queued_names(&self) -> Vec<String> {
        self.queue
            .iter()
            .filter_map(|v| v["event"]["header"]["name"].as_str().map(str::to_owned))
            .collect()
    }
}

/// The name of an event line.
pub fn name(v: &Value) -> &str {
    v["event"]["header"]["name"].as_str().unwrap_or("")
}

/// The uniqueDeviceId the engine gave `friendly_name` in a ScanDevicesReport / context.
pub fn id_in_scan(report: &Value, friendly_name: &str) -> Option<String> {
    report["event"]["payload"]["discoveredDevices"]
        .as_array()?
        .iter()
        .find(|d| d["friendlyName"] == friendly_name)
        .and_then(|d| d["uniqueDeviceId"].as_str())
        .map(str::to_owned)
}

/// The uniqueDeviceId of a paired device in the context answer.
pub fn id_in_context(ctx_answer: &Value, friendly_name: &str) -> Option<String> {
    ctx_answer["context"][0]["payload"]["pairedDevices"]
        .as_array()?
        .iter()
        .find(|d| d["friendlyName"] == friendly_name)
        .and_then(|d| d["uniqueDeviceId"].as_str())
        .map(str::to_owned)
}
