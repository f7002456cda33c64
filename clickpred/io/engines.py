"""Where blocks and ranges are processed: :class:`Threads` (this machine) or :class:`DaskTasks` (a Dask cluster),
behind one method, ``map(fn, items, *args)``, which calls ``fn(item, *args)`` for every item and yields
``(item, result)`` pairs (on Dask, ``args`` may be futures, such as a model scattered once to every worker).

- :class:`Threads` yields in submission order and keeps at most ``ahead`` items in flight, so that memory stays
  bounded however long the input (the local scorer and the streaming sampler read blocks this way);
- :class:`DaskTasks` submits every item at once (a file's byte ranges: a few hundred at most) and yields them as
  they complete; callers that need order sort by the item.

Example
-------
>>> with Threads(jobs=2) as engine:
...     [result for _, result in engine.map(lambda x: x * x, range(5))]
[0, 1, 4, 9, 16]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class Threads:
    """A thread pool of ``jobs`` workers; ``map`` keeps order and at most ``ahead`` (default jobs + 1) in flight."""

    def __init__(self, jobs: int = 1, name: str = "clickpred"):
        self.jobs = max(1, int(jobs))
        self.name = name
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Threads:
        self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix=self.name)
        return self

    def __exit__(self, *exc) -> None:
        assert self._pool is not None
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def map(
        self, fn: Callable[..., Any], items: Iterable, *args: Any, ahead: int | None = None
    ) -> Iterator[tuple[Any, Any]]:
        if self._pool is None:
            raise RuntimeError("use Threads as a context manager: with Threads(jobs) as engine: …")
        limit = self.jobs + 1 if ahead is None else max(0, ahead)
        pending: deque = deque()
        for item in items:  # items are produced lazily: a block is read only when there is room for it
            pending.append((item, self._pool.submit(fn, item, *args)))
            while len(pending) > limit:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


class DaskTasks:
    """Tasks on a Dask ``distributed.Client``; ``map`` yields results as they complete."""

    def __init__(self, client):
        self.client = client

    def map(
        self, fn: Callable[..., Any], items: Iterable, *args: Any, ahead: int | None = None
    ) -> Iterator[tuple[Any, Any]]:
        from distributed import as_completed

        futures = {self.client.submit(fn, item, *args, pure=False): item for item in items}
        for future in as_completed(futures):
            yield futures[future], future.result()


CONNECT_SECONDS = 10.0  # to reach a Dask scheduler, handshake included


def connect_scheduler(address: str, seconds: float | None = None) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``, or a one-line error saying why not — within
    ``seconds`` (default :data:`CONNECT_SECONDS`) in every case. distributed's own timeout covers opening the
    connection, not the handshake after it: a TCP service that is not a Dask scheduler accepted the connection
    and then held the run for minutes. The client is made in a thread of its own; one that has not answered by
    then is left behind (a daemon thread) and the address is named."""
    import threading

    from ..errors import ClickpredError

    try:
        from distributed import Client
    except ImportError:
        raise ClickpredError("--scheduler needs dask and distributed: pip install 'clickpred[dask]'") from None
    seconds = CONNECT_SECONDS if seconds is None else seconds
    outcome: dict[str, Any] = {}

    def connect() -> None:
        try:
            outcome["client"] = Client(address, timeout=f"{seconds}s")
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="clickpred-dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 2.0)
    if "client" in outcome:
        return outcome["client"]
    exc = outcome.get("error")
    if exc is None:
        raise ClickpredError(
            f"--scheduler {address}: nothing answered as a Dask scheduler within {seconds:g} s (is it one?)"
        )
    raise ClickpredError(f"--scheduler {address}: cannot connect ({type(exc).__name__}: {exc})"[:300]) from None
