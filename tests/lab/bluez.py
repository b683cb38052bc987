"""BlueZ suite (issue 13, suite 2): the AVS Bluetooth directives on real bluetoothd.

    .venv-lab/bin/python tests/lab/bluez.py

The board: `ama-engine bluetooth --config scripts/lab/engine.toml` on hci0 with bluez-alsa's
A2DP sink (scripts/lab/guest-bt.sh --bluealsa), directives sent on its control socket as the
cloud would send them. The phone: Bumble on hci1, BR/EDR, discoverable and connectable,
named "Lab Phone", class of device "smartphone", with an A2DP source (SDP record + AVDTP
acceptor with an SBC source endpoint), so bluetoothd has a profile to connect.

1. ScanDevices: a ScanDevicesReport names the phone (friendly name, truncated MAC).
2. PairDevices with that id: the board pairs (SSP just works, initiated by the board),
   PairDevicesSucceeded, then the category rule connects it: ConnectByDeviceIdsSucceeded;
   BlueZ: Paired, Connected.
3. Engine restart: the registry and the context give the phone the same uniqueDeviceId.
4. DisconnectDevices -> DisconnectDevicesSucceeded (CLOUD), BlueZ Connected false.
5. ConnectByDeviceIds -> ConnectByDeviceIdsSucceeded (CLOUD), BlueZ Connected true.
6. Link loss: the phone powers its radio off (as a Linux host does: every link disconnected
   with reason 0x15, then HCI_Reset; btvirt emulates no supervision timeout, so a silent
   controller alone is never noticed): the board reports DisconnectDevicesSucceeded (DEVICE).
   Before that (suite 5), AVRCP: the phone presses play and pause; each reaches the control
   socket as an {"avrcp": ..} line naming the phone.
7. The phone comes back (same keys); ConnectByDeviceIds reconnects it; UnpairDevices while
   connected: DisconnectDevicesSucceeded then UnpairDevicesSucceeded; BlueZ forgets it, the
   context is empty.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
import phone as ph  # noqa: E402
from labkit import LAB_RUN, REPO, Result, log  # noqa: E402

from bumble import avc, avdtp, avrcp  # noqa: E402
from bumble.a2dp import (  # noqa: E402
    A2DP_SBC_CODEC_TYPE, SbcMediaCodecInformation, make_audio_source_service_sdp_records,
)
from bumble.keys import MemoryKeyStore  # noqa: E402

ph.tolerate_mislabelled_avdtp_responses()
ph.assume_board_io_capability()

CONFIG = REPO / "scripts" / "lab" / "engine.toml"
CONTROL = LAB_RUN / "control.sock"
PHONE_NAME = "Lab Phone"
SMARTPHONE = 0x5A020C  # class of device: phone, smartphone (+ audio, telephony services)


def sbc_source_capabilities() -> avdtp.MediaCodecCapabilities:
    SI = SbcMediaCodecInformation
    return avdtp.MediaCodecCapabilities(
        media_type=avdtp.AVDTP_AUDIO_MEDIA_TYPE, media_codec_type=A2DP_SBC_CODEC_TYPE,
        media_codec_information=SI(
            sampling_frequency=SI.SamplingFrequency.SF_44100 | SI.SamplingFrequency.SF_48000,
            channel_mode=SI.ChannelMode.JOINT_STEREO | SI.ChannelMode.STEREO,
            block_length=SI.BlockLength.BL_16, subbands=SI.Subbands.S_8,
            allocation_method=SI.AllocationMethod.LOUDNESS,
            minimum_bitpool_value=2, maximum_bitpool_value=53))


def setup_phone(dev) -> None:
    """Discoverable, connectable smartphone with an A2DP source bluetoothd can connect."""
    dev.class_of_device = SMARTPHONE
    dev.discoverable = True
    dev.connectable = True
    dev.sdp_service_records = {
        0x00010001: make_audio_source_service_sdp_records(0x00010001),
        # AVRCP controller: bluetoothd's target accepts the phone's AVCTP for it (suite 5).
        0x00010002: avrcp.ControllerServiceSdpRecord(0x00010002).to_service_attributes(),
    }
    listener = avdtp.Listener.for_device(dev)
    # AVRCP (both roles, like a phone): the board's Connect may open AVCTP itself.
    dev.lab_avrcp = avrcp.Protocol()
    dev.lab_avrcp.listen(dev)

    def on_avdtp(protocol):
        log("phone: AVDTP signalling opened by the board")
        protocol.add_source(sbc_source_capabilities(), None)
    listener.on(listener.EVENT_CONNECTION, on_avdtp)


def connected(mac: str) -> bool:
    d = labkit.bluez_device("hci0", mac)
    return bool(d and d.get("Connected"))


async def wait_event(ctl: labkit.Control, name: str, since: int, timeout: float = 90,
                     pred=None) -> dict | None:
    def find():
        for e in ctl.events()[since:]:
            if e.get("header", {}).get("name") == name and (pred is None or pred(e)):
                return e
        return None
    try:
        return await asyncio.to_thread(labkit.wait_until, f"the event {name}", timeout, find)
    except TimeoutError:
        return None


def names_ids(e: dict | None) -> str:
    return json.dumps(e.get("payload")) if e else "none"


class Suite:
    def __init__(self, res: Result, env: dict):
        self.res, self.env = res, env
        self.mac = env["PHONE_ADDR"]
        self.engine: labkit.Engine | None = None
        self.ctl: labkit.Control | None = None
        self.keys = MemoryKeyStore()
        self.uid: str | None = None

    def start_engine(self, label: str) -> None:
        self.engine = labkit.Engine(f"engine-{label}", ["bluetooth", "--config", str(CONFIG)])
        self.engine.wait_socket(CONTROL, timeout=120)
        self.ctl = labkit.Control(CONTROL)

    def stop_engine(self) -> int | None:
        if self.ctl:
            self.ctl.close()
        return self.engine.stop() if self.engine else None

    async def directive(self, name: str, payload: dict, expect: str, timeout: float = 90,
                        pred=None) -> tuple[dict | None, float]:
        mark = len(self.ctl.events())
        t = time.monotonic()
        self.ctl.directive(name, payload)
        e = await wait_event(self.ctl, expect, mark, timeout, pred)
        return e, round(time.monotonic() - t, 1)

    def ids(self) -> dict:
        return {"devices": [{"uniqueDeviceId": self.uid}]}

    async def scan_and_pair(self) -> bool:
        res, ctl = self.res, self.ctl

        def names_phone(e):
            for d in e.get("payload", {}).get("discoveredDevices", []):
                if d.get("friendlyName") == PHONE_NAME or (
                        d.get("truncatedMacAddress", "").endswith(self.mac[-5:])):
                    return True
            return False
        report, s = await self.directive("ScanDevices", {}, "ScanDevicesReport", 120,
                                         names_phone)
        res.figure("scan_report_s", s)
        entry = next((d for d in (report or {}).get("payload", {}).get("discoveredDevices", [])
                      if d.get("friendlyName") == PHONE_NAME
                      or d.get("truncatedMacAddress", "").endswith(self.mac[-5:])), None)
        res.check("ScanDevices: a ScanDevicesReport names the phone", entry is not None,
                  names_ids(report)[:300])
        if entry is None:
            return False
        res.check("the report masks the MAC (XX:XX:XX:XX:AB:CD)",
                  entry.get("truncatedMacAddress", "").startswith("XX:XX:XX:XX:")
                  and entry.get("truncatedMacAddress", "").endswith(self.mac[-5:]),
                  entry.get("truncatedMacAddress", "-"))
        self.uid = entry["uniqueDeviceId"]
        mark = len(ctl.events())
        ok, s = await self.directive("PairDevices", self.ids(), "PairDevicesSucceeded", 120)
        res.figure("pairing_s", s)
        res.check("PairDevices: PairDevicesSucceeded for the phone",
                  ok is not None and self.uid in names_ids(ok), names_ids(ok)[:300]
                  + f" events={','.join(ctl.event_names()[mark:])}")
        dev = labkit.bluez_device("hci0", self.mac)
        res.check("BlueZ: the phone is Paired (and Bonded)",
                  bool(dev and dev.get("Paired") and dev.get("Bonded")),
                  json.dumps({k: (dev or {}).get(k) for k in ("Paired", "Bonded", "Trusted",
                                                               "Connected", "Class")}))
        conn = await wait_event(ctl, "ConnectByDeviceIdsSucceeded", mark, 90)
        res.check("after pairing the category rule connects it: ConnectByDeviceIdsSucceeded",
                  conn is not None and self.uid in names_ids(conn), names_ids(conn))
        res.check("BlueZ: Connected after pairing", connected(self.mac))
        return ok is not None

    async def restart(self) -> None:
        res = self.res
        rc = await asyncio.to_thread(self.stop_engine)
        CONTROL.unlink(missing_ok=True)  # the next engine's, not the stale one, is waited for
        res.figure("engine_first_exit", rc)
        row = await asyncio.to_thread(labkit.registry_row, CONFIG, self.mac)
        res.check("registry after the engine stopped: the phone under the same id",
                  bool(row and row["uniqueDeviceId"] == self.uid), row["line"] if row else "-")
        await asyncio.to_thread(self.start_engine, "bluetooth-2")
        ctx = await asyncio.to_thread(self.ctl.request, "context")
        devices = labkit.context_devices(ctx)
        res.check("after the restart the context lists the phone under the same id",
                  any(d.get("uniqueDeviceId") == self.uid for d in devices), json.dumps(devices))

    async def disconnect_connect(self, label: str) -> None:
        res = self.res
        e, s = await self.directive("DisconnectDevices", self.ids(),
                                    "DisconnectDevicesSucceeded", 90)
        res.figure(f"{label}disconnect_s", s)
        res.check(f"{label}DisconnectDevices: DisconnectDevicesSucceeded (CLOUD) for the phone",
                  bool(e and self.uid in names_ids(e)
                       and e["payload"].get("requester") == "CLOUD"), names_ids(e))
        res.check(f"{label}BlueZ: not Connected after DisconnectDevices",
                  not connected(self.mac))
        await asyncio.sleep(2)
        e, s = await self.directive("ConnectByDeviceIds", self.ids(),
                                    "ConnectByDeviceIdsSucceeded", 90)
        res.figure(f"{label}connect_s", s)
        res.check(f"{label}ConnectByDeviceIds: ConnectByDeviceIdsSucceeded (CLOUD)",
                  bool(e and self.uid in names_ids(e)
                       and e["payload"].get("requester") == "CLOUD"), names_ids(e))
        res.check(f"{label}BlueZ: Connected after ConnectByDeviceIds", connected(self.mac))

    async def avrcp(self, dev) -> None:
        """Suite 5: the phone presses play and pause (AVRCP PASS THROUGH over AVCTP); the
        board's bluetoothd (AVRCP target) calls the engine's registered MPRIS player, which
        reports each to the control socket as {"avrcp": {"command", "device"}}."""
        res, ctl = self.res, self.ctl
        conn = next(iter(dev.connections.values()), None)
        if conn is None:
            res.check("AVRCP: the phone is connected", False)
            return
        mark = len(ctl.lines)
        proto = dev.lab_avrcp
        try:
            opener = "board"
            if proto.avctp_protocol is None:
                opener = "phone"
                await asyncio.wait_for(proto.connect(conn), 30)
            res.note(f"AVCTP opened by the {opener}")
            t = time.monotonic()
            for key in (avc.PassThroughFrame.OperationId.PLAY,
                        avc.PassThroughFrame.OperationId.PAUSE):
                await asyncio.wait_for(proto.send_key_event(key, True), 20)
                await asyncio.wait_for(proto.send_key_event(key, False), 20)
        except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001
            res.check("AVRCP: PLAY and PAUSE sent over AVCTP", False, f"{type(e).__name__}: {e}")
            return

        def seen():
            got = [l["avrcp"] for l in ctl.lines[mark:] if "avrcp" in l]
            return got if {g.get("command") for g in got} >= {"PLAY", "PAUSE"} else None
        try:
            got = await asyncio.to_thread(labkit.wait_until, "avrcp lines", 30, seen)
        except TimeoutError:
            got = [l["avrcp"] for l in ctl.lines[mark:] if "avrcp" in l]
        res.figure("avrcp_to_control_ms", round((time.monotonic() - t) * 1000))
        cmds = [g.get("command") for g in got or []]
        res.check("AVRCP PLAY then PAUSE from the phone reach the control socket, once each",
                  cmds == ["PLAY", "PAUSE"], json.dumps(got))
        res.check("the avrcp lines name the phone",
                  bool(got) and all((g.get("device") or {}).get("uniqueDeviceId") == self.uid
                                    for g in got), json.dumps(got)[:200])

    async def link_loss(self, dev) -> None:
        res, ctl = self.res, self.ctl
        mark = len(ctl.events())
        t = time.monotonic()
        # The phone turns its radio off (links dropped with reason 0x15, controller reset).
        await ph.power_off_radio(dev)
        e = await wait_event(ctl, "DisconnectDevicesSucceeded", mark, 60)
        res.figure("link_loss_report_s", round(time.monotonic() - t, 1))
        res.check("link loss (the phone powers its radio off): DisconnectDevicesSucceeded "
                  "(DEVICE)", bool(e and self.uid in names_ids(e)
                                   and e["payload"].get("requester") == "DEVICE"),
                  names_ids(e) + f" events={','.join(ctl.event_names()[mark:])}")
        res.check("BlueZ: not Connected after the link loss", not connected(self.mac))

    async def unpair_connected(self) -> None:
        res, ctl = self.res, self.ctl
        mark = len(ctl.events())
        e, s = await self.directive("UnpairDevices", self.ids(), "UnpairDevicesSucceeded", 90)
        res.figure("unpair_s", s)
        names = ctl.event_names()[mark:]
        res.check("UnpairDevices: UnpairDevicesSucceeded for the phone",
                  bool(e and self.uid in names_ids(e)), names_ids(e))
        res.check("UnpairDevices on a connected phone: DisconnectDevicesSucceeded first",
                  "DisconnectDevicesSucceeded" in names and "UnpairDevicesSucceeded" in names
                  and names.index("DisconnectDevicesSucceeded")
                  < names.index("UnpairDevicesSucceeded"), ",".join(names))
        dev = labkit.bluez_device("hci0", self.mac)
        res.check("BlueZ: the phone is no longer paired", not (dev and dev.get("Paired")),
                  json.dumps(dev)[:200] if dev else "device removed")
        devices = labkit.context_devices(await asyncio.to_thread(ctl.request, "context"))
        res.check("the context lists no paired device", not devices, json.dumps(devices))

    async def run(self) -> None:
        async with ph.phone(self.mac, le=False, classic=True, keystore=self.keys,
                            setup=setup_phone, name=PHONE_NAME) as dev:
            if not await self.scan_and_pair():
                return
            await self.restart()
            await self.disconnect_connect("")
            await self.avrcp(dev)
            await self.link_loss(dev)
        await asyncio.sleep(2)
        async with ph.phone(self.mac, le=False, classic=True, keystore=self.keys,
                            setup=setup_phone, name=PHONE_NAME):
            e, s = await self.directive("ConnectByDeviceIds", self.ids(),
                                        "ConnectByDeviceIdsSucceeded", 90)
            self.res.figure("reconnect_after_loss_s", s)
            self.res.check("after the link loss ConnectByDeviceIds reconnects the phone",
                           bool(e and self.uid in names_ids(e)), names_ids(e))
            await self.unpair_connected()


def main() -> int:
    res = Result("bluez")
    env = labkit.bt_env()
    bt_mark = labkit.bluetoothd_log_len()
    (LAB_RUN / "state").mkdir(parents=True, exist_ok=True)
    suite = Suite(res, env)
    try:
        suite.start_engine("bluetooth")
        asyncio.run(asyncio.wait_for(suite.run(), 900))
        res.check("engine still running", bool(suite.engine and suite.engine.alive()))
        res.figure("control_events", ",".join(suite.ctl.event_names()) or "-")
    except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        for line in labkit.agent_lines(bt_mark)[-10:]:
            res.note("bluetoothd: " + line.split("]: ", 1)[-1])
        res.figure("engine_exit", suite.stop_engine())
        if suite.engine:
            for line in suite.engine.log_text().splitlines()[-6:]:
                res.note("engine: " + line[-200:])
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
