"""`ama-phone` over real Bluetooth (issue 13) in the lab VM: the phone side is BlueZ too.

    /usr/bin/python3 tests/lab/phone_bluez.py --link rfcomm|ble

One bluetoothd serves both controllers (scripts/lab/guest-bt.sh --phone bluez|bluez-le): hci0
is the board (`ama-engine run` on scripts/lab/engine.toml, its agent the default one), hci1
the phone, driven by `ama-phone ... --adapter hci1` (bluer). The limits of sharing one
bluetoothd: one default agent (the engine's) is asked about both sides' pairings, and the phone
side has no agent of its own; a pairing the phone initiates (just works) needs none, the
board's side is the engine's agent inside its pairing window. A phone has its own bluetoothd.

--link rfcomm (suite phone-bluez): `ama-phone rfcomm://BOARD:CH`, a kernel RFCOMM socket
  bound to hci1, the channel read from the board's SDP record over the air (`sdptool browse
  BOARD`). Without a channel ama-phone would register a client profile for the AMA UUID,
  which one bluetoothd refuses while the engine's server profile holds it ("UUID already
  registered", seen here). The phone pairs first (`Device1.Pair` on hci1).
--link ble (suite phone-ble): `ama-phone ble://BOARD`, hci1 LE-only (bluetoothd 5.66 serving
  both controllers died right after cross-transport key derivation with BR/EDR on). ama-phone
  finds the board by discovery, pairs (the notify characteristic is encrypt-notify), connects,
  resolves the GATT services and acquires the AMA characteristics (AcquireNotify writes the
  CCCD, AcquireWrite); the version packet, the device information, a TAP utterance
  endpointed by ama-phone, its voice decodable.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
from labkit import LAB_OUT, LAB_RUN, REPO, Result, log  # noqa: E402

AMA_UUID = "931c7e8a-540f-4686-b798-e8df0a2ad9f7"


def config(link: str) -> Path:
    text = (REPO / "scripts" / "lab" / "engine.toml").read_text()
    text = re.sub(r'(?m)^link = .*$', f'link = "{link}"', text, count=1)
    p = LAB_RUN / f"engine-phone-{link}.toml"
    p.write_text(text)
    return p


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


def rfcomm_address(res: Result, env: dict) -> str:
    """hci1 discovers the board, pairs with it and reads the AMA channel from its SDP."""
    board = env["BOARD_ADDR"]
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
    return f"rfcomm://{board}:{channel}"


def ogg_decodes(dir_: Path) -> tuple[bool, str]:
    """libopus decodes the utterance ama-phone wrote (opusdec; ffmpeg takes a minute to start
    under TCG)."""
    files = sorted(dir_.glob("*.ogg")) if dir_.exists() else []
    if not files:
        return False, f"no Ogg file in {dir_}"
    r = subprocess.run(["opusdec", "--quiet", str(files[0]), str(LAB_RUN / "utterance.wav")],
                       capture_output=True, text=True, timeout=120)
    return r.returncode == 0, f"{files[0].name}: exit {r.returncode} {r.stderr[-200:]}"


def sender_stats(text: str) -> dict:
    """The engine's sender counters, logged when its session stops."""
    m = re.search(r"sender stopped: SessionStats \{([^}]*)\}", text)
    return {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", m[1])} if m else {}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--link", choices=["rfcomm", "ble"], default="rfcomm")
    link = ap.parse_args().link
    res = Result("phone-bluez" if link == "rfcomm" else "phone-ble")
    env = labkit.bt_env()
    board = env["BOARD_ADDR"]
    (LAB_RUN / "state").mkdir(parents=True, exist_ok=True)
    engine = labkit.Engine(f"engine-phone-{link}", ["run", "--config", str(config(link))])
    ctl, phone, received = None, None, None
    out_dir = LAB_OUT / "utterances"
    try:
        ctl = labkit.board_ready(engine, link)
        r = busctl("set-property", "org.bluez", "/org/bluez/hci1", "org.bluez.Adapter1",
                   "Powered", "b", "true")
        res.note(f"hci1 Powered: {r.returncode} {r.stderr.strip()}")
        if link == "rfcomm":
            addr = rfcomm_address(res, env)
        else:
            info = subprocess.run(["btmgmt", "-i", "hci1", "info"], capture_output=True,
                                  text=True, timeout=30).stdout
            current = next((l for l in info.splitlines() if "current settings" in l), "")
            res.check("hci1 is LE-only (BR/EDR off)", "le" in current.split()
                      and "br/edr" not in current.split(), current.strip())
            addr = f"ble://{board}"
        log_f = open(LAB_OUT / "ama-phone.log", "w")
        t = time.monotonic()
        phone = subprocess.Popen(
            [str(labkit.PHONE), addr, "--adapter", "hci1", "--endpoint-after", "2",
             "--utterances", "1", "--max-seconds", "300", "--wait", "90", "--json",
             "--out", str(out_dir)],
            cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log_f,
            text=True)
        labkit.wait_until("ama-phone connected", 180,
                          lambda: "ama: phone connected" in engine.log_text()
                          or phone.poll() is not None)
        res.figure(f"{link}_connect_s", round(time.monotonic() - t, 1))
        time.sleep(3)
        ctl.send({"command": "tap"})
        try:
            out, _ = phone.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            phone.kill()
            out, _ = phone.communicate()
        (LAB_OUT / "ama-phone.out").write_text(out)
        start = out.rfind("\n{\n")
        try:
            report = json.loads(out[start + 1:] if start >= 0 else out[out.find("{"):])
        except ValueError:
            report = {}
        res.check(f"ama-phone {link}://BOARD --adapter hci1: version packet",
                  bool(report.get("version")), out[-300:])
        res.check("device information answered",
                  "device:" in out or any(c == "GET_DEVICE_INFORMATION" and e == 0
                                          for c, e in report.get("replies", [])),
                  json.dumps(report.get("replies"))[:200])
        utts = report.get("utterances", [])
        res.check(f"a TAP utterance over {link}, endpointed by ama-phone",
                  len(utts) == 1 and utts[0]["initiator"] == 3 and utts[0]["voice_frames"] > 0
                  and utts[0]["ending"] == "phone_endpoint", json.dumps(utts)[:300])
        if report.get("pairing_ms") is not None:
            res.figure("pairing_s", round(report["pairing_ms"] / 1000, 1))
        m = re.search(r"\((\d+) frames, ([\d.]+) s\)", out)
        received = int(m[1]) if m else None
        res.figure("voice_frames_received", received)
        res.check("whole Opus frames, no malformed bytes",
                  report.get("malformed", 1) == 0 and all(u["stray_bytes"] == 0 for u in utts),
                  f"malformed {report.get('malformed')}")
        res.check("the utterance as Ogg Opus decodes (opusdec)", *ogg_decodes(out_dir))
        res.check("ama-phone exited 0", phone.returncode == 0, f"exit {phone.returncode}")
        if link == "ble":
            dev = labkit.bluez_device("hci0", env["PHONE_ADDR"]) or {}
            res.check("BlueZ: the phone is Paired and Bonded on hci0",
                      bool(dev.get("Paired") and dev.get("Bonded")),
                      f"Paired={dev.get('Paired')} Bonded={dev.get('Bonded')}")
            m = re.search(r"subscribed \(notifications up to (\d+) bytes\)", engine.log_text())
            res.check("the engine's notify session was opened by the phone (CCCD)",
                      m is not None, m[0] if m else "no subscription in the engine's log")
            if m:
                res.figure("notification_limit", int(m[1]))
        res.check("engine still running", engine.alive())
    except (Exception, subprocess.TimeoutExpired) as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        if phone and phone.poll() is None:
            phone.kill()
        if ctl:
            ctl.close()
        res.figure("engine_exit", engine.stop())
    stats = sender_stats(engine.log_text())
    # Opus frames (a BLE voice packet carries several); the phone stops reading soon after it
    # endpoints, so frames still queued on the board's side are not received.
    sent = stats.get("opus_frames_out")
    res.figure("voice_frames_sent", sent)
    res.check("nothing duplicated: Opus frames received <= sent, no sequence gap",
              sent is not None and received is not None and received <= sent
              and stats.get("seq_gaps", 1) == 0, f"{received} <= {sent}; {json.dumps(stats)}")
    for line in [l for l in engine.log_text().splitlines() if "ama:" in l][-6:]:
        res.note("engine: " + line[-200:])
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
