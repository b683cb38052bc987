"""ALSA suite (issue 13, suite 1) on the real kernel drivers in the lab VM.

    /usr/bin/python3 tests/lab/alsa.py

1. snd-aloop: `ama-engine run` (scripts/lab/engine-alsa.toml) captures hw:Loopback,1,0 while
   spoken "Alexa, what time is it?" is played into hw:Loopback,0,0; the wake word opens a stream that
   reaches `ama-phone` over TCP (WAKEWORD initiator, start index 8000, whole Opus
   frames, decodable). Meanwhile the engine is stopped with SIGSTOP for 200 ms (twice the
   100 ms buffer): a real kernel overrun, which must be counted and recovered from, the engine
   running on, nothing dropped on its rings.
   Ducking rides along: snd-dummy's Master is 12 dB down (amixer) while the stream is open,
   back after it and after the exit; a second engine is stopped with SIGTERM while its stream
   is still open: Master back to its level.
2. snd-dummy: the same engine on hw:Dummy for a few seconds: opens, captures, exits 0.
3. Device removal: while capturing from snd-aloop, the card is unbound from its driver
   (/sys/bus/platform/drivers/snd_aloop/unbind: the card is freed as on a hot unplug). The
   documented outcome: the capture counts as lost after MAX_FAILED_RECOVERIES failed
   recoveries, the engine exits non-zero naming the device: no hang.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
from labkit import LAB_OUT, LAB_RUN, REPO, Result, log  # noqa: E402

CONFIG = REPO / "scripts" / "lab" / "engine-alsa.toml"


def config_variant(name: str, **changes) -> Path:
    """engine-alsa.toml with some `key = value` lines replaced (first occurrence each)."""
    # Written under /run: relative paths (taken from the config file's directory) made absolute.
    text = CONFIG.read_text().replace('"../../', f'"{REPO}/')
    for key, value in changes.items():
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        if n == 0:
            text = text.replace("[audio]\n", f"[audio]\n{key} = {value}\n", 1)
    p = LAB_RUN / f"engine-{name}.toml"
    p.write_text(text)
    return p


DUCK_DB = 12


def with_ducking(path: Path) -> Path:
    """The config at `path` plus ducking of snd-dummy's Master while a stream is open."""
    path.write_text(path.read_text() + f'\n[aec]\nduck_db = {DUCK_DB}\nduck_card = "hw:Dummy"\n'
                    'duck_control = "Master"\n')
    return path


def master_db() -> float | None:
    """snd-dummy's Master level as amixer reads it (first channel), dB."""
    out = subprocess.run(["amixer", "-c", "Dummy", "sget", "Master"], capture_output=True,
                         text=True, timeout=30).stdout
    m = re.search(r"\[(-?\d+(?:\.\d+)?)dB\]", out)
    return float(m[1]) if m else None


def counters(log_text: str) -> dict:
    """The last status line the engine logged (frames, xruns, dropped, overruns)."""
    out = {}
    for line in log_text.splitlines():
        m = re.search(r"frames\s+(\d+).*over (\d+) xruns (\d+) dropped (\d+)", line)
        if m:
            out = {"frames": int(m[1]), "overruns": int(m[2]), "xruns": int(m[3]),
                   "dropped": int(m[4])}
    return out


def status_lines(log_text: str) -> int:
    return sum(1 for line in log_text.splitlines() if " xruns " in line and "frames" in line)


def pcm_state() -> str:
    """The kernel's state of the loopback capture substream."""
    try:
        st = Path("/proc/asound/Loopback/pcm1c/sub0/status").read_text()
    except OSError:
        return "?"
    m = re.search(r"state:\s*(\w+)", st)
    return m[1] if m else st.strip()[:40]


def periods(engine: labkit.Engine) -> int:
    """Periods read so far: the kernel's view of the capture (hw_ptr) through /proc."""
    try:
        st = Path("/proc/asound/Loopback/pcm1c/sub0/status").read_text()
    except OSError:
        return -1
    m = re.search(r"hw_ptr\s*:\s*(\d+)", st)
    return int(m[1]) // 480 if m else -1


def speech_file() -> Path:
    """The demo clip ("Alexa, what time is it?"), 48 kHz mono, 1 s of silence before and
    2 s after."""
    src = REPO / "data" / "demo-48k.wav"
    out = LAB_RUN / "speech-48k.wav"
    subprocess.run(["sox", str(src), "-r", "48000", "-c", "1", "-b", "16", str(out),
                    "pad", "1", "2"], check=True, timeout=120)
    return out


def play_until(engine: labkit.Engine, marker: str, tries: int = 5):
    """Plays the speech clip into the loopback until `marker` shows in the engine's log or the
    engine dies, at most `tries` times: the VM (TCG, sharing two cores) has stalls of its own
    that can eat into the word. Returns (plays, the last aplay process)."""
    wav = speech_file()
    plays, player = 0, None
    for plays in range(1, tries + 1):
        player = subprocess.Popen(["aplay", "-q", "-D", "plughw:Loopback,0,0", str(wav)],
                                  stdin=subprocess.DEVNULL)
        while player.poll() is None and marker not in engine.log_text():
            time.sleep(0.2)
        if marker in engine.log_text() or not engine.alive():
            break
    return plays, player


def suite_loopback(res: Result) -> None:
    phone_dir = LAB_OUT / "phone"
    # Ducking (issue 9) rides along: snd-dummy's Master is lowered while the stream is open.
    cfg = with_ducking(config_variant("loopback"))
    level = master_db()
    res.note(f"snd-dummy Master before the engine: {level} dB")
    engine = labkit.Engine("engine-alsa", ["run", "--config", str(cfg)],
                           env={"AMA_LOG": "info"})
    phone = None
    try:
        labkit.wait_until("the engine to open the capture", 120,
                          lambda: "capture open" in engine.log_text() or not engine.alive())
        res.check("engine opened hw:Loopback,1,0", engine.alive(), engine.tail(3))
        if not engine.alive():
            return
        phone_log = open(LAB_OUT / "phone.log", "w")
        phone = subprocess.Popen(
            [str(labkit.PHONE), "tcp://127.0.0.1:47711", "--endpoint-after", "8",
             "--utterances", "1", "--max-seconds", "150", "--wait", "60", "--out",
             str(phone_dir), "--json"],
            cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=phone_log,
            text=True)
        time.sleep(5)
        plays, player = play_until(engine, "START_SPEECH")
        res.figure("plays_until_wake", plays)
        # Inside the utterance (the phone endpoints 8 s after accepting it), right after a status
        # line (one every 5 s), so the lines before and after frame the stop.
        labkit.wait_until("the wake-word stream (START_SPEECH)", 90,
                          lambda: "START_SPEECH" in engine.log_text() or not engine.alive())
        labkit.wait_until("the duck", 20,
                          lambda: "volume lowered" in engine.log_text() or not engine.alive())
        ducked = master_db()
        res.check(f"ducking: Master {DUCK_DB} dB lower while the stream is open (amixer)",
                  level is not None and ducked is not None
                  and abs(ducked - (level - DUCK_DB)) < 0.5,
                  f"{level} -> {ducked} dB")
        n = status_lines(engine.log_text())
        labkit.wait_until("a status line", 20, lambda: status_lines(engine.log_text()) > n)
        before = counters(engine.log_text())
        os.kill(engine.proc.pid, signal.SIGSTOP)
        time.sleep(0.2)
        during = pcm_state()
        os.kill(engine.proc.pid, signal.SIGCONT)
        res.note("engine stopped with SIGSTOP for 200 ms during the utterance")
        res.check("the kernel marks the capture overrun while the engine is stopped",
                  during == "XRUN", f"/proc/asound/Loopback/pcm1c/sub0/status: state {during}")
        n = status_lines(engine.log_text())
        labkit.wait_until("a status line", 20, lambda: status_lines(engine.log_text()) > n)
        after = counters(engine.log_text())
        try:
            out, _ = phone.communicate(timeout=150)
        except subprocess.TimeoutExpired:
            phone.kill()
            out, _ = phone.communicate()
        if player:
            player.wait(120)
        labkit.wait_until("the restore", 30,
                          lambda: "volume restored" in engine.log_text() or not engine.alive())
        res.check("ducking: Master back to its level once the stream ended (amixer)",
                  master_db() == level, f"{level} -> {master_db()} dB")
        res.check("phone exited after its utterance", phone.returncode == 0,
                  f"exit {phone.returncode}")
        report = {}
        try:  # the dialog as text, then the summary, pretty-printed from a line "{"
            start = out.rfind("\n{\n")
            report = json.loads(out[start + 1:] if start >= 0 else out)
        except ValueError:
            res.note("phone output: " + out[-300:])
        utts = report.get("utterances", [])
        ww = [u for u in utts if u.get("initiator") == 4]
        res.check("a wake-word stream reached the phone (initiator WAKEWORD)", bool(ww),
                  json.dumps(utts)[:300])
        if ww:
            u = ww[0]
            res.figure("voice_frames", u.get("voice_frames"))
            # 8000 (500 ms pre-roll) on a machine that keeps up; under TCG the detector falls
            # seconds behind and the index comes out smaller: a figure, not a check (it
            # depends on speed), and a note when it is not 8000.
            wake = u.get("wake") or [None, None]
            res.figure("wake_start_index", wake[0])
            res.check("wake-word indices present (end after start)",
                      wake[0] is not None and wake[1] > wake[0], str(wake))
            if wake[0] != 8000:
                res.note(f"wake-word start index {wake[0]}, not 8000: the pre-roll was cut "
                         "(the detector far behind real time in the VM)")
            res.check("whole Opus frames only", u.get("stray_bytes") == 0,
                      f"stray {u.get('stray_bytes')}")
            f = u.get("file")
            if f and Path(f).exists():
                dec = subprocess.run(["opusinfo", f], capture_output=True, text=True,
                                     timeout=60)
                m = re.search(r"Playback length:\s*([\dm:.s]+)", dec.stdout)
                res.check("the utterance decodes (opusinfo)", dec.returncode == 0,
                          m[1] if m else dec.stdout[-200:])
        res.check("the 200 ms stop counted as a kernel xrun (status lines around it)",
                  after.get("xruns", 0) > before.get("xruns", 0),
                  f"xruns {before.get('xruns')} -> {after.get('xruns')} (TCG adds overruns "
                  f"of its own: over-budget periods {before.get('overruns')} -> "
                  f"{after.get('overruns')})")
        res.check("engine running on after the xrun", engine.alive())
        res.check("the engine recovered the PCM (RUNNING again)",
                  bool(labkit.wait_until("the capture RUNNING", 20,
                                         lambda: pcm_state() == "RUNNING")))
        # hw_ptr restarts from 0 at each recovery (and TCG causes some of its own): look for
        # two readings a second apart in the same run of the stream.
        advancing = ""
        for _ in range(5):
            p1 = periods(engine)
            time.sleep(1)
            p2 = periods(engine)
            if p2 > p1 >= 0 and pcm_state() == "RUNNING":
                advancing = f"{p1} -> {p2} periods in 1 s"
                break
        res.check("capture continues after the xrun (the kernel's hw_ptr advancing)",
                  bool(advancing), advancing or "not advancing in 5 tries")
    finally:
        if phone and phone.poll() is None:
            phone.kill()
        rc = engine.stop()
        res.check("engine exits 0 on SIGTERM", rc == 0, f"exit {rc}: {engine.tail(3)}")
        res.check("ducking: Master at its level after the engine's exit (amixer)",
                  master_db() == level, f"{level} -> {master_db()} dB")
        m = re.search(r"(?m)^periods .*$", engine.log_text())
        if m:
            for name in ("periods", "xruns", "dropped", "streams", "detections"):
                v = re.search(rf"\b{name} (\d+)", m[0])
                if v:
                    res.figure(f"alsa_{name}", int(v[1]))
            res.note("engine table: " + m[0])
            res.check("nothing dropped on the rings (engine table)", " dropped 0 " in m[0] + " ",
                      m[0])


def suite_duck_exit(res: Result) -> None:
    """Ducking restored on SIGTERM while the stream is still open (the phone never endpoints)."""
    # A long utterance cap: the stream must still be open when the signal comes.
    cfg = with_ducking(config_variant("duck-exit", max_utterance_ms="60000"))
    level = master_db()
    engine = labkit.Engine("engine-duck-exit", ["run", "--config", str(cfg)],
                           env={"AMA_LOG": "info"})
    phone = player = None
    try:
        labkit.wait_until("the engine to open the capture", 120,
                          lambda: "capture open" in engine.log_text() or not engine.alive())
        phone = subprocess.Popen(
            [str(labkit.PHONE), "tcp://127.0.0.1:47711", "--endpoint-after", "120",
             "--utterances", "1", "--max-seconds", "150", "--wait", "60", "--out",
             str(LAB_OUT / "phone-duck-exit")],
            cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(LAB_OUT / "phone-duck-exit.log", "w"))
        time.sleep(5)
        _, player = play_until(engine, "volume lowered")
        ducked = master_db()
        res.check("ducking (SIGTERM case): Master lowered while the stream is open",
                  "volume lowered" in engine.log_text() and ducked is not None
                  and level is not None and abs(ducked - (level - DUCK_DB)) < 0.5,
                  f"{level} -> {ducked} dB")
        res.check("ducking (SIGTERM case): the stream still open at the signal",
                  "cause=StreamEnded" not in engine.log_text(), engine.tail(2))
    finally:
        rc = engine.stop()
        if phone and phone.poll() is None:
            phone.kill()
        if player and player.poll() is None:
            player.kill()
    res.check("ducking: SIGTERM with the stream open exits 0 and restores Master (amixer)",
              rc == 0 and master_db() == level,
              f"exit {rc}, {level} -> {master_db()} dB; "
              + " | ".join(line[-90:] for line in engine.log_text().splitlines()
                           if "ducking" in line)[-400:])


def suite_dummy(res: Result) -> None:
    cfg = config_variant("dummy", device='"hw:Dummy"', link='"none"', max_seconds="3")
    engine = labkit.Engine("engine-dummy", ["run", "--config", str(cfg), "--out",
                                            str(LAB_OUT / "dummy")], env={"AMA_LOG": "info"})
    try:
        engine.proc.wait(120)
    except subprocess.TimeoutExpired:
        pass
    rc = engine.stop()
    text = engine.log_text()
    res.check("snd-dummy: captured and exited 0 after max_seconds", rc == 0,
              f"exit {rc}: {engine.tail(3)}")
    m = re.search(r"capture open.*", text)
    res.note("snd-dummy: " + (m[0][:200] if m else "no 'capture open' line"))


def suite_removal(res: Result) -> None:
    cfg = config_variant("removal", link='"none"')
    engine = labkit.Engine("engine-removal", ["run", "--config", str(cfg), "--out",
                                              str(LAB_OUT / "removal")],
                           env={"AMA_LOG": "info"})
    try:
        labkit.wait_until("the engine to open the capture", 120,
                          lambda: "capture open" in engine.log_text() or not engine.alive())
        time.sleep(3)
        unbind = Path("/sys/bus/platform/drivers/snd_aloop/unbind")
        t = time.monotonic()
        unbind.write_text("snd_aloop.0")
        res.note("snd-aloop's card unbound from its driver while capturing")
        try:
            engine.proc.wait(60)
            exited_s = round(time.monotonic() - t, 1)
        except subprocess.TimeoutExpired:
            exited_s = None
        res.check("device removal: the engine exits by itself (no hang)", exited_s is not None,
                  f"{exited_s} s" if exited_s is not None else "still running 60 s later")
        if exited_s is not None:
            res.figure("removal_exit_s", exited_s)
    finally:
        rc = engine.stop()
    text = engine.log_text()
    res.check("device removal: non-zero exit naming the lost device",
              rc not in (0, None) and "Loopback" in text and ("lost" in text.lower()
                                                              or "capture failed" in text),
              f"exit {rc}: {engine.tail(3)}")


def main() -> int:
    res = Result("alsa")
    try:
        suite_loopback(res)
        suite_duck_exit(res)
        suite_dummy(res)
        suite_removal(res)
    except Exception as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
