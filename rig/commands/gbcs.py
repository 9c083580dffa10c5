"""`hil-rig gbcs ...`: look inside GBCS messages (decode, verify MACs and signatures)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import GbcsDecodeError, KeyStore, analyse
from emulator.codec.gbcs.describe import describe
from emulator.pki.keystore import DirectoryKeyStore
from rig.dcc.acb import RTDS_ACB

_HEX_NOISE = re.compile(r"[\s:,]|0x", re.IGNORECASE)


def _as_hex(text: str) -> bytes | None:
    digits = _HEX_NOISE.sub("", text)
    if not digits or len(digits) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
        return None
    return bytes.fromhex(digits)


def _is_file(arg: str) -> bool:
    try:
        return Path(arg).is_file()
    except OSError:  # e.g. a long hex string is "too long" as a file name
        return False


def _inputs(args: tuple[str, ...]) -> Iterator[tuple[str, bytes | None]]:
    """(label, message bytes or None if unreadable) for each message named on the command line.

    An argument is a file (binary: one message; text: one hex message per non-blank line, ``#``
    comments allowed), ``-`` for such text on stdin, or a hex string.
    """
    for arg in args:
        if arg == "-" or _is_file(arg):
            raw = sys.stdin.buffer.read() if arg == "-" else Path(arg).read_bytes()
            if raw[:1] in (b"\xdd", b"\xdf"):
                yield arg, raw
                continue
            text = raw.decode("ascii", "replace")
            lines = [
                ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
            ]
            for i, line in enumerate(lines, 1):
                yield f"{arg}:{i}", _as_hex(line)
        else:
            yield arg, _as_hex(arg)


def _record(data: bytes | None, keystore: KeyStore | None, acb: Eui64 | None) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "ok": False,
        "error": None,
        "message_code": None,
        "use_case": None,
        "cra": None,
        "originator": None,
        "recipient": None,
        "counter": None,
        "mac": None,
        "signature": None,
        "reencoded_equal": False,
    }
    if data is None:
        rec["error"] = "input is neither a file nor hex"
        return rec
    try:
        a = analyse(data, keystore, acb)
    except GbcsDecodeError as e:
        rec["error"] = str(e)
        return rec
    rec.update(
        ok=a.payload_error is None,
        error=None if a.payload_error is None else str(a.payload_error),
        message_code=a.message_code,
        use_case=a.use_case,
        cra=a.cra.name.lower(),
        originator=a.originator.hex,
        recipient=a.recipient.hex,
        counter=a.counter,
        mac=a.mac.value,
        signature=a.signature.value,
        reencoded_equal=a.reencoded_equal,
    )
    return rec


@click.group()
def gbcs() -> None:
    """Decode and verify GBCS messages."""


@gbcs.command()
@click.option(
    "--keystore",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="RTDS-layout keystore directory (<eui>-ka.pem, <eui>-ds.pem, <eui>-ka.key, ...).",
)
@click.option(
    "--acb",
    metavar="EUI",
    default=str(RTDS_ACB),
    show_default=True,
    help="EUI-64 of the DCC Access Control Broker (command MACs); the RTDS one, which the rig's "
    "DCC uses too, unless given.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message, one per line.")
@click.option(
    "--reveal-keys", is_flag=True, help="Show install codes and link keys carried in payloads."
)
@click.argument("inputs", nargs=-1, required=True, metavar="FILE_OR_HEX...")
def decode(
    keystore: Path | None,
    acb: str,
    as_json: bool,
    reveal_keys: bool,
    inputs: tuple[str, ...],
) -> None:
    """Decode GBCS messages given as files or hex; check MACs and signatures with --keystore.

    Exits 1 if any message does not decode. Private keys are used, never printed.
    """
    try:
        acb_eui = Eui64(acb)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--acb") from None
    store = DirectoryKeyStore(keystore) if keystore else None
    failed = False
    for label, data in _inputs(inputs):
        if as_json:
            rec = _record(data, store, acb_eui)
            failed |= not rec["ok"]
            click.echo(json.dumps(rec))
            continue
        click.echo(f"== {label if len(label) <= 48 else label[:40] + '...'}")
        if data is None:
            click.echo("error: input is neither a file nor hex")
            failed = True
            continue
        try:
            a = analyse(data, store, acb_eui)
        except GbcsDecodeError as e:
            click.echo(f"error: {e}")
            failed = True
            continue
        failed |= a.payload_error is not None
        click.echo("\n".join(describe(a, reveal_keys).lines()))
    if failed:
        sys.exit(1)
