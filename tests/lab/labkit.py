"""Shared pieces of the lab suites (run inside the lab VM by scripts/lab/run.sh).

- `Engine`: the built engine as a child process, its log in $LAB_OUT, bounded start/stop.
- `Control`: a client of the engine's control socket (JSON lines): requests, directives, and
  every event line the engine broadcasts, kept in order.
- `board_ready`: the AMA suites' start-up (control socket, link registered, pairing window).
- `bluez_objects` / `bluez_prop`: the board's BlueZ as bluetoothd itself reports it (busctl).
- `Result`: the suite's checks and figures, written to $LAB_OUT/results/<suite>.json and
  summarised by scripts/lab/test.sh.

Standard library only, so the suites can import it from any Python.
Every wait is bounded; no check depends on how fast the machine is.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_OUT = Path(os.environ.get("LAB_OUT", "/tmp/lab"))
LAB_RUN = Path(os.environ.get("LAB_RUN", "/run/lab"))
LAB_RESULTS = Path(os.environ.get("LAB_RESULTS", LAB_OUT / "results"))
ENGINE = Path(os.environ.get("LAB_ENGINE", REPO / "target" / "release" / "ama-engine"))
# The Alexa app's side of an AMA link over TCP (tools/phone), next to the engine.
PHONE = ENGINE.parent / "ama-phone"


def log(*args) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *args, flush=True)


def bt_env() -> dict:
    """Addresses written by scripts/lab/guest-bt.sh."""
    env = {}
    for line in (LAB_RUN / "bt.env").read_text().splitlines():
        k, _, v = line.partition("=")
        env[k] = v
    return env


def wait_until(what: str, timeout: float, pred, interval: float = 0.25):
    """Polls `pred` until it returns a true value; raises TimeoutError naming `what`."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- the engine
class Engine:
    def __init__(self, name: str, args: list[str], env: dict | None = None):
        self.name = name
        self.log_path = LAB_OUT / f"{name}.log"
        e = dict(os.environ)
        e.setdefault("AMA_LOG", "debug")
        e.setdefault("NO_COLOR", "1")
        e.update(env or {})
        log(f"engine {name}: {ENGINE.name} {' '.join(args)}")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(ENGINE), *args], cwd=REPO, env=e, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_socket(self, path: Path, timeout: float = 90) -> None:
        def ready():
            if not self.alive():
                raise RuntimeError(f"engine {self.name} exited {self.proc.returncode}: "
                                   f"{self.tail()}")
            return path.exists()
        wait_until(f"the engine's control socket {path}", timeout, ready)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, n: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def stop(self, timeout: float = 30) -> int | None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"engine {self.name}: no exit {timeout:.0f} s after SIGTERM: killed")
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode


class Control:
    """One connection to the control socket; a reader thread keeps every line in order."""

    def __init__(self, path: Path, timeout: float = 120):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        wait_until(f"a connection to {path}", timeout, lambda: self._try(path))
        self.lines: list[dict] = []
        self._q: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._reader, daemon=True).start()

    def _try(self, path: Path) -> bool:
        try:
            self.sock.connect(str(path))
            return True
        except OSError:
            return False

    def _reader(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = {"unparsed": line.decode(errors="replace")}
                with self._lock:
                    self.lines.append(obj)
                self._q.put(obj)

    def send(self, obj: dict) -> None:
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def request(self, command: str, key: str | None = None, timeout: float = 30) -> dict:
        """Sends {"command": command} and returns the answer's `key` (default: command)."""
        key = key or command
        start = len(self.lines)
        self.send({"command": command})
        found = wait_until(f"the answer to {command}", timeout,
                           lambda: next((l for l in self.lines[start:] if key in l), None))
        return found[key]

    def directive(self, name: str, payload: dict | None = None) -> str:
        mid = str(uuid.uuid4())
        self.send({"directive": {"header": {"namespace": "Bluetooth", "name": name,
                                            "messageId": mid}, "payload": payload or {}}})
        return mid

    def events(self) -> list[dict]:
        with self._lock:
            return [l["event"] for l in self.lines if "event" in l]

    def event_names(self) -> list[str]:
        return [e.get("header", {}).get("name", "?") for e in self.events()]

    def wait_event(self, name: str, timeout: float = 60, since: int = 0) -> dict:
        return wait_until(f"the event {name}", timeout, lambda: next(
            (e for e in self.events()[since:] if e.get("header", {}).get("name") == name), None))

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


CONTROL = LAB_RUN / "control.sock"
# What the engine logs once its AMA link's Bluetooth side is registered with bluetoothd.
LINK_READY = {"rfcomm": "RFCOMM profile", "ble": "BLE GATT service"}


def board_ready(engine: Engine, link: str, window_s: int = 600,
                timeout: float = 120) -> Control:
    """The board's start-up shared by the AMA suites: the engine's control socket, its AMA
    link registered with bluetoothd (`link`: "rfcomm" or "ble"), then the pairing window
    open (EnterDiscoverableMode for `window_s`, until BlueZ reports hci0 Pairable). Returns
    the control connection (the caller closes it)."""
    engine.wait_socket(CONTROL, timeout=timeout)
    ctl = Control(CONTROL)
    try:
        marker = LINK_READY[link]
        wait_until(f"the engine's {link} link registered", 120,
                   lambda: marker in engine.log_text() or not engine.alive())
        if not engine.alive():
            raise RuntimeError(f"engine {engine.name} exited {engine.proc.returncode}: "
                               f"{engine.tail()}")
        ctl.directive("EnterDiscoverableMode", {"durationInSeconds": window_s})
        wait_until("hci0 Pairable", 60, lambda: bluez_prop(
            "/org/bluez/hci0", "org.bluez.Adapter1", "Pairable"))
    except BaseException:
        ctl.close()
        raise
    return ctl


def registry_row(config: Path, mac: str) -> dict | None:
    """The phone's row of `ama-engine devices` (the registry with BlueZ's view), or None."""
    out = subprocess.run([str(ENGINE), "devices", "--config", str(config)],
                         capture_output=True, text=True, timeout=60, cwd=REPO).stdout
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 5 and cols[1].upper() == mac.upper():
            return {"uniqueDeviceId": cols[0], "mac": cols[1], "category": cols[2],
                    "paired": cols[3] == "yes", "connected": cols[4] == "yes", "line": line}
    return None


def device_events(events: list[dict], unique_id: str) -> list[str]:
    """Names of the events whose payload names `unique_id`, in order."""
    out = []
    for e in events:
        if unique_id and unique_id in json.dumps(e.get("payload", {})):
            out.append(e.get("header", {}).get("name", "?"))
    return out


def events_consistent(names: list[str]) -> bool:
    """No disconnect reported for a device whose connection was never reported."""
    connected = False
    for n in names:
        if n.startswith("ConnectBy"):
            connected = True
        elif n.startswith("DisconnectDevices"):
            if not connected:
                return False
            connected = False
    return True


def context_devices(context: list) -> list[dict]:
    """The paired devices listed in a BluetoothState context."""
    for c in context:
        if c.get("header", {}).get("name") == "BluetoothState":
            return list(c.get("payload", {}).get("pairedDevices", []))
    return []


# --------------------------------------------------------------------------- BlueZ (board)
def busctl_json(*args: str, timeout: float = 20):
    out = subprocess.run(["busctl", "--system", "--json=short", *args], capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"busctl {' '.join(args)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def bluez_objects() -> dict:
    """GetManagedObjects of org.bluez: {path: {interface: {property: value}}}."""
    reply = busctl_json("call", "org.bluez", "/", "org.freedesktop.DBus.ObjectManager",
                        "GetManagedObjects")
    objs = reply["data"][0]
    return {path: {iface: {k: v.get("data") for k, v in props.items()}
                   for iface, props in ifaces.items()} for path, ifaces in objs.items()}


def bluez_prop(path: str, iface: str, prop: str):
    return busctl_json("get-property", "org.bluez", path, iface, prop)["data"]


def device_path(adapter: str, mac: str) -> str:
    return f"/org/bluez/{adapter}/dev_{mac.upper().replace(':', '_')}"


def bluez_device(adapter: str, mac: str) -> dict | None:
    return bluez_objects().get(device_path(adapter, mac), {}).get("org.bluez.Device1")


def agent_lines(since: int = 0) -> list[str]:
    """bluetoothd's own log lines about agents, authorization and pairing."""
    try:
        lines = (LAB_OUT / "bluetoothd.log").read_text(errors="replace").splitlines()[since:]
    except OSError:
        return []
    keys = ("agent", "Agent", "auth", "Auth", "pair", "bond", "Access denied", "confirm",
            "Rejected", "new_link_key", "new_long_term_key")
    return [l for l in lines if any(k in l for k in keys) and "mgmt.c" not in l]


def bluetoothd_log_len() -> int:
    try:
        return len((LAB_OUT / "bluetoothd.log").read_text(errors="replace").splitlines())
    except OSError:
        return 0


# --------------------------------------------------------------------------- results
class Result:
    """Checks and figures of one suite; `finish` writes them and returns the exit code."""

    def __init__(self, suite: str):
        self.suite = suite
        self.checks: list[dict] = []
        self.figures: dict = {}
        self.notes: list[str] = []
        self.started = time.monotonic()

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})
        log(f"{'PASS' if ok else 'FAIL'}: {name}" + (f" ({detail})" if detail else ""))
        return bool(ok)

    def figure(self, name: str, value) -> None:
        self.figures[name] = value
        log(f"figure: {name} = {value}")

    def note(self, text: str) -> None:
        self.notes.append(text)
        log(f"note: {text}")

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c["ok"] for c in self.checks)

    def finish(self) -> int:
        self.figure("suite_s", round(time.monotonic() - self.started, 1))
        d = LAB_RESULTS
        d.mkdir(parents=True, exist_ok=True)
        out = {"suite": self.suite, "ok": self.ok, "checks": self.checks,
               "figures": self.figures, "notes": self.notes}
        (d / f"{self.suite}.json").write_text(json.dumps(out, indent=1) + "\n")
        failed = [c["check"] for c in self.checks if not c["ok"]]
        log(f"suite {self.suite}: {'PASS' if self.ok else 'FAIL'}"
            + (f" (failed: {'; '.join(failed)})" if failed else ""))
        return 0 if self.ok else 1
