"""Pairing-agent suite, BLE (issue 14), on real bluetoothd in the lab VM.

    .venv-lab/bin/python tests/lab/pairing_ble.py --window open|closed

The board: `ama-engine run` with scripts/lab/engine.toml (AMA over BLE + the AVS Bluetooth
interface on hci0). The phone: Bumble on hci1 (tests/lab/phone.py), NoInputNoOutput, bonding,
LE Secure Connections: a just-works pairing, as a phone's Alexa app gets.

--window open (the board is pairable: EnterDiscoverableMode through the control socket):
  the advertisement carries 0xFE03 service data; the phone connects, exchanges the ATT MTU,
  finds the AMA service; subscribing to the notify characteristic is refused before bonding
  (Insufficient Encryption: the CCCD requires encryption); the phone bonds; subscribing is then
  accepted; the version packet and, asked with GET_DEVICE_INFORMATION, the device information
  arrive as notifications of at most MTU - 3 bytes; BlueZ has the phone paired and bonded; the
  engine's context lists it with a uniqueDeviceId and its registry has it.
--window closed (no EnterDiscoverableMode): the same phone cannot bond, the CCCD write is
  still refused, nothing is paired in BlueZ, nothing is in the engine's context or registry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
import phone as ph  # noqa: E402
from labkit import LAB_RUN, REPO, Result, log  # noqa: E402

from bumble.att import ATT_Error  # noqa: E402
from bumble.core import UUID, PhysicalTransport, ProtocolError  # noqa: E402
from bumble.device import Peer  # noqa: E402
from bumble.hci import OwnAddressType  # noqa: E402

CONFIG = REPO / "scripts" / "lab" / "engine.toml"
CONTROL = LAB_RUN / "control.sock"
STATE = LAB_RUN / "state"


async def phone_side(res: Result, env: dict, window_open: bool) -> None:
    board, me = env["BOARD_ADDR"], env["PHONE_ADDR"]
    t0 = time.monotonic()
    async with ph.phone(me, le=True, classic=False) as dev:
        res.figure("phone_up_s", round(time.monotonic() - t0, 1))
        t = time.monotonic()
        adv = await ph.scan_for_ama(dev, board, timeout=90)
        res.check("advertising seen from hci1 with the 0xFE03 service", adv is not None,
                  json.dumps(adv) if adv else "no advertisement from the board in 90 s")
        if adv is None:
            return
        res.figure("advertisement_seen_s", round(time.monotonic() - t, 1))
        res.check("advertisement is connectable", adv["connectable"])

        t = time.monotonic()
        # Our public address on the air, as the identity address our SMP distributes: a random
        # address of the same value (Bumble's default) makes bluetoothd create a second device
        # object for the identity, on the same D-Bus path, which fails, and the keys are lost.
        conn = await dev.connect(f"{board}/P", transport=PhysicalTransport.LE, timeout=60,
                                 own_address_type=OwnAddressType.PUBLIC)
        res.figure("le_connect_s", round(time.monotonic() - t, 1))
        peer = Peer(conn)
        mtu = await peer.request_mtu(185)
        res.figure("att_mtu", mtu)
        res.check("ATT MTU exchanged", mtu > 23, f"MTU {mtu}")
        await peer.discover_service(UUID(ph.AMA_SERVICE))
        svc = next(iter(peer.get_services_by_uuid(UUID(ph.AMA_SERVICE))), None)
        res.check("AMA service 0xFE03 found", svc is not None)
        if svc is None:
            return
        await svc.discover_characteristics()
        notify = next(iter(svc.get_characteristics_by_uuid(UUID(ph.AMA_NOTIFY))), None)
        write = next(iter(svc.get_characteristics_by_uuid(UUID(ph.AMA_WRITE))), None)
        res.check("AMA write and notify characteristics found",
                  notify is not None and write is not None)
        if notify is None or write is None:
            return

        reader = ph.FrameReader()
        got = asyncio.Event()

        def on_notify(value: bytes) -> None:
            reader.feed(bytes(value))
            got.set()

        try:
            await notify.subscribe(on_notify)
            res.check("CCCD write refused before bonding", False, "accepted on a plain link")
        except ATT_Error as e:
            res.check("CCCD write refused before bonding (Insufficient Encryption)",
                      e.error_code == ph.ATT_INSUFFICIENT_ENCRYPTION, e.error_name)

        t = time.monotonic()
        pair_error = None
        try:
            await asyncio.wait_for(conn.pair(), 120)
        except (ProtocolError, asyncio.TimeoutError, Exception) as e:  # noqa: BLE001
            pair_error = f"{type(e).__name__}: {e}"
        pairing_s = round(time.monotonic() - t, 1)
        res.figure("pairing_s", pairing_s)
        if pair_error is None:
            res.figure("link", f"encrypted={conn.is_encrypted} "
                               f"key_size={getattr(conn, 'encryption_key_size', '?')}")

        if not window_open:
            res.check("bonding refused while the board is not pairable", pair_error is not None,
                      pair_error or f"bonded in {pairing_s} s")
            try:
                await notify.subscribe(on_notify)
                res.check("CCCD write still refused", False, "accepted")
            except ATT_Error as e:
                res.check("CCCD write still refused", True, e.error_name)
            with_timeout = asyncio.wait_for(conn.disconnect(), 20)
            await asyncio.gather(with_timeout, return_exceptions=True)
            return

        res.check("bonded inside the pairing window", pair_error is None,
                  pair_error or f"{pairing_s} s")
        if pair_error is not None:
            return
        try:
            await notify.subscribe(on_notify)
            res.check("CCCD write accepted after bonding", True)
        except ATT_Error as e:
            res.check("CCCD write accepted after bonding", False, e.error_name)
            return

        try:
            await asyncio.wait_for(_until(lambda: reader.version is not None, got), 60)
        except asyncio.TimeoutError:
            pass
        v = reader.version
        res.check("version packet notified: FE 03, 1.0, 800 / 5000, 12 zero bytes",
                  v is not None and v[:4] == b"\xfe\x03\x01\x00"
                  and int.from_bytes(v[4:6], "big") == 800
                  and int.from_bytes(v[6:8], "big") == 5000 and v[8:] == bytes(12),
                  v.hex(" ") if v else "nothing in 60 s")

        t = time.monotonic()
        await write.write_value(ph.control_frame(ph.GET_DEVICE_INFORMATION), with_response=True)
        try:
            await asyncio.wait_for(_until(lambda: any(s == 0 for s, _ in reader.frames), got), 60)
        except asyncio.TimeoutError:
            pass
        res.figure("ble_request_round_trip_ms", round((time.monotonic() - t) * 1000))
        ctrl = [p for s, p in reader.frames if s == 0]
        info = ph.decode_device_information(ctrl[0]) if ctrl else {}
        res.check("device information notified (GET_DEVICE_INFORMATION answered SUCCESS)",
                  info.get("command") == 20 and info.get("error_code") == 0
                  and info.get("name") == "Lab Board"
                  and info.get("serial_number") == "LAB-0001"
                  and 0 in info.get("supported_transports", [])
                  and 1 in info.get("supported_transports", []),
                  json.dumps(info))
        biggest = max(reader.notifications, default=0)
        res.figure("largest_notification", biggest)
        res.check("every notification at most MTU - 3", biggest <= mtu - 3,
                  f"{biggest} <= {mtu - 3}")
        await asyncio.gather(asyncio.wait_for(conn.disconnect(), 20), return_exceptions=True)


async def _until(pred, ev: asyncio.Event) -> None:
    while not pred():
        ev.clear()
        await ev.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", choices=["open", "closed"], required=True)
    args = ap.parse_args()
    window_open = args.window == "open"
    res = Result(f"pairing-ble-{args.window}")
    env = labkit.bt_env()
    bt_mark = labkit.bluetoothd_log_len()

    STATE.mkdir(parents=True, exist_ok=True)
    engine = labkit.Engine(f"engine-ble-{args.window}", ["run", "--config", str(CONFIG)])
    ctl = None
    try:
        t = time.monotonic()
        engine.wait_socket(CONTROL, timeout=120)
        res.figure("engine_ready_s", round(time.monotonic() - t, 1))
        ctl = labkit.Control(CONTROL)
        adapter = "/org/bluez/hci0"
        if window_open:
            ctl.directive("EnterDiscoverableMode", {"durationInSeconds": 600})
            labkit.wait_until("Discoverable and Pairable on hci0", 60, lambda:
                              labkit.bluez_prop(adapter, "org.bluez.Adapter1", "Discoverable")
                              and labkit.bluez_prop(adapter, "org.bluez.Adapter1", "Pairable"))
            res.check("EnterDiscoverableMode: BlueZ reports Discoverable and Pairable", True)
        else:
            time.sleep(2)
            res.check("not discoverable, not pairable (BlueZ)",
                      not labkit.bluez_prop(adapter, "org.bluez.Adapter1", "Pairable")
                      and not labkit.bluez_prop(adapter, "org.bluez.Adapter1", "Discoverable"))

        try:
            asyncio.run(asyncio.wait_for(phone_side(res, env, window_open), 420))
        except Exception as e:  # noqa: BLE001 - any failure of the phone side is a failed check
            res.check("phone side ran to the end", False, f"{type(e).__name__}: {e}")

        res.check("engine still running", engine.alive(), engine.tail(5) if not engine.alive() else "")
        dev = labkit.bluez_device("hci0", env["PHONE_ADDR"])
        paired = bool(dev and dev.get("Paired"))
        bonded = bool(dev and dev.get("Bonded"))
        ctx = ctl.request("context") if engine.alive() else []
        devices = labkit.context_devices(ctx)
        ids = [d.get("uniqueDeviceId") for d in devices]
        time.sleep(1)
        row = labkit.registry_row(CONFIG, env["PHONE_ADDR"])
        names = labkit.device_events(ctl.events(), row["uniqueDeviceId"] if row else "")
        if window_open:
            res.check("BlueZ: the phone is Paired and Bonded on hci0", paired and bonded,
                      f"Paired={paired} Bonded={bonded}")
            # The engine trusts the phone once BlueZ reports it Paired (its agent's reaction
            # to the property change), which can come after the phone side has finished.
            try:
                trusted = labkit.wait_until("Trusted", 15, lambda: (labkit.bluez_device(
                    "hci0", env["PHONE_ADDR"]) or {}).get("Trusted"))
            except TimeoutError:
                trusted = (labkit.bluez_device("hci0", env["PHONE_ADDR"]) or {}).get("Trusted")
            res.check("BlueZ: the phone is Trusted (the engine trusts a device it let pair)",
                      bool(trusted), f"Trusted={trusted}")
            res.check("engine context lists the phone with a uniqueDeviceId",
                      len(devices) == 1 and bool(ids[0]), json.dumps(devices))
            res.check("engine registry has the phone, paired, under the context's id",
                      bool(row and row["paired"] and ids and row["uniqueDeviceId"] == ids[0]),
                      row["line"] if row else "not in `ama-engine devices`")
        else:
            res.check("BlueZ: nothing paired", not paired and not bonded,
                      f"Paired={paired} Bonded={bonded}")
            res.check("engine context lists no paired device", not devices, json.dumps(devices))
            res.check("engine registry has no pairing for the phone",
                      not (row and row["paired"]), row["line"] if row else "not registered")
            if row:
                res.note("the registry gave the unpaired phone an id when BlueZ first reported "
                         "it (the reference's 'id on first sight'): " + row["line"])
            res.check("no AVS event names the unpaired phone", not names, ",".join(names))
        res.check("AVS events about the phone consistent (no disconnect of a device never "
                  "reported connected)", labkit.events_consistent(names),
                  ",".join(names) or "none")
        res.figure("control_events", ",".join(ctl.event_names()) or "-")
        for line in labkit.agent_lines(bt_mark)[-12:]:
            res.note("bluetoothd: " + line.split("]: ", 1)[-1])
    except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        if ctl:
            ctl.close()
        rc = engine.stop()
        res.figure("engine_exit", rc)
        agent = [l for l in engine.log_text().splitlines()
                 if "agent" in l.lower() or "pair" in l.lower()]
        for line in agent[-8:]:
            res.note("engine: " + line[-200:])
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
