"""`ama-phone` over real Bluetooth (issue 13, item 5) in the lab VM.

    /usr/bin/python3 tests/lab/phone_bluez.py

Here one bluetoothd serves both controllers (scripts/lab/guest-bt.sh --phone bluez): hci0 is
the board (`ama-engine run`, AMA over RFCOMM, its agent the default one), hci1 the phone,
driven by `ama-phone rfcomm://BOARD:CH --adapter hci1` (bluer: a kernel RFCOMM socket bound to
hci1), the channel read from the board's SDP record over the air (`sdptool browse BOARD`). Without a
channel ama-phone would register a client profile for the AMA UUID, which one bluetoothd
refuses while the engine's server profile holds that UUID ("UUID already registered", seen
here); a phone has its own bluetoothd. The limits of sharing one
bluetoothd: one default agent (the engine's) is asked about both sides' pairings, and the
phone side cannot have an agent of its own; the phone pairs with `Device1.Pair` on hci1
(just works, initiated locally, which needs no agent), and the board's side is the engine's
agent inside its pairing window.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
from labkit import LAB_OUT, LAB_RUN, REPO, Result, log  # noqa: E402

CONTROL = LAB_RUN / "control.sock"


def config() -> Path:
    text = (REPO / "scripts" / "lab" / "engine.toml").read_text()
    text = re.sub(r'(?m)^link = .*$', 'link = "rfcomm"', text, count=1)
    p = LAB_RUN / "engine-phone-bluez.toml"
    p.write_text(text)
    return p


AMA_UUID = "931c7e8a-540f-4686-b798-e8df0a2ad9f7"


def sdp_channel(board: str) -> int | None:
    """The RFCOMM channel of the board's AMA record, browsed over the air (the kernel routes
    the SDP connection through hci1: hci0 is the board itself)."""
    r = subprocess.run(["sdptool", "browse", board], capture_output=True, text=True,
                       timeout=120)
    for record in r.stdout.split("Service RecHandle:"):
        if AMA_UUID in record.lower():
            m = re.search(r"Channel: (\d+)", record)
            if m:
                return int(m.group(1))
    log(f"sdptool browse: {r.returncode} {r.stdout[-400:]} {r.stderr[-200:]}")
    return None


def busctl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["busctl", "--system", "--timeout", f"{int(timeout)}", *args],
                          capture_output=True, text=True, timeout=timeout + 10)


def main() -> int:
    res = Result("phone-bluez")
    env = labkit.bt_env()
    board = env["BOARD_ADDR"]
    (LAB_RUN / "state").mkdir(parents=True, exist_ok=True)
    engine = labkit.Engine("engine-phone-bluez", ["run", "--config", str(config())])
    ctl, phone = None, None
    try:
        engine.wait_socket(CONTROL, timeout=120)
        ctl = labkit.Control(CONTROL)
        labkit.wait_until("the RFCOMM profile", 120,
                          lambda: "RFCOMM profile" in engine.log_text() or not engine.alive())
        ctl.directive("EnterDiscoverableMode", {"durationInSeconds": 600})
        labkit.wait_until("Pairable", 60, lambda: labkit.bluez_prop(
            "/org/bluez/hci0", "org.bluez.Adapter1", "Pairable"))
        # The phone side (hci1) discovers the board and pairs with it.
        r = busctl("set-property", "org.bluez", "/org/bluez/hci1", "org.bluez.Adapter1",
                   "Powered", "b", "true")
        res.note(f"hci1 Powered: {r.returncode} {r.stderr.strip()}")
        # A discovery belongs to the D-Bus client that started it (bluetoothd stops it when
        # that client leaves, as a one-shot busctl does at once): bluetoothctl stays connected.
        scan = subprocess.Popen(["bluetoothctl"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        scan.stdin.write(f"select {env['PHONE_ADDR']}\nscan on\n")
        scan.stdin.flush()
        path = labkit.device_path("hci1", board)
        try:
            labkit.wait_until("the board seen from hci1", 90,
                              lambda: path in labkit.bluez_objects())
            res.check("hci1 discovery finds the board", True)
        finally:
            scan.stdin.write("scan off\nquit\n")
            scan.stdin.flush()
            try:
                scan.wait(20)
            except subprocess.TimeoutExpired:
                scan.kill()
        t = time.monotonic()
        r = busctl("call", "org.bluez", path, "org.bluez.Device1", "Pair")
        res.figure("pairing_s", round(time.monotonic() - t, 1))
        res.check("hci1 pairs with the board (Device1.Pair, the engine's agent on hci0)",
                  r.returncode == 0, (r.stderr or r.stdout).strip()[:200])
        channel = sdp_channel(board)
        res.check("the board's SDP record names the AMA service's RFCOMM channel",
                  channel is not None, f"channel {channel}")
        log_f = open(LAB_OUT / "ama-phone.log", "w")
        t = time.monotonic()
        phone = subprocess.Popen(
            [str(labkit.PHONE), f"rfcomm://{board}:{channel}", "--adapter", "hci1", "--endpoint-after",
             "2", "--utterances", "1", "--max-seconds", "240", "--wait", "30", "--json"],
            cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log_f,
            text=True)
        labkit.wait_until("ama-phone connected", 90,
                          lambda: "ama: phone connected" in engine.log_text()
                          or phone.poll() is not None)
        res.figure("rfcomm_connect_s", round(time.monotonic() - t, 1))
        time.sleep(3)
        ctl.send({"command": "tap"})
        try:
            out, _ = phone.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            phone.kill()
            out, _ = phone.communicate()
        start = out.rfind("\n{\n")
        try:
            report = json.loads(out[start + 1:] if start >= 0 else out[out.find("{"):])
        except ValueError:
            report = {}
        res.check("ama-phone rfcomm://BOARD --adapter hci1: version packet",
                  bool(report.get("version")), out[-300:])
        utts = report.get("utterances", [])
        res.check("a TAP utterance over RFCOMM, endpointed by ama-phone",
                  len(utts) == 1 and utts[0]["initiator"] == 3 and utts[0]["voice_frames"] > 0
                  and utts[0]["ending"] == "phone_endpoint", json.dumps(utts)[:300])
        res.check("ama-phone exited 0", phone.returncode == 0, f"exit {phone.returncode}")
    except (Exception, subprocess.TimeoutExpired) as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        if phone and phone.poll() is None:
            phone.kill()
        if ctl:
            ctl.close()
        res.figure("engine_exit", engine.stop())
        for line in [l for l in engine.log_text().splitlines() if "ama:" in l][-6:]:
            res.note("engine: " + line[-200:])
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
