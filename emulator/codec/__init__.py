"""Sans-IO codecs: bytes in, typed immutable objects out, and back, byte-exact.

Nothing here touches a socket, a clock or a global (DESIGN.md rule 2). Every decoder raises only
:class:`~emulator.codec.errors.DecodeError` (or a per-layer subclass), whatever the input.
"""
