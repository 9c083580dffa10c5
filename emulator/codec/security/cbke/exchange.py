"""A sans-IO Certificate-Based Key Establishment exchange (ZSE Annex C.3 and C.4.2.4).

One ``KeyEstablishment`` object per partner and attempt, in the h11 style: feed it the payload of
each Key Establishment cluster (0x0800) command the partner sends, send whatever ``Step.send`` it
hands back, and read ``link_key`` once ``state`` is ESTABLISHED. It never touches a socket, a clock
or a global; randomness comes from the ``rng`` it is given. The HanPort glue drives it and owns
the timeouts (the partner's EphemeralDataGenerateTime and ConfirmKeyGenerateTime are exposed).

The message flow (C.3.1.2.3, C.3.1.3; the initiator is normally the joining device, a client)::

    initiator                                      responder
      Initiate Key Establishment Request  ------->   (suite, times, cert U)
                                          <-------   Initiate Key Establishment Response (cert V)
      Ephemeral Data Request (QEU)        ------->
                                          <-------   Ephemeral Data Response (QEV)
      Confirm Key Data Request (MACU)     ------->
                                          <-------   Confirm Key Data Response (MACV)

Any side may send Terminate Key Establishment (status, wait time, suite) instead. Failures map to
the spec's statuses: an unsupported suite -> UNSUPPORTED_SUITE; a malformed payload, a point not
on the curve or a message out of turn -> BAD_MESSAGE; a certificate from another CA ->
UNKNOWN_ISSUER; a certificate that is otherwise unacceptable (wrong subject, bad point, bad
fields) -> INVALID_CERTIFICATE; a MAC that does not verify -> BAD_KEY_CONFIRM. The derived
KeyData only becomes ``link_key`` after the partner's MAC has verified, so a failed exchange
never leaves a half-installed key; and a responder that gets a Terminate after sending MACV (the
initiator rejected it) withdraws the key it had (``Step.status`` tells the driver to drop it).
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...eui64 import Eui64
from ...reader import Reader
from .backend import CurveBackend, default_backend
from .certificate import ImplicitCertificate, decode_certificate
from .curves import Curve, Point
from .ecmqv import shared_secret
from .ecqv import check_certificate, key_pair_matches
from .errors import CbkeDecodeError
from .kdf import DerivedKeys, derive_keys, macs_equal, macu, macv
from .suites import KeyEstablishmentStatus, KeyEstablishmentSuite, SuiteParams, suite_params

#: The 16-byte MACU / MACV of Confirm Key Data Request / Response (C.3.1.2.3.3, C.3.1.3.3).
MAC_LENGTH = 16
#: Default seconds we claim to need for ephemeral data and confirm key (the Annex C.5.2.1
#: example Initiate Key Establishment Request carries 3 and 6).
DEFAULT_EPHEMERAL_DATA_GENERATE_TIME = 3
DEFAULT_CONFIRM_KEY_GENERATE_TIME = 6
#: Default Wait Time of the Terminate Key Establishment commands we send, in seconds.
DEFAULT_TERMINATE_WAIT_TIME = 10


class KeyEstablishmentCommand(enum.IntEnum):
    """Command ids of the Key Establishment cluster (C.3.1.2.3 client, C.3.1.3 server).

    Requests (client to server) and responses (server to client) share the ids; the frame's
    direction tells "Initiate Key Establishment Request" from "... Response".
    """

    INITIATE_KEY_ESTABLISHMENT = 0x00
    EPHEMERAL_DATA = 0x01
    CONFIRM_KEY_DATA = 0x02
    TERMINATE_KEY_ESTABLISHMENT = 0x03


class Role(enum.Enum):
    INITIATOR = "initiator"
    RESPONDER = "responder"


class KeyEstablishmentState(enum.Enum):
    IDLE = "idle"
    AWAIT_INITIATE_RESPONSE = "await-initiate-response"
    AWAIT_EPHEMERAL_DATA_RESPONSE = "await-ephemeral-data-response"
    AWAIT_CONFIRM_KEY_RESPONSE = "await-confirm-key-response"
    AWAIT_INITIATE_REQUEST = "await-initiate-request"
    AWAIT_EPHEMERAL_DATA_REQUEST = "await-ephemeral-data-request"
    AWAIT_CONFIRM_KEY_REQUEST = "await-confirm-key-request"
    ESTABLISHED = "established"
    TERMINATED = "terminated"


# ---------------------------------------------------------------------- payloads


@dataclass(frozen=True, slots=True)
class InitiateKeyEstablishment:
    """Initiate Key Establishment Request / Response payload (C.3.1.2.3.1, C.3.1.3.1).

    KeyEstablishmentSuite (uint16 LE) | EphemeralDataGenerateTime (uint8) |
    ConfirmKeyGenerateTime (uint8) | Identity (the suite's certificate).
    """

    suite: int
    ephemeral_data_generate_time: int
    confirm_key_generate_time: int
    identity: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> InitiateKeyEstablishment:
        r = Reader(bytes(data), CbkeDecodeError)
        return cls(
            suite=r.u16("KeyEstablishmentSuite"),
            ephemeral_data_generate_time=r.u8("EphemeralDataGenerateTime"),
            confirm_key_generate_time=r.u8("ConfirmKeyGenerateTime"),
            identity=r.rest(),
        )

    def to_bytes(self) -> bytes:
        return (
            self.suite.to_bytes(2, "little")
            + bytes([self.ephemeral_data_generate_time, self.confirm_key_generate_time])
            + self.identity
        )


@dataclass(frozen=True, slots=True)
class TerminateKeyEstablishment:
    """Terminate Key Establishment payload (C.3.1.2.3.4, C.3.1.3.4).

    Status Code (uint8) | Wait Time (uint8, seconds) | KeyEstablishmentSuite (uint16 LE).
    """

    status: int
    wait_time: int
    suite: int

    @classmethod
    def from_bytes(cls, data: bytes) -> TerminateKeyEstablishment:
        r = Reader(bytes(data), CbkeDecodeError)
        value = cls(status=r.u8("Status"), wait_time=r.u8("WaitTime"), suite=r.u16("Suite"))
        r.expect_end("Terminate Key Establishment")
        return value

    def to_bytes(self) -> bytes:
        return bytes([self.status, self.wait_time]) + self.suite.to_bytes(2, "little")


@dataclass(frozen=True, slots=True)
class KeMessage:
    """One Key Establishment cluster command to send: its id and ZCL payload bytes."""

    command: KeyEstablishmentCommand
    payload: bytes


@dataclass(frozen=True, slots=True)
class Step:
    """What one call produced: a message to send, and whether the exchange ended.

    ``link_key`` is set only on the step that reached ESTABLISHED; ``status`` only on the step
    that ended it otherwise (our Terminate, or the partner's).
    """

    send: KeMessage | None = None
    link_key: bytes | None = field(default=None, repr=False)
    status: KeyEstablishmentStatus | None = None


def terminate_message(
    status: KeyEstablishmentStatus, suite: int, wait_time: int = DEFAULT_TERMINATE_WAIT_TIME
) -> KeMessage:
    """A Terminate Key Establishment to send outside any exchange object, e.g. NO_RESOURCES
    when a Trust Center is already busy with another partner (C.3.1.2.3.1)."""
    payload = TerminateKeyEstablishment(int(status), wait_time, suite).to_bytes()
    return KeMessage(KeyEstablishmentCommand.TERMINATE_KEY_ESTABLISHMENT, payload)


# ---------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    """A device's CBKE identity for one suite. The private key is test-only and never printed."""

    suite: KeyEstablishmentSuite
    certificate: bytes
    private_key: int = field(repr=False)
    ca_public_key: bytes

    @property
    def params(self) -> SuiteParams:
        return suite_params(self.suite)

    @property
    def decoded(self) -> ImplicitCertificate:
        return decode_certificate(self.suite, self.certificate)

    @property
    def subject(self) -> Eui64:
        return self.decoded.subject

    @property
    def issuer(self) -> bytes:
        return self.decoded.issuer

    def check(self, backend: CurveBackend | None = None) -> bool:
        """Whether the private key belongs to the certificate (catches corrupted credentials)."""
        return key_pair_matches(
            self.params, self.decoded, self.private_key, self.ca_public_key, backend
        )


def choose_suite(local: Iterable[int], peer_bitmap: int) -> KeyEstablishmentSuite | None:
    """The highest suite both sides support (C.3.1.1: the KeyEstablishmentSuite attributes)."""
    common = [KeyEstablishmentSuite(s) for s in local if s & peer_bitmap and s in (1, 2)]
    return max(common) if common else None


def suite_bitmap(credentials: Iterable[Credentials]) -> int:
    """The KeyEstablishmentSuite attribute value for the suites these credentials cover."""
    bitmap = 0
    for c in credentials:
        bitmap |= int(c.suite)
    return bitmap


# ---------------------------------------------------------------------- the exchange


class _Terminate(Exception):
    def __init__(self, status: KeyEstablishmentStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class KeyEstablishment:
    """One CBKE run with one partner, as initiator or responder. Not thread-safe; no IO."""

    def __init__(
        self,
        role: Role,
        credentials: Sequence[Credentials],
        partner: Eui64,
        *,
        suite: KeyEstablishmentSuite | None = None,
        rng: Callable[[int], bytes] = secrets.token_bytes,
        backend: CurveBackend | None = None,
        now: int | None = None,
        ephemeral_data_generate_time: int = DEFAULT_EPHEMERAL_DATA_GENERATE_TIME,
        confirm_key_generate_time: int = DEFAULT_CONFIRM_KEY_GENERATE_TIME,
        terminate_wait_time: int = DEFAULT_TERMINATE_WAIT_TIME,
        ephemeral_private_key: int | None = None,
    ) -> None:
        """``ephemeral_private_key`` fixes the ephemeral key (test vectors only)."""
        if not credentials:
            raise ValueError("no credentials")
        self.role = role
        self.partner = Eui64(partner)
        self._credentials = {KeyEstablishmentSuite(c.suite): c for c in credentials}
        self._rng = rng
        self._backend = backend or default_backend()
        self._now = now
        self._times = (ephemeral_data_generate_time, confirm_key_generate_time)
        self._wait_time = terminate_wait_time
        self._fixed_ephemeral = ephemeral_private_key
        if role is Role.INITIATOR:
            chosen = suite if suite is not None else max(self._credentials)
            if chosen not in self._credentials:
                raise ValueError(f"no credentials for {chosen!r}")
            self.suite: KeyEstablishmentSuite | None = chosen
            self.state = KeyEstablishmentState.IDLE
        else:
            self.suite = None
            self.state = KeyEstablishmentState.AWAIT_INITIATE_REQUEST
        self.status: KeyEstablishmentStatus | None = None
        self.reason = ""
        #: The partner's advertised times, for the driver's timeouts (None until known).
        self.peer_ephemeral_data_generate_time: int | None = None
        self.peer_confirm_key_generate_time: int | None = None
        self._link_key: bytes | None = None
        self._peer_static: Point | None = None
        self._ephemeral: tuple[int, Point, bytes] | None = None
        self._peer_ephemeral: bytes | None = None
        self._peer_ephemeral_point: Point | None = None
        self._keys: DerivedKeys | None = None

    # ------------------------------------------------------------------ public surface

    @classmethod
    def initiator(
        cls, credentials: Credentials | Sequence[Credentials], partner: Eui64, **kw: Any
    ) -> KeyEstablishment:
        """An initiator (normally the joining device); ``kw`` as for the constructor."""
        creds = [credentials] if isinstance(credentials, Credentials) else list(credentials)
        return cls(Role.INITIATOR, creds, partner, **kw)

    @classmethod
    def responder(
        cls, credentials: Credentials | Sequence[Credentials], partner: Eui64, **kw: Any
    ) -> KeyEstablishment:
        """A responder (normally the Trust Center), with credentials for each suite it offers."""
        creds = [credentials] if isinstance(credentials, Credentials) else list(credentials)
        return cls(Role.RESPONDER, creds, partner, **kw)

    @property
    def link_key(self) -> bytes | None:
        """KeyData, only once both MACs have verified (state ESTABLISHED)."""
        return self._link_key if self.state is KeyEstablishmentState.ESTABLISHED else None

    @property
    def supported_suites(self) -> int:
        """Our KeyEstablishmentSuite attribute value."""
        return suite_bitmap(self._credentials.values())

    def start(self) -> KeMessage:
        """The initiator's Initiate Key Establishment Request."""
        if self.role is not Role.INITIATOR or self.state is not KeyEstablishmentState.IDLE:
            raise RuntimeError(f"start() needs an idle initiator, not {self.role} in {self.state}")
        creds = self._own()
        self.state = KeyEstablishmentState.AWAIT_INITIATE_RESPONSE
        return self._initiate_message(creds)

    def receive(self, command: int, payload: bytes) -> Step:
        """Consume one command from the partner; return what to send and how it ended."""
        if command == KeyEstablishmentCommand.TERMINATE_KEY_ESTABLISHMENT:
            return self._on_terminate(payload)
        handler = self._handlers().get((self.state, command))
        if handler is None:
            return self._terminate(
                KeyEstablishmentStatus.BAD_MESSAGE,
                f"command {command:#04x} out of turn in state {self.state.value}",
            )
        try:
            return handler(payload)
        except _Terminate as t:
            return self._terminate(t.status, t.reason)
        except CbkeDecodeError as exc:
            return self._terminate(KeyEstablishmentStatus.BAD_MESSAGE, str(exc))

    # ------------------------------------------------------------------ handlers

    def _handlers(self) -> dict[tuple[KeyEstablishmentState, int], Callable[[bytes], Step]]:
        s, c = KeyEstablishmentState, KeyEstablishmentCommand
        return {
            (s.AWAIT_INITIATE_REQUEST, c.INITIATE_KEY_ESTABLISHMENT): self._on_initiate_request,
            (s.AWAIT_INITIATE_RESPONSE, c.INITIATE_KEY_ESTABLISHMENT): self._on_initiate_response,
            (s.AWAIT_EPHEMERAL_DATA_REQUEST, c.EPHEMERAL_DATA): self._on_ephemeral_request,
            (s.AWAIT_EPHEMERAL_DATA_RESPONSE, c.EPHEMERAL_DATA): self._on_ephemeral_response,
            (s.AWAIT_CONFIRM_KEY_REQUEST, c.CONFIRM_KEY_DATA): self._on_confirm_request,
            (s.AWAIT_CONFIRM_KEY_RESPONSE, c.CONFIRM_KEY_DATA): self._on_confirm_response,
        }

    def _on_initiate_request(self, payload: bytes) -> Step:
        """Responder, C.3.1.2.3.1: check suite and certificate, answer with our identity."""
        if len(payload) < 4:
            raise _Terminate(KeyEstablishmentStatus.BAD_MESSAGE, "short Initiate request")
        request = InitiateKeyEstablishment.from_bytes(payload)
        try:
            suite = KeyEstablishmentSuite(request.suite)
        except ValueError:
            suite = None
        self.suite = suite
        if suite is None or suite not in self._credentials:
            raise _Terminate(
                KeyEstablishmentStatus.UNSUPPORTED_SUITE, f"suite {request.suite:#06x}"
            )
        self._accept_identity(request)
        self.state = KeyEstablishmentState.AWAIT_EPHEMERAL_DATA_REQUEST
        return Step(
            send=KeMessage(
                KeyEstablishmentCommand.INITIATE_KEY_ESTABLISHMENT,
                self._initiate_message(self._own()).payload,
            )
        )

    def _on_initiate_response(self, payload: bytes) -> Step:
        """Initiator, C.3.1.3.1: check the responder's certificate, send QEU."""
        if len(payload) < 4:
            raise _Terminate(KeyEstablishmentStatus.BAD_MESSAGE, "short Initiate response")
        response = InitiateKeyEstablishment.from_bytes(payload)
        if response.suite != self.suite:
            raise _Terminate(
                KeyEstablishmentStatus.BAD_MESSAGE,
                f"response names suite {response.suite:#06x}, we asked for {self.suite!r}",
            )
        self._accept_identity(response)
        _, _, qeu = self._make_ephemeral()
        self.state = KeyEstablishmentState.AWAIT_EPHEMERAL_DATA_RESPONSE
        return Step(send=KeMessage(KeyEstablishmentCommand.EPHEMERAL_DATA, qeu))

    def _on_ephemeral_request(self, payload: bytes) -> Step:
        """Responder, C.3.1.2.3.2: take QEU, send QEV, derive the keys."""
        self._accept_peer_ephemeral(payload)
        _, _, qev = self._make_ephemeral()
        self._derive()
        self.state = KeyEstablishmentState.AWAIT_CONFIRM_KEY_REQUEST
        return Step(send=KeMessage(KeyEstablishmentCommand.EPHEMERAL_DATA, qev))

    def _on_ephemeral_response(self, payload: bytes) -> Step:
        """Initiator, C.3.1.3.2: take QEV, derive the keys, send MACU."""
        self._accept_peer_ephemeral(payload)
        keys = self._derive()
        qeu, qev = self._ephemerals()
        tag = macu(keys.mac_key, self._own().subject, self.partner, qeu, qev)
        self.state = KeyEstablishmentState.AWAIT_CONFIRM_KEY_RESPONSE
        return Step(send=KeMessage(KeyEstablishmentCommand.CONFIRM_KEY_DATA, tag))

    def _on_confirm_request(self, payload: bytes) -> Step:
        """Responder, C.3.1.2.3.3: verify MACU, answer MACV, install the key."""
        if len(payload) != MAC_LENGTH:
            raise _Terminate(KeyEstablishmentStatus.BAD_MESSAGE, "MACU is not 16 bytes")
        keys = self._require_keys()
        qeu, qev = self._ephemerals()
        initiator, responder = self.partner, self._own().subject
        if not macs_equal(payload, macu(keys.mac_key, initiator, responder, qeu, qev)):
            raise _Terminate(KeyEstablishmentStatus.BAD_KEY_CONFIRM, "MACU does not verify")
        tag = macv(keys.mac_key, initiator, responder, qeu, qev)
        self._establish(keys)
        return Step(
            send=KeMessage(KeyEstablishmentCommand.CONFIRM_KEY_DATA, tag), link_key=keys.key_data
        )

    def _on_confirm_response(self, payload: bytes) -> Step:
        """Initiator, C.3.1.3.3: verify MACV; the exchange is complete."""
        if len(payload) != MAC_LENGTH:
            raise _Terminate(KeyEstablishmentStatus.BAD_MESSAGE, "MACV is not 16 bytes")
        keys = self._require_keys()
        qeu, qev = self._ephemerals()
        expected = macv(keys.mac_key, self._own().subject, self.partner, qeu, qev)
        if not macs_equal(payload, expected):
            raise _Terminate(KeyEstablishmentStatus.BAD_KEY_CONFIRM, "MACV does not verify")
        self._establish(keys)
        return Step(link_key=keys.key_data)

    def _on_terminate(self, payload: bytes) -> Step:
        """The partner gave up: record its status, send nothing, keep no key (C.3.1.2.3.4)."""
        try:
            message = TerminateKeyEstablishment.from_bytes(payload)
            status: KeyEstablishmentStatus | None = KeyEstablishmentStatus(message.status)
            reason = f"partner terminated: status {message.status}, wait {message.wait_time} s"
        except (CbkeDecodeError, ValueError):
            status = KeyEstablishmentStatus.BAD_MESSAGE
            reason = f"partner terminated with an unreadable payload {payload.hex()}"
        if self.state is KeyEstablishmentState.ESTABLISHED and self.role is Role.INITIATOR:
            # The initiator speaks last: a Terminate after that is stray and changes nothing.
            return Step()
        # A responder has sent MACV and holds the key; a Terminate now means the initiator did
        # not accept MACV (BAD_KEY_CONFIRM), so the key is withdrawn: the driver must drop it.
        self._forget()
        self.state = KeyEstablishmentState.TERMINATED
        self.status = status
        self.reason = reason
        return Step(status=status)

    # ------------------------------------------------------------------ helpers

    def _own(self) -> Credentials:
        assert self.suite is not None
        return self._credentials[self.suite]

    def _params(self) -> SuiteParams:
        return self._own().params

    def _curve(self) -> Curve:
        return self._params().curve

    def _initiate_message(self, creds: Credentials) -> KeMessage:
        payload = InitiateKeyEstablishment(
            suite=int(creds.suite),
            ephemeral_data_generate_time=self._times[0],
            confirm_key_generate_time=self._times[1],
            identity=creds.certificate,
        ).to_bytes()
        return KeMessage(KeyEstablishmentCommand.INITIATE_KEY_ESTABLISHMENT, payload)

    def _accept_identity(self, message: InitiateKeyEstablishment) -> None:
        own = self._own()
        verdict = check_certificate(
            own.params,
            message.identity,
            issuer=own.issuer,
            ca_public_key=own.ca_public_key,
            subject=self.partner,
            now=self._now,
            backend=self._backend,
        )
        if verdict.status is not None:
            raise _Terminate(verdict.status, verdict.reason)
        self._peer_static = verdict.public_key
        self.peer_ephemeral_data_generate_time = message.ephemeral_data_generate_time
        self.peer_confirm_key_generate_time = message.confirm_key_generate_time

    def _accept_peer_ephemeral(self, payload: bytes) -> None:
        """QEU / QEV must be a compressed point of the suite's curve.

        Decision: a wrong length or a point not on the curve is BAD_MESSAGE (the payload is
        malformed); the spec names no more specific status for it.
        """
        curve = self._curve()
        if len(payload) != curve.point_length:
            raise _Terminate(
                KeyEstablishmentStatus.BAD_MESSAGE,
                f"ephemeral data is {len(payload)} bytes, {curve.name} needs {curve.point_length}",
            )
        # CbkeDecodeError -> BAD_MESSAGE
        self._peer_ephemeral_point = self._backend.decompress(curve, payload)
        self._peer_ephemeral = bytes(payload)

    def _make_ephemeral(self) -> tuple[int, Point, bytes]:
        curve = self._curve()
        d = self._fixed_ephemeral if self._fixed_ephemeral is not None else self._random_scalar()
        q = self._backend.multiply_base(curve, d)
        if q is None:
            raise ValueError("ephemeral private key is a multiple of n")
        self._ephemeral = (d, q, self._backend.compress(curve, q))
        return self._ephemeral

    def _random_scalar(self) -> int:
        curve = self._curve()
        bits = curve.n.bit_length()
        while True:
            d = int.from_bytes(self._rng(curve.field_length), "big") & ((1 << bits) - 1)
            if 0 < d < curve.n:
                return d

    def _ephemerals(self) -> tuple[bytes, bytes]:
        """(QEU, QEV) as sent."""
        assert self._ephemeral is not None and self._peer_ephemeral is not None
        own = self._ephemeral[2]
        if self.role is Role.INITIATOR:
            return own, self._peer_ephemeral
        return self._peer_ephemeral, own

    def _derive(self) -> DerivedKeys:
        assert self._ephemeral is not None and self._peer_ephemeral is not None
        assert self._peer_static is not None and self._peer_ephemeral_point is not None
        curve = self._curve()
        d2, q2, _ = self._ephemeral
        z = shared_secret(
            curve,
            static_private=self._own().private_key,
            ephemeral_private=d2,
            ephemeral_public=q2,
            peer_static_public=self._peer_static,
            peer_ephemeral_public=self._peer_ephemeral_point,
            backend=self._backend,
        )
        self._keys = derive_keys(z)
        return self._keys

    def _require_keys(self) -> DerivedKeys:
        assert self._keys is not None
        return self._keys

    def _establish(self, keys: DerivedKeys) -> None:
        self._link_key = keys.key_data
        self._keys = None
        self._ephemeral = None
        self.state = KeyEstablishmentState.ESTABLISHED

    def _forget(self) -> None:
        """Drop every secret of a failed attempt: no half-installed key survives."""
        self._keys = None
        self._ephemeral = None
        self._link_key = None

    def _terminate(self, status: KeyEstablishmentStatus, reason: str) -> Step:
        """Build our Terminate Key Establishment and end the exchange.

        Decision (the spec text was not at hand): the Terminate's KeyEstablishmentSuite field
        carries the suite in negotiation, or our supported-suites bitmap when the status is
        UNSUPPORTED_SUITE, so the initiator can retry with a suite we have.
        """
        if status is KeyEstablishmentStatus.UNSUPPORTED_SUITE or self.suite is None:
            suite = self.supported_suites
        else:
            suite = int(self.suite)
        message = terminate_message(status, suite, self._wait_time)
        if self.state in (KeyEstablishmentState.ESTABLISHED, KeyEstablishmentState.TERMINATED):
            # Out-of-turn command after the end: answer BAD_MESSAGE, keep the outcome.
            return Step(send=message)
        self._forget()
        self.state = KeyEstablishmentState.TERMINATED
        self.status = status
        self.reason = reason
        return Step(send=message, status=status)
