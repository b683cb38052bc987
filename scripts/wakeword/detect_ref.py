#!/usr/bin/env python3
"""Reference detector: pymicro-wakeword (same model, same TFLite runtime) over 16 kHz 16-bit
mono WAV files, streaming 10 ms chunks exactly as its command line does, but running each file
to the end so every model step is reported.

Usage: detect_ref.py MODEL.json FILE.wav...
Output lines (tab-separated):
  P <file> <block> <probability>   one per model invocation; <block> is the 0-based index of
                                   the 160-sample block whose features completed the step
  D <file> <block> <mean>          the first detection in the file (mean > cutoff), as the
                                   reference CLI reports it
"""
import sys
import wave

from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures

CHUNK_BYTES = 320


def main() -> None:
    mww = MicroWakeWord.from_config(sys.argv[1])
    feats = MicroWakeWordFeatures()
    for path in sys.argv[2:]:
        with wave.open(path, "rb") as w:
            if w.getframerate() != 16000 or w.getsampwidth() != 2 or w.getnchannels() != 1:
                sys.exit(f"{path}: need 16 kHz 16-bit mono")
            audio = w.readframes(w.getnframes())
        detected = False
        for block, off in enumerate(range(0, len(audio) - CHUNK_BYTES + 1, CHUNK_BYTES)):
            for features in feats.process_streaming(audio[off : off + CHUNK_BYTES]):
                invoking = len(mww._features) == mww.stride - 1
                mean = mww.process_streaming_prob(features)
                if invoking:
                    print(f"P\t{path}\t{block}\t{mww._probabilities[-1]:.6f}")
                if (not detected) and mean is not None and mean > mww.probability_cutoff:
                    detected = True
                    print(f"D\t{path}\t{block}\t{mean:.6f}")
        mww.reset()
        feats.reset()


if __name__ == "__main__":
    main()
