"""The HTTP API and the page: a Starlette application over the twin's documents.

Every JSON answer mirrors a CLI document (SPEC.md, "Operations centre"); a bad request is a 400
with ``{"error": message}`` naming the field. Handlers parse, make one library call (in a
thread when it may take a moment), so the event loop, and with it the push channel, never waits
on the store or a simulation. Errors become HTTP statuses in one place, :data:`STATUS_OF`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from twin import api as twin_api
from twin.api.decisions import prepare
from twin.errors import InputError, ParktwinError, UsageError
from twin.experiment.optimize import make_candidates
from twin.experiment.runner import ReplicationError
from twin.language import LANGUAGES
from twin.live.messages import out_of_range
from twin.live.state import unknown_moment
from twin.model.clock import BadTime, park_time
from twin.model.problem import DecisionProblem, check_problem
from twin.model.schema import Park
from twin.model.validate import validate_data
from viz.clock import parse_day_time
from viz.placement import PLACEMENT_JS
from web import push, scenarios
from web.analyses import KeptAnalyses
from web.jobs import Busy, JobManager
from web.live import EMPTY_STATE, LiveSource, Overview
from web.plan import plan_document
from web.push import Hub
from web.security import Guard
from web.status import PlanModel
from web.threed import ThreeD

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 1024 * 1024
"""Largest request body (a compare request with four uploaded scenarios fits easily)."""
MAX_DAYS = 14.0
MAX_REPLICATIONS = 50
MAX_HISTORY_POINTS = 5000


@dataclass
class Services:
    """What the handlers work with: the park, the live source, the jobs, the push hub."""

    park: Park
    park_source: str
    source: LiveSource | None
    jobs: JobManager
    threed: ThreeD
    simulated: bool = False  # the live source is fed from a simulation (serve --simulate)
    given: list[dict[str, Any]] = field(default_factory=list)  # serve -s, for the what-if
    language: str | None = None  # the page's default (serve --lang); None: the park's
    model: PlanModel = field(init=False)
    n1: KeptAnalyses = field(init=False)
    headroom: KeptAnalyses = field(init=False)
    plan: dict[str, Any] = field(init=False)
    overview: Overview | None = field(init=False)
    hub: Hub | None = field(init=False)

    def __post_init__(self) -> None:
        self.model = PlanModel.of(self.park)
        park = self.park  # the analyses look up twin.api at each call (tests replace them)
        self.n1 = KeptAnalyses(
            lambda at, hours: twin_api.n1(park, None, at, hours), "an N-1 analysis"
        )
        self.headroom = KeptAnalyses(
            lambda at, pf, n1: twin_api.headroom(park, None, at, pf, n1=n1), "a headroom study"
        )
        self.plan = plan_document(self.park)
        if self.language is not None:
            self.plan["language"] = self.language
        source = self.source
        self.overview = Overview(source, self.model) if source is not None else None
        overview = self.overview
        self.hub = Hub(overview.source.version, overview.snapshot) if overview else None


class BadRequest(Exception):
    """A request the API refuses with 400: the message names the field."""


class TooLarge(BadRequest):
    """A request body past its limit, refused with 413 without reading the rest."""


STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (TooLarge, 413),
    (BadRequest, 400),
    (Busy, 429),
    (ReplicationError, 500),
    (ParktwinError, 400),
)
"""The HTTP status of each error a handler may raise, the first class that matches."""


async def error_answer(request: Request, exc: Exception) -> Response:
    """The exception handler of the application: ``{"error": message}`` with its status."""
    status = next(code for kind, code in STATUS_OF if isinstance(exc, kind))
    return error(status, str(exc))


MAX_PATH_SHOWN = 120
"""Characters of a request's path repeated in an error (a path may be kilobytes long)."""


async def refusal_answer(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route: 404, a method the route lacks: 405) as
    ``{"error": message}``, like every other error of the API."""
    assert isinstance(exc, HTTPException)
    path = request.url.path[:MAX_PATH_SHOWN]
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        message = f"{path}: no such endpoint or file (see docs/reference/http-api.md)"
    elif exc.status_code == 405:
        allowed = headers.get("Allow") or headers.get("allow") or "none"
        message = f"{path}: method {request.method[:20]} not allowed (allowed: {allowed})"
    else:
        message = str(exc.detail)
    answer = error(exc.status_code, message)
    answer.headers.update(headers)
    return answer


def error(status: int, message: str) -> JSONResponse:
    """``{"error": message}`` with that status."""
    return JSONResponse({"error": message}, status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


def api(handler: Callable[[Request, Services], Awaitable[Any]]) -> Handler:
    """Wrap a handler: its result as JSON (or a Response as is); errors: :func:`error_answer`."""

    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        result = await handler(request, services)
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    return endpoint


def no_store() -> JSONResponse:
    """The answer of the live endpoints when the server was started without a store."""
    return error(404, "no live store: start the server with --store DB or --replay SENSOR_DIR")


def query_time(request: Request, name: str) -> datetime | None:
    """An ISO time from the query string as park time (an offset is converted), or None."""
    text = request.query_params.get(name)
    if text is None or not text.strip():
        return None
    services: Services = request.app.state.services
    try:
        moment = park_time(text, services.park.park.timezone)
    except BadTime as exc:
        raise BadRequest(f"{name}: {exc}") from None
    problem = out_of_range(moment)
    if problem is not None:
        raise BadRequest(f"{name}: {problem}")
    return moment


async def known_time(request: Request, name: str) -> datetime | None:
    """:func:`query_time`, refused when the store knows nothing of the park then: before its
    first message or long after its last (:func:`twin.live.state.unknown_moment`)."""
    moment = query_time(request, name)
    source = request.app.state.services.source
    if moment is None or source is None:
        return moment
    span = await asyncio.to_thread(source.span)
    problem = unknown_moment(span, moment) if span is not None else None
    if problem is not None:
        raise BadRequest(f"{name}: {problem}")
    return moment


def query_number(request: Request, name: str, default: float, lo: float, hi: float) -> float:
    """A number from the query string within ``[lo, hi]``."""
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise BadRequest(f"{name}: '{text}' is not a number") from None
    if not lo <= value <= hi:
        raise BadRequest(f"{name}: {value:g} is outside {lo:g}..{hi:g}")
    return value


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused past `limit` bytes without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"body: {int(declared) // 1024} KB is more than {limit // 1024} KB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"body: more than {limit // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


async def upload_body(request: Request, name: str | None) -> bytes:
    """The bytes of an uploaded file, refused (413, naming the file) past the upload limit."""
    try:
        return await read_body(request, scenarios.MAX_UPLOAD_BYTES)
    except TooLarge:
        limit = scenarios.MAX_UPLOAD_BYTES // 1024
        safe = scenarios.upload_name(name)  # a bad name: 400 saying so
        raise TooLarge(f"{safe}: is too large: uploads are at most {limit} KB") from None


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object."""
    raw = await read_body(request)
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError as exc:  # not UTF-8, not JSON, or an integer past the digit limit
        raise BadRequest(f"body: not JSON ({str(exc)[:200]})") from None
    except RecursionError:
        raise BadRequest("body: nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("body: expected a JSON object")
    return body


# --------------------------------------------------------------------------- N-1


@api
async def n1_document(request: Request, services: Services) -> Any:
    """``GET /api/n1[?at=day D HH:MM][&hours=H]``: n1.json of the park, as ``parktwin n1``.

    The moment defaults to the peak demand of a simulated week; one analysis runs at a time
    and the latest answers are kept (:class:`web.analyses.KeptAnalyses`).
    """
    power = services.park.power
    if power is None or power.network is None:
        return error(404, "the park has no power.network: N-1 needs one (SPEC.md, N-1)")
    text = (request.query_params.get("at") or "").strip()
    hours = query_number(request, "hours", 4.0, 0.25, 48.0)
    try:
        at = parse_day_time(text, "at") if text else None
        return await services.n1.answer(at, hours)
    except UsageError as exc:
        raise BadRequest(str(exc)) from None


@api
async def headroom_document(request: Request, services: Services) -> Any:
    """``GET /api/headroom[?at=day D HH:MM][&power_factor=PF][&n1=1]``: headroom.json of the
    park, as ``parktwin headroom``; one study runs at a time and the latest answers are kept."""
    power = services.park.power
    if power is None or power.network is None:
        return error(404, "the park has no power.network: headroom needs one (SPEC.md)")
    text = (request.query_params.get("at") or "").strip()
    power_factor = query_number(request, "power_factor", 0.95, 0.3, 1.0)
    n1 = query_number(request, "n1", 0.0, 0.0, 1.0)
    if n1 not in (0.0, 1.0):
        raise BadRequest(f"n1: expected 0 or 1, got {n1:g}")
    try:
        at = parse_day_time(text, "at") if text else None
        return await services.headroom.answer(at, power_factor, n1 == 1.0)
    except UsageError as exc:
        raise BadRequest(str(exc)) from None


# --------------------------------------------------------------------------- live documents


@api
async def health(request: Request, services: Services) -> Any:
    """``GET /api/health``: the server is up; what it serves."""
    doc: dict[str, Any] = {"status": "ok", "park": services.park.park.name, "live": False}
    if services.source is not None and services.hub is not None:
        doc.update(live=True, version=services.hub.seen, clients=services.hub.clients)
        doc["simulated"] = services.simulated
    return doc


@api
async def park(request: Request, services: Services) -> Any:
    """``GET /api/park``: the plan's geometry (see :func:`web.plan.plan_document`)."""
    return services.plan


@api
async def state_endpoint(request: Request, services: Services) -> Any:
    """``GET /api/state[?at=T]``: the state document, as ``parktwin state --json``."""
    if services.source is None:
        return no_store()
    state = await asyncio.to_thread(services.source.state, await known_time(request, "at"))
    return state.to_dict() if state is not None else EMPTY_STATE


@api
async def status(request: Request, services: Services) -> Any:
    """``GET /api/status[?at=T]``: the state with the plan's colours and the KPI tiles."""
    if services.overview is None:
        return no_store()
    at = await known_time(request, "at")
    return await asyncio.to_thread(services.overview.status_at, at)


@api
async def forecast(request: Request, services: Services) -> Any:
    """``GET /api/forecast``: the latest forecast.json."""
    if services.source is None:
        return no_store()
    doc = await asyncio.to_thread(services.source.forecast)
    return doc if doc is not None else error(404, "no forecast yet: parktwin live publishes one")


@api
async def alerts(request: Request, services: Services) -> Any:
    """``GET /api/alerts[?since=T]``: ``{"alerts": [...]}``."""
    if services.source is None:
        return no_store()
    since = query_time(request, "since")
    return {"alerts": await asyncio.to_thread(services.source.alerts, since)}


@api
async def history(request: Request, services: Services) -> Any:
    """``GET /api/history?from=T&to=T[&step_min=M]``: the stored series between two times."""
    if services.source is None:
        return no_store()
    span = await asyncio.to_thread(services.source.span)
    if span is None:
        return {"time": [], "series": {}}
    start = query_time(request, "from") or span[0]
    end = query_time(request, "to") or span[1]
    step = query_number(request, "step_min", 15.0, 1.0, 1440.0)
    if end < start:
        raise BadRequest("to: must not be before from")
    if end < span[0]:  # a window all before the store's first message, or long after its last
        raise BadRequest(f"to: {unknown_moment(span, end)}")
    late = unknown_moment(span, start) if start > span[1] else None
    if late is not None:
        raise BadRequest(f"from: {late}")
    if (end - start).total_seconds() / 60.0 / step > MAX_HISTORY_POINTS:
        raise BadRequest(f"step_min: more than {MAX_HISTORY_POINTS} points; use a larger step")
    return await asyncio.to_thread(services.source.history, start, end, step)


async def events(request: Request) -> Response:
    """``GET /api/events``: server-sent ``snapshot`` events, the newest state each time."""
    services: Services = request.app.state.services
    if services.hub is None:
        return no_store()
    if services.hub.full:
        answer = error(503, f"{push.MAX_STREAMS} pages already follow the live feed; retry later")
        answer.headers["Retry-After"] = "30"
        return answer
    return EventSourceResponse(services.hub.events(), ping=None)


# --------------------------------------------------------------------------- what-if


@api
async def scenario_list(request: Request, services: Services) -> Any:
    """``GET /api/scenarios``: the bundled scenarios of the park and those given to the server,
    and whether each applies to the park."""
    listed = await asyncio.to_thread(scenarios.bundled_list, services.park, services.park_source)
    return {"scenarios": listed + services.given}


@api
async def scenario_check(request: Request, services: Services) -> Any:
    """``POST /api/scenarios/check?name=FILE``: check an uploaded file (its bytes the body)."""
    name = request.query_params.get("name")
    data = await upload_body(request, name)
    return await asyncio.to_thread(scenarios.check_upload, services.park, name, data)


def _whole(body: dict[str, Any], name: str, default: float, hi: float, integer: bool) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = json.dumps(value)
        raise BadRequest(f"{name}: expected a number, got {shown[:40]}")
    low = 1 if integer else 0.05
    if not low <= value <= hi:  # also inf, nan and integers of any length, before any float()
        shown = f"{value:g}" if isinstance(value, float) else f"{value}"[:40]
        raise BadRequest(f"{name}: {shown} is outside {low:g}..{hi:g}")
    if integer and value != int(value):
        raise BadRequest(f"{name}: expected a whole number, got {value}")
    return float(value)


@api
async def compare_endpoint(request: Request, services: Services) -> Any:
    """``POST /api/compare``: queue a paired comparison; answers ``{"job": id}``."""
    body = await json_body(request)
    unknown = sorted(set(body) - {"scenarios", "days", "replications", "lang"})
    if unknown:
        known = "scenarios, days, replications, lang"
        raise BadRequest(f"{unknown[0]}: unknown field (known: {known})")
    days = _whole(body, "days", 2.0, MAX_DAYS, integer=False)
    reps = int(_whole(body, "replications", 5, MAX_REPLICATIONS, integer=True))
    lang = _language(body.get("lang"))
    chosen = await asyncio.to_thread(scenarios.choices, services.park, body.get("scenarios"), days)
    names, documents = [c.name for c in chosen], [c.document for c in chosen]
    job = services.jobs.submit(names, documents, days, reps, lang)
    return JSONResponse({"job": job.id}, status_code=202)


def _language(value: Any) -> str | None:
    """The language a page asks for (``vi``, ``en``), or None for the park's."""
    if value is None or value in LANGUAGES:
        return value
    raise BadRequest(f"lang: expected one of {', '.join(LANGUAGES)}, got {str(value)[:20]!r}")


def _check_problem(park: Park, document: Any, name: str = "problem", lines: Any = None) -> None:
    """A decision problem checked against the served park (else an InputError naming the field)."""
    problem = validate_data(DecisionProblem, document, name, lines)
    check_problem(problem, name)
    inputs = prepare(problem, name, park)
    if problem.search is None:
        make_candidates(problem, inputs.park, name)


def _problem_of(park: Park, body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - {"problem"})
    if unknown:
        raise BadRequest(f"{unknown[0]}: unknown field (known: problem)")
    document = body.get("problem")
    if not isinstance(document, dict):
        raise BadRequest("problem: expected a decision-problem document (an object)")
    _check_problem(park, document)
    return document


def _uploaded_problem(park: Park, name: str, data: bytes) -> dict[str, Any]:
    safe, document, lines = scenarios.read_upload(name, data)
    if not isinstance(document, dict) or "problem" not in document:
        raise InputError(safe, "is not a decision problem (no `problem:` section)", line=1)
    _check_problem(park, document, safe, lines)
    return scenarios.json_document(document, safe, lines)


@api
async def optimize_endpoint(request: Request, services: Services) -> Any:
    """``POST /api/optimize``: queue a decision problem on the served park; ``{"job": id}``.

    The body is ``{"problem": document}``, or with ``?name=FILE`` the bytes of an uploaded
    YAML or JSON problem file (checked like a scenario upload).
    """
    name = request.query_params.get("name")
    lang = _language(request.query_params.get("lang"))
    if name is None:
        body = await json_body(request)
        document = await asyncio.to_thread(_problem_of, services.park, body)
    else:
        data = await upload_body(request, name)
        document = await asyncio.to_thread(_uploaded_problem, services.park, name, data)
    try:
        job = services.jobs.submit_problem(document, lang)
    except Busy as exc:
        return error(429, str(exc))
    return JSONResponse({"job": job.id}, status_code=202)


@api
async def job_status(request: Request, services: Services) -> Any:
    """``GET /api/jobs/{id}``: status, progress, and the comparison when done."""
    job = services.jobs.get(request.path_params["job"])
    return job.to_dict() if job is not None else error(404, "no such job")


@api
async def job_cancel(request: Request, services: Services) -> Any:
    """``DELETE /api/jobs/{id}``: cancel a waiting or running job."""
    job = services.jobs.cancel(request.path_params["job"])
    return job.to_dict() if job is not None else error(404, "no such job")


# --------------------------------------------------------------------------- page and 3D


async def index(request: Request) -> Response:
    """The page."""
    return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})


async def placement_script(request: Request) -> Response:
    """``GET /static/placement.js``: the label placement the plan shares with the 3D page."""
    return FileResponse(PLACEMENT_JS, media_type="text/javascript")


async def park_3d(request: Request) -> Response:
    """``GET /3d[?at=HH:MM][&lang=vi|en]``: the 3D park (vtk.js page), or a page that waits
    for it; in `lang`, else the page's default language."""
    services: Services = request.app.state.services
    lang = _language(request.query_params.get("lang"))
    return await asyncio.to_thread(services.threed.response, request.query_params.get("at"), lang)


def routes() -> list[Route | Mount]:
    """Every route of the API and the page."""
    return [
        Route("/", index),
        Route("/3d", park_3d),
        Route("/static/placement.js", placement_script),
        Route("/api/health", health),
        Route("/api/park", park),
        Route("/api/state", state_endpoint),
        Route("/api/status", status),
        Route("/api/forecast", forecast),
        Route("/api/alerts", alerts),
        Route("/api/history", history),
        Route("/api/events", events),
        Route("/api/n1", n1_document),
        Route("/api/headroom", headroom_document),
        Route("/api/scenarios", scenario_list),
        Route("/api/scenarios/check", scenario_check, methods=["POST"]),
        Route("/api/compare", compare_endpoint, methods=["POST"]),
        Route("/api/optimize", optimize_endpoint, methods=["POST"]),
        Route("/api/jobs/{job}", job_status, methods=["GET"]),
        Route("/api/jobs/{job}", job_cancel, methods=["DELETE"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(services: Services, token: str | None = None) -> Guard:
    """The application, behind the token guard; the push poller runs while it is served."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        poller = asyncio.create_task(services.hub.run()) if services.hub else None
        try:
            yield
        finally:
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller

    handlers: dict[Any, Any] = {kind: error_answer for kind, _ in STATUS_OF}
    handlers[HTTPException] = refusal_answer
    app = Starlette(routes=routes(), lifespan=lifespan, exception_handlers=handlers)
    app.state.services = services
    return Guard(app, token)
