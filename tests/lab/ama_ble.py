"""AMA over BLE suite (issue 13, suite 4 additions) on real bluetoothd in the lab VM.

    .venv-lab/bin/python tests/lab/ama_ble.py

The board: `ama-engine run` with scripts/lab/engine.toml (AMA over BLE, the RFCOMM profile
registered too for UPGRADE_TRANSPORT, the Bluetooth interface on hci0), capture from
snd-aloop (silence: the voice is Opus of silence, the framing is what is checked). The phone:
Bumble on hci1, dual mode (LE for GATT, BR/EDR for the upgrade), inside the pairing window.
The phone's AMA side is written here from the spec's tables (phone.py), sharing no code with
the engine.

0. The notify subscription (CCCD write) is refused before bonding (Insufficient Encryption)
   and accepted after.
1. An utterance over BLE: a tap on the control socket -> START_SPEECH; the phone accepts it,
   voice arrives cut into notifications of at most ATT MTU - 3 bytes; the phone rebuilds the
   frames (whole 80-byte Opus frames at 32 kbps) and endpoints after ~3 s. Figures: the
   negotiated MTU, notifications, voice bytes per second delivered.
2. UPGRADE_TRANSPORT(RFCOMM) over BLE -> connection_details = the board's BD_ADDR; the phone
   opens BR/EDR + RFCOMM (channel from SDP), gets the version packet there, sends
   SWITCH_TRANSPORT(RFCOMM) -> SUCCESS; a request and a tap utterance then go over RFCOMM.
   The phone closes its LE link before the BR/EDR leg (btvirt cannot authenticate BR/EDR
   while LE is up to the same device, see phone_side), so "nothing more on BLE after the
   switch" is not checked here.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
import phone as ph  # noqa: E402
from labkit import LAB_RUN, REPO, Result, log  # noqa: E402

from bumble.att import ATT_Error  # noqa: E402
from bumble.core import UUID, PhysicalTransport  # noqa: E402
from bumble.device import Peer  # noqa: E402
from bumble.hci import OwnAddressType  # noqa: E402
from bumble.pairing import PairingConfig, PairingDelegate  # noqa: E402

ph.assume_board_io_capability()

CONFIG = REPO / "scripts" / "lab" / "engine.toml"
CONTROL = LAB_RUN / "control.sock"
START_SPEECH, ENDPOINT_SPEECH, NOTIFY_SPEECH_STATE = 11, 13, 14
UPGRADE_TRANSPORT, SWITCH_TRANSPORT, RFCOMM, KEEP_ALIVE = 30, 31, 1, 55
OPUS_32K_FRAME = 80
SMALL_MTU = 64


class Link:
    """One AMA link seen from the phone: frames rebuilt, each with its arrival time."""

    def __init__(self, name: str, send):
        self.name, self._send = name, send
        self.reader = ph.FrameReader()
        self.times: list[float] = []
        self.event = asyncio.Event()
        self.keepalives = 0

    def feed(self, data: bytes) -> None:
        n = len(self.reader.frames)
        self.reader.feed(bytes(data))
        self.times += [time.monotonic()] * (len(self.reader.frames) - n)
        for stream, payload in self.reader.frames[n:]:
            # KeepAlive: either direction, answered SUCCESS (spec, "Commands").
            if stream == 0 and ph.command_of(payload) == KEEP_ALIVE \
                    and not ph.is_response(payload):
                self.keepalives += 1
                asyncio.get_running_loop().create_task(self.send(ph.reply(KEEP_ALIVE)))
        self.event.set()

    async def until(self, pred, timeout: float):
        end = time.monotonic() + timeout
        while True:
            v = pred()
            if v:
                return v
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.event.clear()
            try:
                await asyncio.wait_for(self.event.wait(), left)
            except asyncio.TimeoutError:
                return pred()

    def control(self, since: int = 0) -> list[bytes]:
        return [p for s, p in self.reader.frames[since:] if s == 0]

    async def send(self, envelope: bytes) -> None:
        await self._send(ph.control_frame(envelope))

    async def request(self, envelope: bytes, timeout: float = 60) -> tuple[bytes | None, int]:
        """Sends a request; the reply with its command, and the round trip in ms."""
        cmd, mark, t = ph.command_of(envelope), len(self.reader.frames), time.monotonic()
        await self.send(envelope)
        r = await self.until(lambda: next((c for c in self.control(mark) if ph.is_response(c)
                                           and ph.command_of(c) == cmd), None), timeout)
        return r, round((time.monotonic() - t) * 1000)

    async def utterance(self, ctl: labkit.Control, seconds: float) -> dict:
        """Tap, accept START_SPEECH, listen `seconds`, endpoint: what arrived."""
        mark = len(self.reader.frames)
        ctl.send({"command": "tap"})
        start = await self.until(lambda: next(
            (c for c in self.control(mark) if ph.command_of(c) == START_SPEECH
             and not ph.is_response(c)), None), 120)
        if start is None:
            return {"start": None}
        dialog = ph.dialog_of(start)
        await self.send(ph.reply(START_SPEECH, 0, ph.pb_msg(14, ph.pb_int(1, dialog))))
        await self.send(ph.envelope(NOTIFY_SPEECH_STATE, ph.pb_int(1, 1)))
        accepted = len(self.reader.frames)
        await asyncio.sleep(seconds)
        await self.send(ph.envelope(ENDPOINT_SPEECH, ph.pb_msg(1, ph.pb_int(1, dialog))))
        await asyncio.sleep(1.5)
        await self.send(ph.envelope(NOTIFY_SPEECH_STATE, ph.pb_int(1, 0)))
        idx = [i for i, (s, _) in enumerate(self.reader.frames) if s == 1 and i >= accepted]
        voice = [self.reader.frames[i][1] for i in idx]
        span = (self.times[idx[-1]] - self.times[idx[0]]) if len(idx) > 1 else 0
        return {"start": start, "dialog": dialog, "voice": voice,
                "bytes": sum(map(len, voice)), "span_s": span,
                "bytes_per_s": round(sum(map(len, voice[1:])) / span) if span else None}


async def phone_side(res: Result, env: dict, ctl: labkit.Control) -> None:
    board, me = env["BOARD_ADDR"], env["PHONE_ADDR"]
    async with ph.phone(me, le=True, classic=True) as dev:
        # A dual-mode phone: LE Secure Connections with cross-transport key derivation (the
        # link-key bit), so the BR/EDR link of the upgrade is authenticated by the derived
        # key, as with a real phone. The phone's ATT MTU is held at SMALL_MTU both ways
        # (bluetoothd, as a GATT client too, exchanges its own 517 otherwise), so an 80-byte
        # Opus frame must be cut into several notifications.
        KeyDistribution = PairingDelegate.KeyDistribution
        kd = (KeyDistribution.DISTRIBUTE_ENCRYPTION_KEY
              | KeyDistribution.DISTRIBUTE_IDENTITY_KEY | KeyDistribution.DISTRIBUTE_LINK_KEY)
        dev.pairing_config_factory = lambda _conn: PairingConfig(
            sc=True, mitm=False, bonding=True, delegate=PairingDelegate(
                io_capability=PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT,
                local_initiator_key_distribution=kd, local_responder_key_distribution=kd))
        dev.gatt_server.max_mtu = SMALL_MTU
        adv = await ph.scan_for_ama(dev, board, timeout=90)
        res.check("the board advertises AMA", adv is not None)
        if adv is None:
            return
        conn = await dev.connect(f"{board}/P", transport=PhysicalTransport.LE, timeout=60,
                                 own_address_type=OwnAddressType.PUBLIC)
        peer = Peer(conn)
        mtu = await peer.request_mtu(SMALL_MTU)
        await peer.discover_service(UUID(ph.AMA_SERVICE))
        svc = next(iter(peer.get_services_by_uuid(UUID(ph.AMA_SERVICE))))
        await svc.discover_characteristics()
        notify = next(iter(svc.get_characteristics_by_uuid(UUID(ph.AMA_NOTIFY))))
        write = next(iter(svc.get_characteristics_by_uuid(UUID(ph.AMA_WRITE))))
        try:
            await notify.subscribe(lambda _value: None)
            res.check("notify subscription refused before bonding", False,
                      "accepted on a plain link")
        except ATT_Error as e:
            res.check("notify subscription refused before bonding (Insufficient Encryption)",
                      e.error_code == ph.ATT_INSUFFICIENT_ENCRYPTION, e.error_name)
        t = time.monotonic()
        await asyncio.wait_for(conn.pair(), 120)
        res.figure("pairing_s", round(time.monotonic() - t, 1))

        async def ble_send(data: bytes) -> None:
            for i in range(0, len(data), mtu - 3):
                await write.write_value(data[i:i + mtu - 3], with_response=True)
        ble = Link("ble", ble_send)
        try:
            await notify.subscribe(ble.feed)
            res.check("notify subscription accepted after bonding", True)
        except ATT_Error as e:
            res.check("notify subscription accepted after bonding", False, e.error_name)
            return
        mtu = conn.att_mtu  # after both exchanges
        res.figure("att_mtu", mtu)
        ok = await ble.until(lambda: ble.reader.version is not None, 60)
        res.check("version packet over BLE", bool(ok))
        r, ms = await ble.request(ph.GET_DEVICE_INFORMATION)
        res.figure("ble_request_round_trip_ms", ms)
        res.check("GET_DEVICE_INFORMATION answered over BLE", r is not None)

        # 1. An utterance over BLE.
        u = await ble.utterance(ctl, 3.0)
        res.check("tap: START_SPEECH over BLE", u["start"] is not None)
        if u["start"] is None:
            return
        sizes = ble.reader.notifications
        res.figure("largest_notification", max(sizes))
        res.figure("ble_voice_frames", len(u["voice"]))
        res.figure("ble_voice_bytes_per_s", u["bytes_per_s"])
        res.check(f"every notification at most ATT MTU - 3 = {mtu - 3} bytes",
                  max(sizes) <= mtu - 3, f"largest {max(sizes)} of {len(sizes)}")
        res.check("voice frames were cut into several notifications (frame > MTU - 3)",
                  any(len(v) + 3 > mtu - 3 for v in u["voice"]),
                  f"voice frame lengths {sorted(set(len(v) for v in u['voice']))}")
        res.figure("ble_notifications", len(sizes))
        res.figure("ble_notification_sizes", ",".join(map(str, sorted(set(sizes))[-4:])))
        res.check("voice rebuilt into whole 80-byte Opus frames (32 kbps CBR, 20 ms)",
                  bool(u["voice"]) and all(len(v) % OPUS_32K_FRAME == 0 for v in u["voice"]),
                  f"{len(u['voice'])} voice frames, {u['bytes']} bytes, lengths "
                  f"{sorted(set(len(v) for v in u['voice']))}")
        # The VM's engine runs behind real time: voice still arrives after the endpoint.
        # Leftover bytes count only once the stream has gone quiet.
        t_end, seen = time.monotonic() + 60, None
        while time.monotonic() < t_end and seen != (len(ble.reader.frames), len(ble.reader.buf)):
            seen = (len(ble.reader.frames), len(ble.reader.buf))
            await asyncio.sleep(3)
        res.check("nothing left over in the phone's frame parser (stream quiet)",
                  not ble.reader.buf, f"{len(ble.reader.buf)} bytes")

        # 2. UPGRADE_TRANSPORT to RFCOMM.
        r, _ = await ble.request(ph.envelope(UPGRADE_TRANSPORT, ph.pb_int(1, RFCOMM)))
        ident = None
        for f, w, v in ph.pb_fields(r or b""):
            if f == 9:
                for f2, w2, v2 in ph.pb_fields(v):
                    if f2 == 8:
                        ident = next((x for g, _, x in ph.pb_fields(v2) if g == 1), None)
        want = bytes.fromhex(board.replace(":", ""))
        res.check("UPGRADE_TRANSPORT(RFCOMM): connection_details = the board's BD_ADDR",
                  ident == want, f"{ident.hex(':') if ident else None} vs {board}")
        # btvirt cannot authenticate a BR/EDR link while an LE link to the same device is up
        # (BlueZ 5.66's emulator, unchanged upstream): cmd_link_key_reply_complete looks the
        # connection up by address (match_bdaddr), finds the older LE one and sends
        # Authentication Complete for the LE handle, so the BR/EDR link's authentication never
        # completes and the board drops the idle link (seen: HCI_Authentication_Requested on
        # handle 0x002B, Authentication Complete on 0x002A, then Disconnection Complete 0x13).
        # So the phone closes its LE link before the BR/EDR leg; the switch with both links up
        # is not made in the lab.
        res.note("UPGRADE_TRANSPORT's BR/EDR leg runs with the LE link closed first: btvirt "
                 "completes BR/EDR authentication on the LE handle when both are up")
        await asyncio.wait_for(conn.disconnect(), 20)  # returns on Disconnection Complete
        t = time.monotonic()
        classic = await dev.connect(f"{board}/P", transport=PhysicalTransport.BR_EDR,
                                    timeout=60)
        await asyncio.wait_for(classic.authenticate(), 90)
        await asyncio.wait_for(classic.encrypt(), 60)
        dlc, channel = await ph.open_ama_rfcomm(classic)
        res.figure("upgrade_rfcomm_open_s", round(time.monotonic() - t, 1))

        async def rf_send(data: bytes) -> None:
            dlc.write(data)
        rf = Link("rfcomm", rf_send)
        dlc.sink = rf.feed
        ok = await rf.until(lambda: rf.reader.version is not None, 60)
        res.check(f"version packet on the new RFCOMM link (channel {channel})", bool(ok))
        r, _ = await rf.request(ph.envelope(SWITCH_TRANSPORT, ph.pb_int(1, RFCOMM)))
        err = next((x for f, _, v in ph.pb_fields(r or b"") if f == 9
                    for g, _, x in ph.pb_fields(v) if g == 1), 0)
        res.check("SWITCH_TRANSPORT(RFCOMM) answered SUCCESS on RFCOMM",
                  r is not None and err == 0, f"reply {r.hex() if r else None}")
        r, ms = await rf.request(ph.GET_DEVICE_INFORMATION)
        res.figure("rfcomm_request_round_trip_ms", ms)
        res.check("GET_DEVICE_INFORMATION answered over RFCOMM after the switch",
                  r is not None)
        u2 = await rf.utterance(ctl, 2.0)
        res.check("tap after the switch: START_SPEECH and voice over RFCOMM",
                  u2["start"] is not None and bool(u2.get("voice")),
                  f"{len(u2.get('voice') or [])} voice frames")
        res.figure("rfcomm_voice_bytes_per_s", u2.get("bytes_per_s"))
        await asyncio.gather(asyncio.wait_for(classic.disconnect(), 20),
                             return_exceptions=True)


def main() -> int:
    # Bumble's own log (HCI, SMP, RFCOMM) next to the engine's, for the BR/EDR leg.
    import logging
    logging.basicConfig(filename=str(labkit.LAB_OUT / "bumble.log"), level=logging.DEBUG if os.environ.get("LAB_TRACE") == "1" else logging.INFO,
                        format="%(asctime)s %(levelname)s:%(name)s:%(message)s")
    res = Result("ama-ble")
    env = labkit.bt_env()
    (LAB_RUN / "state").mkdir(parents=True, exist_ok=True)
    engine = labkit.Engine("engine-ama-ble", ["run", "--config", str(CONFIG)])
    ctl = None
    try:
        engine.wait_socket(CONTROL, timeout=120)
        ctl = labkit.Control(CONTROL)
        ctl.directive("EnterDiscoverableMode", {"durationInSeconds": 900})
        labkit.wait_until("Pairable", 60, lambda: labkit.bluez_prop(
            "/org/bluez/hci0", "org.bluez.Adapter1", "Pairable"))
        asyncio.run(asyncio.wait_for(phone_side(res, env, ctl), 900))
        res.check("engine still running", engine.alive())
    except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        if ctl:
            ctl.close()
        res.figure("engine_exit", engine.stop())
        for line in [l for l in engine.log_text().splitlines() if "ama:" in l][-8:]:
            res.note("engine: " + line[-200:])
        log(json.dumps(res.figures))
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
