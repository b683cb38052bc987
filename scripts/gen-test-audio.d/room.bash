# Sourced by aec.sh and aec-long.sh (not run on its own: gen-test-audio.sh runs *.sh only).
#
# rir OUT.txt RATE RT60_MS SEED: a synthetic room's FIR coefficients at RATE: a unit direct
# path, 2 ms of nothing, then Gaussian-like noise decaying by 60 dB over RT60; the tail carries
# half the direct path's energy (a speaker and a microphone on one board: the direct coupling
# dominates). sox's `fir` treats the middle tap as the peak (it removes the delay of a
# linear-phase filter), so the response is preceded by as many zeros as it has taps: the
# direct path stays at lag 0.
rir() {
  awk -v fs="$2" -v t60="$3" -v seed="$4" 'BEGIN {
    srand(seed); n = int(t60 / 1000 * fs); a = sqrt(0.5 * 13.8 / n); gap = int(2 * fs / 1000)
    for (i = 0; i < n; i++) print 0
    print 1.0
    for (i = 1; i < n; i++) {
      if (i < gap) { print 0; continue }
      g = (rand() + rand() + rand() - 1.5) * 2
      printf "%.8f\n", a * g * exp(-6.9 * i / n)
    }
  }' > "$1"
}
