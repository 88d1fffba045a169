"""`Purse.generate`: one generation as a ``with`` block."""

import threading
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, Optional, Type

from ._errors import GenerationSettledError, NotFoundError
from ._types import Generation

if TYPE_CHECKING:
    from ._client import Purse

#: The API's bounds on one extension of a hold.
HOLD_MIN_SECONDS = 1
HOLD_MAX_SECONDS = 86_400
#: The API's bound on a failure reason.
REASON_MAX_CHARS = 500


class GenerationRun:
    """What ``with purse.generate(…) as run`` gives the block.

    `generation` is the reserved generation, and after the block the completed
    or failed one. Set `units` in the block to charge fewer units than were
    reserved. `extensions` counts the hold's extensions; `extend_error` is the
    last error an extension met (the block goes on regardless), and
    `fail_error` an error met while failing after the block raised (the block's
    own exception is the one re-raised).
    """

    def __init__(
        self,
        purse: "Purse",
        customer_id: str,
        tool_id: str,
        *,
        units: Optional[int],
        id: Optional[str],
        metadata: Optional[Dict[str, Any]],
        hold_seconds: Optional[int],
        extend_every: Optional[float],
    ) -> None:
        if extend_every is not None and extend_every <= 0:
            raise ValueError("extend_every must be a positive number of seconds")
        self._purse = purse
        self._customer_id = customer_id
        self._tool_id = tool_id
        self._reserve_units = units
        self._id = id
        self._metadata = metadata
        self._hold_seconds = hold_seconds
        self._extend_every = extend_every
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._generation: Optional[Generation] = None
        self.units: Optional[int] = None
        self.extensions = 0
        self.extend_error: Optional[BaseException] = None
        self.fail_error: Optional[BaseException] = None

    @property
    def generation(self) -> Generation:
        if self._generation is None:
            raise RuntimeError("the generation is reserved when the with block is entered")
        return self._generation

    @property
    def id(self) -> str:
        return self.generation["id"]

    @property
    def cost(self) -> int:
        """The credits reserved."""
        return self.generation["cost"]

    def __enter__(self) -> "GenerationRun":
        if self._generation is not None:
            raise RuntimeError("a generation run is entered once; call purse.generate(...) again for another")
        self._generation = self._purse.reserve(
            self._customer_id, self._tool_id, units=self._reserve_units, id=self._id, metadata=self._metadata
        )
        hold = self._hold_seconds if self._hold_seconds is not None else _own_hold_seconds(self._generation)
        hold = min(max(int(hold), HOLD_MIN_SECONDS), HOLD_MAX_SECONDS)
        every = self._extend_every if self._extend_every is not None else hold / 3
        self._thread = threading.Thread(
            target=self._keep_held, args=(self.id, hold, every), name="purse-extend-" + self.id, daemon=True
        )
        self._thread.start()
        return self

    def _keep_held(self, generation_id: str, hold: int, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self._purse.extend(generation_id, hold)
                self.extensions += 1
            except (GenerationSettledError, NotFoundError) as err:
                self.extend_error = err
                return  # nothing is held any more
            except Exception as err:  # a failed extension must not stop the job; the next one may pass
                self.extend_error = err

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if exc_type is None:
            self._generation = self._purse.complete(self.id, units=self.units)
            return
        try:
            self._generation = self._purse.fail(self.id, reason=_reason(exc_type, exc))
        except Exception as err:
            self.fail_error = err


def _own_hold_seconds(generation: Generation) -> float:
    """The hold the server gave the reservation (the tool's hold time)."""
    return (_instant(generation["holdUntil"]) - _instant(generation["createdAt"])).total_seconds()


def _instant(iso: str) -> datetime:
    # fromisoformat before Python 3.11 does not read a trailing Z.
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _reason(exc_type: Type[BaseException], exc: Optional[BaseException]) -> str:
    text = str(exc).strip() if exc is not None else ""
    reason = "%s: %s" % (exc_type.__name__, text) if text else exc_type.__name__
    return reason[:REASON_MAX_CHARS]
