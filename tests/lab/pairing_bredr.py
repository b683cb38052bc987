"""Pairing-agent suite, BR/EDR + A2DP (issue 14), on real bluetoothd in the lab VM.

    .venv-lab/bin/python tests/lab/pairing_bredr.py

The board: `ama-engine bluetooth --config scripts/lab/engine.toml` (the AVS Bluetooth
interface, its pairing agent and control socket) on hci0, with bluez-alsa's A2DP sink
(started by scripts/lab/guest-bt.sh --bluealsa). The phone: Bumble on hci1 (BR/EDR only,
NoInputNoOutput, bonding: Secure Simple Pairing just works), an A2DP source playing SBC.

1. closed: the board was never made discoverable: the phone cannot bond, AVDTP is not opened,
   nothing is paired in BlueZ, nothing in the engine's context or registry.
2. closed after a window: EnterDiscoverableMode then ExitDiscoverableMode: the same.
3. open: EnterDiscoverableMode; the phone bonds (link key stored), finds the A2DP sink in the
   board's SDP, opens AVDTP (bluetoothd asks the agent AuthorizeService), configures SBC,
   opens and starts the stream and plays a few seconds: BlueZ's MediaTransport1 goes active,
   the engine reports StreamingStarted for the phone's uniqueDeviceId (and StreamingEnded when
   the phone suspends), its context and registry list the phone.
4. re-pair, closed: the phone forgets the board (a fresh key store) and bonds again with the
   window closed (the board is connectable now: the bonded phone is on its accept list):
   refused.
5. re-pair, open: inside a new window the same phone bonds again and its audio flows, under
   the same uniqueDeviceId (the reference client's "no audio after re-pair").
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
import phone as ph  # noqa: E402
from labkit import LAB_RUN, REPO, Result, log  # noqa: E402

from bumble import avdtp  # noqa: E402
from bumble.a2dp import (  # noqa: E402
    A2DP_SBC_CODEC_TYPE, SbcMediaCodecInformation, SbcPacketSource, SbcParser,
)
from bumble.core import PhysicalTransport  # noqa: E402

ph.tolerate_mislabelled_avdtp_responses()
ph.assume_board_io_capability()

CONFIG = REPO / "scripts" / "lab" / "engine.toml"
CONTROL = LAB_RUN / "control.sock"
ADAPTER = "/org/bluez/hci0"
SBC_FILE = LAB_RUN / "tone.sbc"
PLAY_SECONDS = 4


def make_sbc() -> None:
    """A 44.1 kHz stereo tone as raw SBC frames (ffmpeg's native SBC encoder)."""
    if SBC_FILE.exists():
        return
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=440:sample_rate=44100:duration={PLAY_SECONDS + 2}",
                    "-ac", "2", "-c:a", "sbc", "-b:a", "229k", "-f", "sbc", str(SBC_FILE)],
                   check=True, timeout=120)


async def sbc_capabilities() -> avdtp.MediaCodecCapabilities:
    with open(SBC_FILE, "rb") as f:
        async def read(n):
            return f.read(n)
        async for frame in SbcParser(read).frames:
            break
    SI = SbcMediaCodecInformation
    return avdtp.MediaCodecCapabilities(
        media_type=avdtp.AVDTP_AUDIO_MEDIA_TYPE, media_codec_type=A2DP_SBC_CODEC_TYPE,
        media_codec_information=SI(
            sampling_frequency=SI.SamplingFrequency.from_int(frame.sampling_frequency),
            channel_mode=[SI.ChannelMode.MONO, SI.ChannelMode.DUAL_CHANNEL,
                          SI.ChannelMode.STEREO, SI.ChannelMode.JOINT_STEREO][frame.channel_mode],
            block_length={4: SI.BlockLength.BL_4, 8: SI.BlockLength.BL_8,
                          12: SI.BlockLength.BL_12, 16: SI.BlockLength.BL_16}[frame.block_count],
            subbands={4: SI.Subbands.S_4, 8: SI.Subbands.S_8}[frame.subband_count],
            allocation_method=[SI.AllocationMethod.LOUDNESS,
                               SI.AllocationMethod.SNR][frame.allocation_method],
            minimum_bitpool_value=2, maximum_bitpool_value=53))


def transports() -> dict:
    return {p: i["org.bluez.MediaTransport1"] for p, i in labkit.bluez_objects().items()
            if "org.bluez.MediaTransport1" in i}


async def attempt(res: Result, env: dict, label: str, expect_open: bool,
                  ctl: labkit.Control) -> None:
    """One phone session: connect, bond, then A2DP as far as the board lets it."""
    board, me = env["BOARD_ADDR"], env["PHONE_ADDR"]
    async with ph.phone(me, le=False, classic=True) as dev:
        t = time.monotonic()
        try:
            conn = await dev.connect(f"{board}/P", transport=PhysicalTransport.BR_EDR,
                                     timeout=60)
        except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001
            res.figure(f"{label}_connect", f"refused: {e}")
            res.check(f"{label}: no bond, no A2DP (the board does not accept the connection)",
                      not expect_open, f"{type(e).__name__}: {e}")
            return
        res.figure(f"{label}_connect_s", round(time.monotonic() - t, 1))
        t = time.monotonic()
        try:
            await asyncio.wait_for(conn.authenticate(), 90)
            await asyncio.wait_for(conn.encrypt(), 60)
            bond_error = None
        # A refused pairing can end in the link dropping, which Bumble reports by cancelling.
        except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001
            bond_error = f"{type(e).__name__}: {e}"
        pairing_s = round(time.monotonic() - t, 1)
        if not expect_open:
            res.check(f"{label}: bonding refused", bond_error is not None,
                      bond_error or f"bonded in {pairing_s} s")
            if bond_error is None:
                # Go as far as A2DP to show what the board would then allow.
                await _a2dp(res, label, conn, ctl, expect_open)
            await asyncio.gather(asyncio.wait_for(conn.disconnect(), 20),
                                 return_exceptions=True)
            return
        res.figure("pairing_s" if label == "open" else f"{label}_pairing_s", pairing_s)
        res.check(f"{label}: bonded (SSP just works, link key)", bond_error is None,
                  bond_error or f"{pairing_s} s")
        if bond_error is None:
            await _a2dp(res, label, conn, ctl, expect_open)
        await asyncio.gather(asyncio.wait_for(conn.disconnect(), 20), return_exceptions=True)


async def _a2dp(res: Result, label: str, conn, ctl: labkit.Control, expect_open: bool) -> None:
    version = await avdtp.find_avdtp_service_with_connection(conn)
    res.check(f"{label}: A2DP sink found in the board's SDP", version is not None,
              f"AVDTP {version}")
    if version is None:
        return
    t = time.monotonic()
    try:
        protocol = await asyncio.wait_for(avdtp.Protocol.connect(conn, version), 60)
    except Exception as e:  # noqa: BLE001
        res.check(f"{label}: AVDTP signalling channel opened", not expect_open,
                  f"refused: {type(e).__name__}: {e}")
        return
    res.check(f"{label}: AVDTP signalling channel opened", expect_open,
              f"{time.monotonic() - t:.1f} s")
    if not expect_open:
        return
    await protocol.discover_remote_endpoints()
    sink = protocol.find_remote_sink_by_codec(avdtp.AVDTP_AUDIO_MEDIA_TYPE, A2DP_SBC_CODEC_TYPE)
    res.check(f"{label}: SBC sink endpoint discovered", sink is not None,
              str([str(e) for e in protocol.remote_endpoints.values()])[:300])
    if sink is None:
        return
    with open(SBC_FILE, "rb") as f:
        async def read(n):
            return f.read(n)
        source = SbcPacketSource(read, protocol.l2cap_channel.peer_mtu)
        pump = avdtp.MediaPacketPump(source.packets)
        local = protocol.add_source(await sbc_capabilities(), pump)
        stream = await protocol.create_stream(local, sink)
        res.check(f"{label}: stream CONFIGURED (SBC)", True)
        labkit.wait_until("BlueZ's MediaTransport1 for the phone", 30, lambda: transports())
        mark = len(ctl.events())
        await stream.start()
        res.check(f"{label}: stream OPEN and STARTED", True)
        states = set()

        def active():
            for tr in transports().values():
                states.add(tr.get("State"))
            return "active" in states
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: labkit.wait_until("transport active", 30, active))
        except TimeoutError:
            pass
        res.check(f"{label}: BlueZ MediaTransport1 State active while audio flows",
                  "active" in states, f"states seen {sorted(s for s in states if s)}")
        try:
            started = await asyncio.get_running_loop().run_in_executor(
                None, lambda: ctl.wait_event("StreamingStarted", 30, since=mark))
            res.check(f"{label}: engine StreamingStarted for the phone", True,
                      json.dumps(started.get("payload")))
        except TimeoutError as e:
            res.check(f"{label}: engine StreamingStarted for the phone", False, str(e))
        await asyncio.sleep(PLAY_SECONDS / 2)
        await stream.stop()
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: ctl.wait_event("StreamingEnded", 30, since=mark))
            res.check(f"{label}: engine StreamingEnded after the phone suspends", True)
        except TimeoutError as e:
            res.check(f"{label}: engine StreamingEnded after the phone suspends", False, str(e))
        names = ctl.event_names()[mark:]
        res.check(f"{label}: StreamingStarted/Ended once each",
                  names.count("StreamingStarted") == 1 and names.count("StreamingEnded") == 1,
                  ",".join(names))
        await asyncio.gather(asyncio.wait_for(stream.close(), 20), return_exceptions=True)


def board_view(res: Result, env: dict, ctl: labkit.Control, label: str,
               expect_paired: bool) -> str | None:
    dev = labkit.bluez_device("hci0", env["PHONE_ADDR"])
    paired = bool(dev and dev.get("Paired"))
    devices = labkit.context_devices(ctl.request("context"))
    row = labkit.registry_row(CONFIG, env["PHONE_ADDR"])
    names = labkit.device_events(ctl.events(), row["uniqueDeviceId"] if row else "")
    if expect_paired:
        res.check(f"{label}: BlueZ has the phone paired", paired, json.dumps(dev)[:300])
        res.figure("bredr_trusted", bool(dev and dev.get("Trusted")))
        res.check(f"{label}: engine context lists the phone with a uniqueDeviceId",
                  len(devices) == 1 and bool(devices[0].get("uniqueDeviceId")),
                  json.dumps(devices))
        res.check(f"{label}: engine registry has the phone, paired, under the context's id",
                  bool(row and row["paired"] and devices
                       and row["uniqueDeviceId"] == devices[0].get("uniqueDeviceId")),
                  row["line"] if row else "not in `ama-engine devices`")
        res.check(f"{label}: AVS events about the phone consistent (no disconnect of a device "
                  "never reported connected)", labkit.events_consistent(names),
                  ",".join(names) or "none")
    else:
        res.check(f"{label}: nothing paired in BlueZ, context or registry",
                  not paired and not devices and not (row and row["paired"]),
                  f"Paired={paired} context={json.dumps(devices)} "
                  f"registry={row['line'] if row else None!r}")
        res.check(f"{label}: no AVS event names the phone", not names, ",".join(names))
    return row["uniqueDeviceId"] if row else None


def settings() -> str:
    out = subprocess.run(["btmgmt", "-i", "hci0", "info"], capture_output=True, text=True,
                         timeout=20).stdout
    return next((l.split(":", 1)[1].strip() for l in out.splitlines()
                 if "current settings" in l), "?")


def main() -> int:
    res = Result("pairing-bredr")
    env = labkit.bt_env()
    bt_mark = labkit.bluetoothd_log_len()
    make_sbc()
    (LAB_RUN / "state").mkdir(parents=True, exist_ok=True)
    engine = labkit.Engine("engine-bluetooth", ["bluetooth", "--config", str(CONFIG)])
    ctl = None
    try:
        engine.wait_socket(CONTROL, timeout=120)
        ctl = labkit.Control(CONTROL)
        time.sleep(1)
        res.note(f"hci0 before any window: {settings()}")
        asyncio.run(asyncio.wait_for(attempt(res, env, "closed", False, ctl), 300))
        board_view(res, env, ctl, "closed", False)

        ctl.directive("EnterDiscoverableMode", {"durationInSeconds": 600})
        labkit.wait_until("Pairable", 60, lambda: labkit.bluez_prop(
            ADAPTER, "org.bluez.Adapter1", "Pairable"))
        ctl.directive("ExitDiscoverableMode")
        labkit.wait_until("not Pairable", 60, lambda: not labkit.bluez_prop(
            ADAPTER, "org.bluez.Adapter1", "Pairable"))
        res.note(f"hci0 after a window closed: {settings()}")
        asyncio.run(asyncio.wait_for(attempt(res, env, "closed-after-window", False, ctl), 300))
        board_view(res, env, ctl, "closed-after-window", False)

        ctl.directive("EnterDiscoverableMode", {"durationInSeconds": 600})
        labkit.wait_until("Discoverable and Pairable", 60, lambda: labkit.bluez_prop(
            ADAPTER, "org.bluez.Adapter1", "Pairable") and labkit.bluez_prop(
            ADAPTER, "org.bluez.Adapter1", "Discoverable"))
        res.note(f"hci0 in the window: {settings()}")
        asyncio.run(asyncio.wait_for(attempt(res, env, "open", True, ctl), 300))
        first_id = board_view(res, env, ctl, "open", True)

        # The phone forgets the board (a fresh key store) and pairs again: refused outside the
        # window (the board is connectable now: a bonded device is on its accept list), then
        # accepted inside it, with audio, under the same uniqueDeviceId (the reference
        # client's "no audio after re-pair").
        ctl.directive("ExitDiscoverableMode")
        labkit.wait_until("not Pairable", 60, lambda: not labkit.bluez_prop(
            ADAPTER, "org.bluez.Adapter1", "Pairable"))
        res.note(f"hci0 with a bonded phone, window closed: {settings()}")
        asyncio.run(asyncio.wait_for(attempt(res, env, "repair-closed", False, ctl), 300))
        dev = labkit.bluez_device("hci0", env["PHONE_ADDR"])
        res.note(f"repair-closed: BlueZ keeps Paired={bool(dev and dev.get('Paired'))}")
        ctl.directive("EnterDiscoverableMode", {"durationInSeconds": 600})
        labkit.wait_until("Pairable", 60, lambda: labkit.bluez_prop(
            ADAPTER, "org.bluez.Adapter1", "Pairable"))
        mark = len(ctl.events())
        asyncio.run(asyncio.wait_for(attempt(res, env, "repair-open", True, ctl), 300))
        again_id = board_view(res, env, ctl, "repair-open", True)
        res.check("re-pair: the same uniqueDeviceId", bool(first_id) and first_id == again_id,
                  f"{first_id} -> {again_id}")
        started = [e for e in ctl.events()[mark:]
                   if e.get("header", {}).get("name") == "StreamingStarted"]
        res.check("re-pair: StreamingStarted names that id",
                  bool(started) and first_id in json.dumps(started[0].get("payload")),
                  json.dumps([e.get("payload") for e in started]))
        res.check("engine still running", engine.alive())
        for q in ph.QUIRKS:
            res.note("phone: " + q)
        res.figure("control_events", ",".join(ctl.event_names()) or "-")
    except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        for line in labkit.agent_lines(bt_mark)[-14:]:
            res.note("bluetoothd: " + line.split("]: ", 1)[-1])
        if ctl:
            ctl.close()
        res.figure("engine_exit", engine.stop())
        for line in [l for l in engine.log_text().splitlines()
                     if "agent" in l.lower() or "pair" in l.lower()][-8:]:
            res.note("engine: " + line[-200:])
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
