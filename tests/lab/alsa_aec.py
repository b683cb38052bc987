"""Echo cancellation with the reference from a second capture device, on snd-aloop (issue 9).

    /usr/bin/python3 tests/lab/alsa_aec.py

Runs in the lab VM on QEMU's instruction-count clock (scripts/lab/run.sh --icount): under plain
TCG the canceller alone takes longer than the 10 ms period it processes.

The board: `ama-engine run` (scripts/lab/engine-alsa.toml plus `[aec] reference = "device"`)
captures the microphone from hw:Loopback,1,0 and the echo reference, what the speaker plays,
from hw:Loopback,1,1: two capture devices, read as a board reads its microphone and its
loopback. The speaker: aplay plays a 2-channel file through scripts/lab/asound-aec.conf, whose
`multi` PCM sends channel 0 (the microphone signal) to hw:Loopback,0,0 and channel 1 (the
programme as played) to hw:Loopback,0,1, both substreams linked so that they start together.

The file, made here with sox from the generated test audio (data/aec-long, data/demo-48k.wav):
the microphone hears the programme through a synthetic room (scripts/gen-test-audio.d/room.bash,
RT60 150 ms) DESIGNED_DELAY_MS late, the microphone's noise floor, and at VOICE_AT_S (twice:
a synthetic take is found or missed depending on where the model's 30 ms steps fall) the
talker, "Alexa, what time is it?", MUSIC_TO_VOICE_DB (the music under the voice). Played up to
three times, until the wake word.

Checked, from the engine's own report (its metrics endpoint while it runs, its exit table):
both playback substreams started together (their trigger timestamps in /proc); the echo removed
while the music alone plays; the delay found (AEC3's and the GCC-PHAT worker's) near the
designed one; no clock drift between the two devices (one loopback timer); the reference device
without xruns, missing or dropped frames; the wake word found through the cancelled signal with
the music playing: a WAKEWORD stream at the phone (ama-phone over TCP). No check on a time.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labkit  # noqa: E402
from labkit import LAB_OUT, LAB_RUN, REPO, Result, log  # noqa: E402

CONFIG = REPO / "scripts" / "lab" / "engine-alsa.toml"
ASOUND = REPO / "scripts" / "lab" / "asound-aec.conf"
METRICS = "127.0.0.1:9464"
DESIGNED_DELAY_MS = 120
MUSIC_TO_VOICE_DB = -5
VOICE_AT_S = (18, 24)
LENGTH_S = 30
RATE = 16000  # the file is made at 16 kHz (the canceller's band), played at 48 kHz


def sox(*args) -> None:
    subprocess.run(["sox", "-R", "-V1", *map(str, args)], check=True, timeout=900)


def rms(path: Path) -> float:
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                         timeout=300).stderr
    return float(re.search(r"RMS\s+amplitude:\s*([\d.e+-]+)", out)[1])


def lab_audio() -> Path:
    """The 2-channel file aplay plays: (microphone, reference), 48 kHz S16."""
    w = LAB_RUN / "aec"
    w.mkdir(parents=True, exist_ok=True)
    f32 = ["-e", "floating-point", "-b", "32"]
    n = LENGTH_S * RATE
    prog, rir = w / "programme.wav", w / "rir.txt"
    sox(REPO / "data" / "aec-long" / "programme.wav", *f32, prog, "trim", "0", f"{n}s")
    subprocess.run(["bash", "-c", 'source scripts/gen-test-audio.d/room.bash && rir "$1" 16000 150 7',
                    "_", str(rir)], cwd=REPO, check=True, timeout=300)
    echo = w / "echo.wav"
    sox(prog, *f32, echo, "fir", rir, "pad", f"{DESIGNED_DELAY_MS / 1000:.3f}", "trim", "0", f"{n}s")
    # The talker: the clip's speech alone sets its level (the clip has silence around it).
    voice, speech = w / "voice.wav", w / "speech.wav"
    takes = []
    for i, at in enumerate(VOICE_AT_S):
        takes.append(w / f"take{i}.wav")
        sox(REPO / "data" / "demo-48k.wav", *f32, takes[-1], "rate", RATE, "pad", at, "trim",
            "0", f"{n}s")
    sox("-m", *takes, voice)
    sox(REPO / "data" / "demo-48k.wav", *f32, speech, "rate", RATE, "silence", "1", "0.05", "1%",
        "reverse", "silence", "1", "0.05", "1%", "reverse")
    noise = w / "noise.wav"
    sox(REPO / "data" / "aec-long" / "noise.wav", *f32, noise, "trim", "0", f"{n}s")
    echo_dbfs = -24.0
    g_echo = 10 ** (echo_dbfs / 20) / rms(echo)
    g_voice = 10 ** ((echo_dbfs - MUSIC_TO_VOICE_DB) / 20) / rms(speech)
    mic = w / "mic.wav"
    sox("-m", "-v", f"{g_echo:.6f}", echo, "-v", f"{g_voice:.6f}", voice, "-v", "1", noise, *f32,
        mic)
    out = w / "speaker.wav"
    sox("-M", mic, prog, "-b", "16", "-e", "signed-integer", out, "rate", "48000")
    return out


def engine_config() -> Path:
    """engine-alsa.toml with the echo canceller on a reference device and the metrics endpoint."""
    text = CONFIG.read_text().replace('"../../', f'"{REPO}/')
    text += ('\n[aec]\nenabled = true\nreference = "device"\n'
             'reference_device = "hw:Loopback,1,1"\n'
             f'\n[telemetry]\nlisten = "{METRICS}"\n')
    p = LAB_RUN / "engine-aec.toml"
    p.write_text(text)
    return p


def metrics() -> dict:
    """The engine's metrics endpoint as {name: value} (gauges and counters without labels)."""
    try:
        text = urllib.request.urlopen(f"http://{METRICS}/metrics", timeout=10).read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("#") and "{" not in parts[0]:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


def status(path: str) -> str:
    try:
        return Path(f"/proc/asound/Loopback/{path}/status").read_text()
    except OSError:
        return ""


def trigger_gap_us() -> float | None:
    """Microseconds between the trigger timestamps of the two playback substreams, read while
    both run (None until then)."""
    times = []
    for sub in ("sub0", "sub1"):
        st = status(f"pcm0p/{sub}")
        m = re.search(r"trigger_time:\s*(\d+)\.(\d+)", st)
        if "RUNNING" not in st or not m:
            return None
        times.append(int(m[1]) * 10**9 + int(m[2].ljust(9, "0")[:9]))
    return abs(times[0] - times[1]) / 1000


def phone_report(out: str) -> dict:
    try:  # the dialog as text, then the summary, pretty-printed from a line "{"
        start = out.rfind("\n{\n")
        return json.loads(out[start + 1:] if start >= 0 else out)
    except ValueError:
        return {}


def exit_table(log_text: str) -> dict:
    """Figures of the engine's exit table (the last one in its log)."""
    out = {}
    pats = {
        "periods": r"^periods (\d+)", "over_budget": r"over budget \([^)]*\) (\d+)",
        "removal_db": r"^echo: removal (\S+) dB", "aec3_delay_ms": r"  delay (\S+) ms",
        "gcc_phat_delay_ms": r"GCC-PHAT (\S+) ms", "drift_ppm": r"drift (\S+) ppm",
        "aec_median_us": r"^aec\s+\d+\s+\S+\s+(\S+)", "ref_missing": r"frames missing \(zeros\) (\d+)",
        "ref_dropped": r"^reference device:.*dropped (\d+)", "ref_xruns": r"^reference device:.*xruns (\d+)",
    }
    for key, pat in pats.items():
        found = re.findall(pat, log_text, re.M)
        if found:
            try:
                out[key] = float(found[-1])
            except ValueError:
                out[key] = None
    return out


def suite(res: Result) -> None:
    t = time.monotonic()
    wav = lab_audio()
    res.note(f"speaker file made in {time.monotonic() - t:.0f} s (guest time): programme "
             f"through the room {DESIGNED_DELAY_MS} ms late, the talker at {VOICE_AT_S} s "
             f"at {MUSIC_TO_VOICE_DB} dB music-to-voice")
    res.figure("designed_delay_ms", DESIGNED_DELAY_MS)
    engine = labkit.Engine("engine-aec", ["run", "--config", str(engine_config())],
                           env={"AMA_LOG": "info"})
    phone = player = None
    samples: list[dict] = []
    try:
        labkit.wait_until("the engine to open the capture", 120,
                          lambda: "capture open" in engine.log_text() or not engine.alive())
        res.check("engine opened hw:Loopback,1,0 (microphone) and hw:Loopback,1,1 (reference)",
                  engine.alive() and bool(labkit.wait_until(
                      "both capture substreams RUNNING", 30,
                      lambda: all("RUNNING" in status(f"pcm1c/{s}") for s in ("sub0", "sub1"))
                      or not engine.alive())) and engine.alive(),
                  engine.tail(3))
        if not engine.alive():
            return
        phone = subprocess.Popen(
            [str(labkit.PHONE), "tcp://127.0.0.1:47711", "--endpoint-after", "8",
             "--utterances", "1", "--max-seconds", "200", "--wait", "60", "--out",
             str(LAB_OUT / "phone"), "--json"],
            cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(LAB_OUT / "phone.log", "w"), text=True)
        time.sleep(5)
        env = {"ALSA_CONFIG_PATH": f"/usr/share/alsa/alsa.conf:{ASOUND}", "PATH": "/usr/bin:/bin"}
        gap, wake_play, wake_sample = None, None, None
        for play in range(1, 4):
            log(f"playing {wav.name} through aec_speaker (play {play})")
            player = subprocess.Popen(["aplay", "-q", "-D", "aec_speaker", str(wav)], env=env,
                                      stdin=subprocess.DEVNULL,
                                      stderr=open(LAB_OUT / f"aplay-{play}.log", "w"))
            t0 = time.monotonic()
            while player.poll() is None and engine.alive():
                if gap is None:
                    gap = trigger_gap_us()
                m = metrics()
                m.update(t=time.monotonic() - t0, play=play)
                samples.append(m)
                if wake_play is None and "START_SPEECH" in engine.log_text():
                    wake_play, wake_sample = play, m
                time.sleep(0.5)
            res.check(f"aplay through the multi PCM (play {play}) exits 0",
                      player.returncode == 0,
                      f"exit {player.returncode}: "
                      + (LAB_OUT / f"aplay-{play}.log").read_text()[-200:])
            if ("START_SPEECH" in engine.log_text() or not engine.alive()
                    or player.returncode != 0):
                break
        res.figure("plays_until_wake", wake_play)
        res.figure("substream_start_gap_us", gap)
        res.check("both playback substreams started together (trigger times < 1 ms apart)",
                  gap is not None and gap < 1000, f"{gap} us")

        # Echo alone, once the canceller has converged: the last 6 s before the talker.
        first = VOICE_AT_S[0]
        quiet = [s for s in samples if s["play"] == 1 and first - 6 <= s["t"] < first]
        removal = [s["ama_engine_aec_echo_removal_db"] for s in quiet
                   if "ama_engine_aec_echo_removal_db" in s]
        if removal:
            res.figure("removal_db_median", round(statistics.median(removal), 1))
            res.figure("removal_db_range", f"{min(removal):.1f}-{max(removal):.1f}")
        res.check("echo removed while the music alone plays: median >= 20 dB (metrics)",
                  bool(removal) and statistics.median(removal) >= 20,
                  f"{len(removal)} readings {first - 6}-{first} s: {removal}")
        last = quiet[-1] if quiet else {}
        for key, name in (("ama_engine_aec_delay_ms", "AEC3"),
                          ("ama_engine_aec_gcc_phat_delay_ms", "GCC-PHAT")):
            d = last.get(key)
            res.figure(f"delay_{name.lower().replace('-', '_')}_ms", None if d is None else round(d, 1))
            res.check(f"{name} delay within 30 ms of the designed {DESIGNED_DELAY_MS} ms "
                      "(metrics, before the talker)",
                      d is not None and abs(d - DESIGNED_DELAY_MS) <= 30, f"{d} ms")
        drift = last.get("ama_engine_aec_drift_ppm")
        res.figure("drift_ppm", None if drift is None else round(drift, 2))
        res.check("no clock drift between the two substreams: |drift| < 50 ppm (metrics)",
                  drift is not None and abs(drift) < 50, f"{drift} ppm")
        res.check("the reference played while the wake word was found",
                  bool(wake_sample) and wake_sample.get("ama_engine_aec_reference_playing") == 1,
                  json.dumps({k: v for k, v in (wake_sample or {}).items()
                              if "reference" in k or k in ("t", "play")}))

        try:
            out, _ = phone.communicate(timeout=200)
        except subprocess.TimeoutExpired:
            phone.kill()
            out, _ = phone.communicate()
        utts = phone_report(out).get("utterances", [])
        ww = [u for u in utts if u.get("initiator") == 4]
        res.check("a wake-word stream reached the phone (initiator WAKEWORD) over the music",
                  bool(ww), json.dumps(utts)[:300] or out[-300:])
        if ww:
            res.figure("voice_frames", ww[0].get("voice_frames"))
            res.figure("wake_start_index", (ww[0].get("wake") or [None])[0])
            res.check("whole Opus frames only", ww[0].get("stray_bytes") == 0,
                      f"stray {ww[0].get('stray_bytes')}")
    finally:
        if phone and phone.poll() is None:
            phone.kill()
        if player and player.poll() is None:
            player.kill()
        rc = engine.stop()
        (LAB_OUT / "metrics.json").write_text(json.dumps(samples, indent=1))
    res.check("engine exits 0 on SIGTERM", rc == 0, f"exit {rc}: {engine.tail(3)}")
    text = engine.log_text()
    table = exit_table(text)
    for line in text.splitlines():
        if line.startswith(("periods ", "echo: ", "reference device: ", "aec ")):
            res.note("engine table: " + line)
    for key in ("periods", "over_budget", "aec_median_us", "removal_db", "aec3_delay_ms",
                "gcc_phat_delay_ms", "drift_ppm"):
        if key in table:
            res.figure(f"exit_{key}", table[key])
    res.check("the exit table's echo line gives the GCC-PHAT delay",
              table.get("gcc_phat_delay_ms") is not None, str(table))
    final = next((s for s in reversed(samples) if "ama_engine_periods_total" in s), {})
    ref = {k: final.get(f"ama_engine_reference_device_{k}_total") for k in
           ("xruns", "missing_frames", "dropped_frames")}
    ref.update({f"exit_{k}": table.get(f"ref_{k}", 0.0) for k in ("xruns", "missing", "dropped")})
    res.check("reference device: no xrun, no missing or dropped frame (metrics, exit table)",
              all(v == 0 for v in ref.values()), json.dumps(ref))


def main() -> int:
    res = Result("alsa-aec")
    try:
        suite(res)
    except Exception as e:  # noqa: BLE001
        res.check("suite ran to the end", False, f"{type(e).__name__}: {e}")
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
