"""Run the operations centre: bind, start the replay if asked, serve until interrupted.

:func:`serve` is what ``parktwin serve`` calls; :func:`build_services` and
:func:`bind` are the parts a test or a script uses to run the server in a thread of its own.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from twin.api.live import nowcast_setup
from twin.calibration.read import read_sensors
from twin.errors import InputError, UsageError
from twin.io.bundled import DEFAULT_PARK
from twin.io.inputs import read_park, resolve_inputs
from twin.language import language_of
from twin.live.replay import Message
from twin.live.run import Setup, keep_span, live_replay, parse_speed
from twin.live.simulated import KEEP_DAYS, following_horizons, simulated_recording
from twin.live.store import Store
from web.app import Services, create_app
from web.guard import BACKLOG, IDLE_TIMEOUT_S, guarded_protocol
from web.jobs import DEFAULT_TIME_LIMIT_S, JobManager
from web.scenarios import given_list
from web.security import resolve_token
from web.store_source import StoreSource
from web.threed import ThreeD

DEFAULT_PORT = 8050
log = logging.getLogger("parktwin.web")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port).

    Raises:
        UsageError: the address is taken or cannot be bound here.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"--host {host} --port {port}: cannot listen there ({exc.strerror})"
        ) from None
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def build_services(
    park_source: str | None,
    store: Path | None,
    folder: Path,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    lang: str | None = None,
) -> Services:
    """The park, its live source (when a store is given), the job runner and the 3D pages.

    `lang` is the page's default language (``serve --lang``); None: the park's
    ``park.language`` (``GET /api/park`` says it as it is), else English.

    Raises:
        UsageError: a language parktwin does not write.
    """
    park = read_park(park_source)
    language = language_of(lang) if lang is not None else None
    source = StoreSource(park, store) if store is not None else None
    return Services(
        park=park,
        park_source=park_source or DEFAULT_PARK,
        source=source,
        jobs=JobManager(park, time_limit_s),
        threed=ThreeD(park_source or DEFAULT_PARK, folder, language),
        language=language,
    )


@contextlib.contextmanager
def replaying(
    park_source: str | None,
    sensor_dir: Path,
    store: Path,
    speed: str | None,
    say: Callable[[str], None],
    setup: Setup | None = None,
    alarms: Sequence[Message] = (),
    then: Iterable[Message] = (),
    keep_days: float | None = None,
) -> Iterator[threading.Event]:
    """Replay recorded sensor data (and `alarms`, then `then`) into the store in a background
    thread while the block runs; with `keep_days`, the store keeps only the last that many days
    of park time."""
    Store.open(store).close()  # created and migrated before the page reads it
    stop = threading.Event()

    def work() -> None:
        try:
            run = live_replay(
                park_source, sensor_dir, store, speed, stop, setup, alarms, then, keep_days
            )
            done = run.to_dict()
            say(f"parktwin: replay ended: {done['stored']} stored, latest {done['latest']}")
        except Exception as exc:  # the page keeps serving what was stored
            say(f"parktwin: replay stopped: {exc}")

    thread = threading.Thread(target=work, name="parktwin-replay", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=10)


def http_server(services: Services, token: str | None) -> uvicorn.Server:
    """The uvicorn server of the application (quiet: warnings only), its connections guarded
    by timeouts and a limit (:mod:`web.guard`)."""
    config = uvicorn.Config(
        create_app(services, token),
        log_level="warning",
        lifespan="on",
        http=guarded_protocol(),
        timeout_keep_alive=IDLE_TIMEOUT_S,
        backlog=BACKLOG,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def background(
    services: Services, host: str = "127.0.0.1", port: int = 0, token: str | None = None
) -> Iterator[str]:
    """Serve in a thread while the block runs (tests, benches); yields the base URL.

    Raises:
        UsageError: the address cannot be bound.
        RuntimeError: the server did not start within 20 seconds.
    """
    sock = bind(host, port)
    server = http_server(services, token)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="parktwin-http", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20.0
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        if not server.started:
            raise RuntimeError("the web server did not start")
        name = f"[{host}]" if ":" in host else host
        yield f"http://{name}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(
    park: str | None = None,
    store: Path | None = None,
    replay: Path | None = None,
    speed: str | None = "600",
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    token: str | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    say: Callable[[str], None] = log.warning,
    nowcast: dict[str, Any] | None = None,
    simulate: bool = False,
    scenario: str | None = None,
    lang: str | None = None,
    keep_days: float | None = None,
) -> None:
    """Serve the operations-centre page and its API until SIGINT or SIGTERM (then return).

    Args:
        park: park file or bundled name (default: the bundled default park).
        store: the live store to read (with `replay`: where the replay writes; default a
            temporary file removed at the end).
        replay: a sensor folder to replay into the store in the background.
        speed: replay speed, simulated time per wall-clock time (``max``: as fast as it goes).
        host: address to listen on; any but 127.0.0.1, ::1 and localhost needs a token.
        port: port to listen on (0: any free port).
        token: the token every request must carry (default: ``$PARKTWIN_TOKEN``).
        time_limit_s: wall-clock limit of one what-if.
        say: where the address to open is told.
        nowcast: with `replay` or `simulate`, the nowcast's schedule: ``{"every_min",
            "hours", "replications", "alerts", "seen_only"}`` as for ``parktwin live
            --nowcast-every`` (None: none).
        simulate: feed the page from a simulation of the park (under `scenario`), replayed
            into a temporary store: :mod:`twin.live.simulated`.
        scenario: with `simulate`, the scenario simulated (its outages arrive as alarms).
        lang: the page's default language, ``vi`` or ``en`` (None: the park's
            ``park.language``, else en); the page's and the 3D tab's ``?lang=`` still choose.
        keep_days: with `simulate`, the days of park time the store keeps (:func:`days_kept`).

    Raises:
        UsageError: no token off loopback, a taken port, a bad speed or `keep_days`, sources
            that clash.
        InputError: an unreadable park or scenario, a missing store, a sensor folder that is
            missing or cannot be read (as ``parktwin calibrate`` reads it).
    """
    required = resolve_token(host, token)
    parse_speed(speed)  # a bad --speed is refused before anything starts
    check_sources(store, replay, simulate, scenario)
    kept = days_kept(simulate, keep_days)
    feeds = replay is not None or simulate
    setup = nowcast_setup(**nowcast) if feeds and nowcast else None
    model = read_park(park)
    language_of(lang, model.park.language)  # a bad park or language: refused now
    if replay is not None:  # a recording the replay could not read: refused now, not in its thread
        read_sensors(replay, model)
    if scenario is not None:  # a scenario that is bad or does not apply: refused before any work
        resolve_inputs(park, scenario)
    given = given_list(model, [scenario] if scenario else [])
    with tempfile.TemporaryDirectory(prefix="parktwin-serve-") as scratch:
        folder = Path(scratch)
        alarms: list[Message] = []
        then: Iterable[Message] = ()
        # SIGINT and SIGTERM (uvicorn re-raises them) end the page cleanly, even mid-simulation
        with contextlib.suppress(KeyboardInterrupt), contextlib.ExitStack() as stack:
            sock = stack.enter_context(contextlib.closing(bind(host, port)))
            if simulate:
                say("parktwin serve: simulating the park for the page ...")
                replay = folder / "simulated"
                alarms = simulated_recording(park, scenario, replay)
                then = following_horizons(park, scenario, replay)  # on, horizon after horizon
            if replay is not None and store is None:
                store = folder / "replay.db"
            if replay is not None and store is not None:
                feed = replaying(park, replay, store, speed, say, setup, alarms, then, kept)
                stack.enter_context(feed)
            services = build_services(park, store, folder, time_limit_s, lang)
            services.simulated = simulate
            services.given = given
            stack.callback(services.threed.close)
            stack.callback(services.jobs.close)
            shown = f"http://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}/"
            say(f"parktwin serve: open {shown}" + ("?token=YOUR_TOKEN" if required else ""))
            http_server(services, required).run(sockets=[sock])


def days_kept(simulate: bool, keep_days: float | None) -> float | None:
    """The days of park time the page's store keeps before its latest message.

    Args:
        simulate: whether the page is fed from a simulation: only its store forgets.
        keep_days: the days asked for (None: :data:`~twin.live.simulated.KEEP_DAYS`).

    Returns:
        The days with `simulate`; None (everything) for a replay or a given store.

    Raises:
        UsageError: `keep_days` without `simulate`, or out of range.
    """
    if not simulate:
        if keep_days is not None:
            raise UsageError("`keep_days` goes with `simulate` (a replay or a store keeps all)")
        return None
    days = KEEP_DAYS if keep_days is None else keep_days
    keep_span(days)
    return days


def check_sources(
    store: Path | None, replay: Path | None, simulate: bool, scenario: str | None
) -> None:
    """Refuse a page fed from clashing sources, a missing sensor folder or a bad store.

    Raises:
        UsageError: `simulate` with `replay` or `store`; a `scenario` without `simulate`.
        InputError: a missing sensor folder; a store that is missing or not a store.
    """
    if simulate and (replay is not None or store is not None):
        raise UsageError("`simulate` feeds the page itself: give it without `replay` and `store`")
    if scenario is not None and not simulate:
        raise UsageError("`scenario` goes with `simulate` (the scenario simulated for the page)")
    if replay is not None and not Path(replay).is_dir():
        raise InputError(str(replay), "no such sensor folder")
    if replay is None and store is not None:
        if not Path(store).exists():
            raise InputError(str(store), "no such store (parktwin live or --replay writes one)")
        Store.open(store, read_only=True).close()  # not a store, or a damaged one: refused now
