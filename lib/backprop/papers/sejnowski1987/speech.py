"""Hearing NETtalk: phoneme strings to sound through espeak-ng (a teaching tool, outside the core).

NETtalk's symbols (one per letter, ``-`` silent) and stress digits are turned
into espeak-ng's phoneme mnemonics inside ``[[ ]]`` (primary stress ``'``,
secondary ``,`` before the nucleus), spoken by the Debian program ``espeak-ng``
(voice en-us), and returned as samples for ``IPython.display.Audio``. The
original NETtalk drove a DECtalk synthesiser; espeak-ng is a free stand-in, so
the voice is not the one of the 1987 recordings.

Non-goals: prosody beyond lexical stress; any synthesiser but espeak-ng.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

# NETtalk symbol -> espeak-ng (English) phoneme mnemonic
ESPEAK = {
    "a": "A:", "@": "a", "^": "V", "x": "@", "c": "O:", "E": "E", "e": "eI", "I": "I", "i": "i:",
    "o": "oU", "u": "u:", "U": "U", "A": "aI", "W": "aU", "O": "OI", "R": "3:", "Y": "ju:", "+": "wA:",
    "p": "p", "b": "b", "t": "t", "d": "d", "k": "k", "g": "g", "m": "m", "n": "n", "G": "N",
    "f": "f", "v": "v", "T": "T", "D": "D", "s": "s", "z": "z", "S": "S", "Z": "Z", "C": "tS",
    "J": "dZ", "h": "h", "w": "w", "*": "w", "y": "j", "l": "l", "r": "r", "X": "ks", "#": "gz",
    "K": "kS", "!": "ts", "L": "@L", "M": "@m", "N": "@n", "-": "",
}
STRESS_MARK = {"1": "'", "2": ","}


def available() -> bool:
    """Whether the ``espeak-ng`` program is installed."""
    return shutil.which("espeak-ng") is not None


def to_espeak(phonemes: str, stress: str = "") -> str:
    """One word's letter-aligned phonemes (and stress) as espeak-ng phoneme mnemonics."""
    stress = stress or " " * len(phonemes)
    out = []
    for p, s in zip(phonemes, stress):
        sound = ESPEAK[p]
        if sound:
            out.append(STRESS_MARK.get(s, "") + sound)
    return "".join(out)


def passage(phonemes, stress=None) -> str:
    """Several words (lists of letter-aligned strings) as one espeak-ng input ``[[...]]``."""
    stress = stress or [""] * len(phonemes)
    return "[[" + " ".join(to_espeak(p, s) for p, s in zip(phonemes, stress)) + "]]"


def speak(text: str, voice: str = "en-us", speed: int = 140, rate: int = 8000) -> tuple[np.ndarray, int]:
    """Samples (float in [-1, 1]) and their rate for ``text`` spoken by espeak-ng, resampled to ``rate``."""
    if not available():
        raise RuntimeError("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)")
    done = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=True, timeout=60)
    with wave.open(io.BytesIO(done.stdout)) as w:
        native = w.getframerate()
        frames = w.readframes(w.getnframes())
    # espeak-ng's --stdout header may give a bogus length; the frames are 16-bit mono
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    if rate and rate < native:
        t_new = np.arange(int(len(samples) * rate / native)) / rate
        samples = np.interp(t_new, np.arange(len(samples)) / native, _lowpass(samples, native, rate / 2))
    else:
        rate = native
    return samples, rate


def _lowpass(x: np.ndarray, rate: int, cutoff: float) -> np.ndarray:
    """A windowed-sinc low-pass filter (so that resampling does not alias)."""
    taps = 63
    t = np.arange(taps) - taps // 2
    h = np.sinc(2 * cutoff / rate * t) * np.hamming(taps)
    return np.convolve(x, h / h.sum(), mode="same")
