#!/usr/bin/env python3
"""Reference features: runs pymicro-features (the TFLite-Micro front end, PyPI) over 16 kHz
16-bit mono WAV files and prints, per file, one line per feature frame with the 40 raw
front-end values (the float features divided by 0.0390625, which is exact).

Usage: features_ref.py FILE.wav...   Output lines: "<file>\t<frame>\t<v0> ... <v39>"
"""
import sys
import wave

from pymicro_features import MicroFrontend

CHUNK = 160


def main() -> None:
    for path in sys.argv[1:]:
        with wave.open(path, "rb") as w:
            if w.getframerate() != 16000 or w.getsampwidth() != 2 or w.getnchannels() != 1:
                sys.exit(f"{path}: need 16 kHz 16-bit mono")
            audio = w.readframes(w.getnframes())
        fe = MicroFrontend()
        frame = 0
        for off in range(0, len(audio) - 2 * CHUNK + 1, 2 * CHUNK):
            out = fe.process_samples(audio[off : off + 2 * CHUNK])
            if not out.features:
                continue
            vals = " ".join(str(round(v / 0.0390625)) for v in out.features)
            print(f"{path}\t{frame}\t{vals}")
            frame += 1


if __name__ == "__main__":
    main()
