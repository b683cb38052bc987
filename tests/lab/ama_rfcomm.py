"""AMA over RFCOMM suite (issue 13, suite 3) on real bluetoothd in the lab VM.

    .venv-lab/bin/python tests/lab/ama_rfcomm.py

The board: `ama-engine run` with scripts/lab/engine-alsa.toml changed to `[ama] link =
"rfcomm"` and the Bluetooth interface on hci0 (its pairing agent, its control socket):
capture from snd-aloop, wake word on. The phone: Bumble on hci1 (BR/EDR) bonds inside the
pairing window, finds the AMA service (931C7E8A-...) in the board's SDP, opens a real RFCOMM
channel to it (the engine's kernel RFCOMM socket from BlueZ's profile), and hands that channel
to `ama-phone` (the project's Alexa-app tool) through a local TCP socket: every AMA byte
crosses the virtual radio; the dialog logic is ama-phone's.

1. Wake word: "Alexa, what time is it?" played into the loopback -> START_SPEECH WAKEWORD,
   voice, the phone endpoints, then PROVIDE_SPEECH (multi-turn) -> a second turn.
2. Tap on the control socket -> START_SPEECH TAP, a second turn too.
3. Tap again; 1.5 s into the utterance the phone powers its radio off (phone.power_off_radio):
   the engine ends the stream, the phone sees the link close.
4. The phone comes back (same bond), a new RFCOMM channel, a tap: a fresh dialog, complete.
Checked: nothing duplicated (frames received <= frames the engine sent, every voice frame
inside an utterance, whole Opus frames only), nothing lost on completed utterances (the only
frames missing are those written into the dead link), no malformed bytes.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
import phone as ph  # noqa: E402
from labkit import LAB_OUT, LAB_RUN, REPO, Result, log  # noqa: E402

from bumble.core import PhysicalTransport  # noqa: E402
from bumble.keys import MemoryKeyStore  # noqa: E402

ph.assume_board_io_capability()

PORT = 47721


def config() -> Path:
    text = (REPO / "scripts" / "lab" / "engine-alsa.toml").read_text()
    text = text.replace('"../../', f'"{REPO}/')
    text = re.sub(r'(?m)^link = .*$', 'link = "rfcomm"', text, count=1)
    # Under TCG the first valid frame can take longer than the default 10 s.
    text = text.replace("[ama]\n", "[ama]\nhandshake_timeout_ms = 60000\n", 1)
    text = text.replace("[bluetooth]\nenabled = false\n", (
        '[bluetooth]\nenabled = true\nadapter = "hci0"\nstate_dir = "/run/lab/state"\n'
        'pairing_policy = "when-discoverable"\n'))
    p = LAB_RUN / "engine-rfcomm.toml"
    p.write_text(text)
    return p


def speech_file() -> Path:
    out = LAB_RUN / "speech-48k.wav"
    if not out.exists():
        subprocess.run(["sox", str(REPO / "data" / "demo-48k.wav"), "-r", "48000", "-c", "1",
                        "-b", "16", str(out), "pad", "1", "2"], check=True, timeout=120)
    return out


class AmaPhone:
    """`ama-phone` on the bridge's TCP port; its stdout lines kept; requests on its stdin."""

    def __init__(self, name: str):
        self.name, self.lines, self.proc = name, [], None
        self.log = open(LAB_OUT / f"{name}.log", "w")

    async def start(self, *args: str) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            str(labkit.PHONE), f"tcp://127.0.0.1:{PORT}", "--json", "--wait", "240", *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self.log)
        asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            text = line.decode(errors="replace").rstrip("\n")
            self.lines.append(text)
            self.log.write(text + "\n")
            self.log.flush()

    def count(self, needle: str) -> int:
        return sum(needle in l for l in self.lines)

    async def wait(self, what: str, pred, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return True
            if self.proc.returncode is not None:
                return bool(pred())
            await asyncio.sleep(0.2)
        log(f"{self.name}: timed out waiting for {what}")
        return False

    def send(self, req: str) -> None:
        self.proc.stdin.write(req.encode() + b"\n")

    async def report(self, timeout: float = 60) -> dict:
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        await asyncio.sleep(0.5)
        text = "\n".join(self.lines)
        start = text.rfind("\n{\n") if not text.startswith("{") else -1
        try:
            return json.loads(text[start + 1:] if start >= 0 else text[text.find("{"):])
        except ValueError:
            return {}


class Stalled(Exception):
    """A turn that never started or never ended: the rest of the dialog cannot run."""


async def two_turns(p, first):
    """Turns `first` and `first + 1` of a dialog: waits for each to start (START_SPEECH, or the
    phone's "provides speech" for the continuation), lets it speak 2.5 s, ends it, waits for
    its end. Raises Stalled when a turn does not start or end (bounded waits)."""
    for turn in (first, first + 1):
        if not await p.wait(f"turn {turn} to start",
                            lambda: p.count("START_SPEECH") + p.count("provides speech")
                            >= turn, 120):
            raise Stalled(f"turn {turn} did not start")
        await asyncio.sleep(2.5)
        p.send("e")
        if not await p.wait(f"turn {turn} to end", lambda: p.count(": ended") >= turn, 60):
            raise Stalled(f"turn {turn} did not end")


async def connect_rfcomm(res: Result, dev, board: str, label: str, bond: bool):
    t = time.monotonic()
    conn = await dev.connect(f"{board}/P", transport=PhysicalTransport.BR_EDR, timeout=60)
    await asyncio.wait_for(conn.authenticate(), 90)
    await asyncio.wait_for(conn.encrypt(), 60)
    if bond:
        res.figure("pairing_s", round(time.monotonic() - t, 1))
    t = time.monotonic()
    dlc, channel = await ph.open_ama_rfcomm(conn)
    res.figure(f"{label}rfcomm_open_s", round(time.monotonic() - t, 1))
    res.check(f"{label}RFCOMM channel to the AMA service (SDP channel {channel})", True)
    bridge = ph.DlcBridge(dlc, PORT)
    await bridge.start()
    return conn, bridge


async def first_link(res: Result, env: dict, ctl: labkit.Control, keys) -> dict:
    async with ph.phone(env["PHONE_ADDR"], le=False, classic=True, keystore=keys) as dev:
        # ama-phone first, retrying its connect until the bridge listens: under TCG, with the
        # engine's real-time threads busy, starting a process can take longer than the
        # engine's handshake timeout.
        p = AmaPhone("phone-1")
        await p.start("--endpoint-after", "0", "--multi-turn", "1", "--max-seconds", "900")
        conn, bridge = await connect_rfcomm(res, dev, env["BOARD_ADDR"], "", True)
        t = time.monotonic()
        got = await p.wait("device information", lambda: p.count("device:"), 60)
        res.figure("rfcomm_request_round_trip_ms", round((time.monotonic() - t) * 1000)
                   if got else None)
        res.check("version packet and device information over RFCOMM", got,
                  "\n".join(p.lines[:3]))
        # 1. wake word, two turns.
        wav = speech_file()
        plays = 0
        for plays in range(1, 6):
            player = await asyncio.create_subprocess_exec(
                "aplay", "-q", "-D", "plughw:Loopback,0,0", str(wav))
            while player.returncode is None and not p.count("START_SPEECH"):
                await asyncio.sleep(0.2)
            if p.count("START_SPEECH"):
                break
            await player.wait()
        res.figure("plays_until_wake", plays)
        await two_turns(p, 1)
        res.check("wake word over RFCOMM: START_SPEECH WAKEWORD and a second turn",
                  p.count("WAKEWORD") >= 1 and p.count("provides speech") >= 1,
                  " | ".join(l for l in p.lines if "START_SPEECH" in l or "ended" in l)[:300])
        # 2. tap, two turns.
        await asyncio.sleep(3)
        ctl.send({"command": "tap"})
        await two_turns(p, 3)
        res.check("tap over RFCOMM: START_SPEECH TAP and a second turn",
                  p.count("TAP") >= 1 and p.count("provides speech") >= 2,
                  " | ".join(l for l in p.lines if "START_SPEECH" in l or "ended" in l)[:300])
        # 3. link loss mid-utterance.
        await asyncio.sleep(3)
        ctl.send({"command": "tap"})
        ok = await p.wait("the third dialog", lambda: p.count("START_SPEECH") >= 3, 120)
        await asyncio.sleep(1.5)
        frames_before = bridge.bytes_in
        await ph.power_off_radio(dev)
        log(f"phone: radio off mid-utterance ({frames_before} bytes received so far)")
        closed = await p.wait("the link to close", lambda: p.proc.returncode is not None, 90)
        res.check("link loss mid-utterance: the phone's link closes", ok and closed,
                  p.lines[-1] if p.lines else "-")
        report = await p.report()
        await bridge.close()
    return report


async def second_link(res: Result, env: dict, ctl: labkit.Control, keys) -> dict:
    async with ph.phone(env["PHONE_ADDR"], le=False, classic=True, keystore=keys) as dev:
        p = AmaPhone("phone-2")
        await p.start("--endpoint-after", "2", "--utterances", "1", "--max-seconds", "400")
        conn, bridge = await connect_rfcomm(res, dev, env["BOARD_ADDR"], "reconnect: ",
                                            False)
        await p.wait("device information", lambda: p.count("device:"), 60)
        ctl.send({"command": "tap"})
        await p.wait("the utterance to end", lambda: p.count(": ended") >= 1, 120)
        report = await p.report(60)
        await asyncio.gather(asyncio.wait_for(conn.disconnect(), 20), return_exceptions=True)
        await bridge.close()
    return report


def sender_stats(text: str) -> dict:
    m = re.search(r"sender stopped: SessionStats \{([^}]*)\}", text)
    return {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", m[1])} if m else {}


def main() -> int:
    import logging
    logging.basicConfig(filename=str(LAB_OUT / "bumble.log"), level=logging.DEBUG if os.environ.get("LAB_TRACE") == "1" else logging.INFO,
                        format="%(asctime)s %(levelname)s:%(name)s:%(message)s")
    res = Result("ama-rfcomm")
    env = labkit.bt_env()
    (LAB_RUN / "state").mkdir(parents=True, exist_ok=True)
    engine = labkit.Engine("engine-rfcomm", ["run", "--config", str(config())],
                           env={"AMA_LOG": "info"})
    ctl, keys = None, MemoryKeyStore()
    try:
        ctl = labkit.board_ready(engine, "rfcomm", window_s=900, timeout=180)
        one = asyncio.run(asyncio.wait_for(first_link(res, env, ctl, keys), 1200))
        time.sleep(2)
        two = asyncio.run(asyncio.wait_for(second_link(res, env, ctl, keys), 600))
        utts = one.get("utterances", []) + two.get("utterances", [])
        res.figure("utterances", ",".join(f"{u['initiator']}:{u['voice_frames']}:"
                                          f"{u['ending']}" for u in utts))
        turns = [u for u in one.get("utterances", []) if u.get("continuation")]
        res.check("both second turns (PROVIDE_SPEECH) carried voice, none stopped by the board",
                  len(turns) == 2 and all(u["voice_frames"] > 0
                                          and "accessory_stop" not in json.dumps(u["ending"])
                                          for u in turns),
                  json.dumps([(u["dialog"], u["voice_frames"], u["ending"]) for u in turns]))
        cut = [u for u in one.get("utterances", []) if u.get("ending") == "link_closed"]
        res.check("the utterance cut by the link loss ended as link_closed", len(cut) == 1,
                  json.dumps([u.get("ending") for u in one.get("utterances", [])]))
        fresh = two.get("utterances", [])
        res.check("after reconnecting: a fresh TAP dialog, voice, endpointed",
                  len(fresh) == 1 and fresh[0]["initiator"] == 3
                  and fresh[0]["voice_frames"] > 0 and fresh[0]["ending"] == "phone_endpoint"
                  and all(fresh[0]["dialog"] != u["dialog"] for u in one.get("utterances", [])),
                  json.dumps(fresh)[:300])
        res.check("whole Opus frames only, no malformed bytes, no voice outside an utterance",
                  all(u["stray_bytes"] == 0 for u in utts)
                  and one.get("malformed", 1) == 0 and two.get("malformed", 1) == 0
                  and not any("outside an utterance" in l
                              for l in (LAB_OUT / "phone-1.log").read_text().splitlines()
                              + (LAB_OUT / "phone-2.log").read_text().splitlines()),
                  f"malformed {one.get('malformed')}/{two.get('malformed')}")
        res.check("engine still running", engine.alive())
    except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
        utts = []
    finally:
        if ctl:
            ctl.close()
        res.figure("engine_exit", engine.stop())
    stats = sender_stats(engine.log_text())
    received = sum(u["voice_frames"] for u in utts)
    sent = stats.get("voice_frames_out")
    res.figure("voice_frames_sent", sent)
    res.figure("voice_frames_received", received)
    res.check("nothing duplicated: frames received <= frames sent, no sequence gap",
              sent is not None and received <= sent and stats.get("seq_gaps", 1) == 0
              and stats.get("buffer_overflow_dropped", 1) == 0, json.dumps(stats))
    if sent is not None:
        res.figure("voice_frames_lost_in_link_loss", sent - received)
    for line in [l for l in engine.log_text().splitlines() if "ama:" in l][-8:]:
        res.note("engine: " + line[-200:])
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
