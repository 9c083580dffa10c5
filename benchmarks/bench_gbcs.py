"""GBCS throughput: decode + verify the MAC of a CCS01 command, decode + verify the signature of a
CS03A1 command (RTDS 4.5.0 messages, RTDS test keystore). Last line of output is JSON.

Run: .venv/bin/python benchmarks/bench_gbcs.py [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    GeneralCiphering,
    Verdict,
    analyse,
    crypto,
    decode_message,
)
from emulator.codec.gbcs.verify import mac_key
from emulator.pki.keystore import DirectoryKeyStore

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
ACB = Eui64("90B3D51F30000002")


def _rate(fn: Callable[[], object], seconds: float) -> float:
    fn()  # warm caches (key files, asn1tools)
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    messages = {
        m["name"]: bytes.fromhex(m["hex"])
        for m in json.loads((DATA / "gbcs" / "rtds-4.5.0.json").read_text())["messages"]
    }
    ccs01 = messages["CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX"]
    cs03a1 = messages["CS03A1_8.7.1_SUCCESS_COMMAND_GBCS.HEX"]
    store = DirectoryKeyStore(DATA / "keystore")

    def ccs01_mac() -> None:
        a = analyse(ccs01, store, ACB)
        assert a.mac is Verdict.VALID

    def cs03a1_signature() -> None:
        a = analyse(cs03a1, store, ACB)
        assert a.signature is Verdict.VALID

    parsed = decode_message(ccs01)
    assert isinstance(parsed, GeneralCiphering)
    key = mac_key(parsed.apdu, store, ACB)
    assert key is not None

    def ccs01_mac_cached_key() -> None:
        m = decode_message(ccs01)
        assert isinstance(m, GeneralCiphering) and crypto.mac_matches(key, m)

    results = {
        "bench": "gbcs",
        "ccs01_decode_verify_mac_per_s": round(_rate(ccs01_mac, args.seconds), 1),
        "cs03a1_decode_verify_signature_per_s": round(_rate(cs03a1_signature, args.seconds), 1),
        "ccs01_decode_verify_mac_cached_key_per_s": round(
            _rate(ccs01_mac_cached_key, args.seconds), 1
        ),
        "envelope_decode_per_s": round(_rate(lambda: decode_message(ccs01), args.seconds), 1),
    }
    for k, v in results.items():
        if k != "bench":
            print(f"{k:45s} {v:>12,.1f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
