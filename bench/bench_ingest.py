"""Ingest through a real Mosquitto into the store: messages per second on one core.

Each round starts a fresh broker on a free loopback port and measures, for N single-object
meter messages at QoS 1:

- ``bare``: the baseline, a plain paho subscriber (auto-acknowledging, no work), pinned to
  core 0, draining a backlog of N messages the broker queued for its session;
- ``backlog``: ``parktwin live`` pinned to core 0 (``taskset -c 0``) draining the same backlog
  into a fresh store (validation, batch commits with ``synchronous=FULL``, PUBACK after commit);
- ``live``: ``parktwin live`` pinned to core 0 while a publisher in another process (core 1)
  sends the N messages as fast as the broker takes them;
- ``no-broker``: the twin's own work alone (validation, batch commits), in the bench process.

The rate is the twin's own report: messages committed from the first receipt to the last
commit. Rounds are paired and the medians are reported with the ratio to the bare subscriber.

    python bench/bench_ingest.py [--messages 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.mosquitto import Mosquitto  # noqa: E402
from twin.io.load import load_park  # noqa: E402
from twin.live.ingest import Ingester  # noqa: E402
from twin.live.messages import Validator  # noqa: E402
from twin.live.store import Store  # noqa: E402

PARKTWIN = str(Path(sys.executable).parent / "parktwin")
CORE = ["taskset", "-c", "0"]
OTHER_CORE = ["taskset", "-c", "1"]
METERS = ("sevt-p1", "sevt-p2", "bql-office", "customs")


def messages(n: int) -> list[tuple[str, dict]]:
    """N different meter readings of the yen-binh park, 15 s apart per meter."""
    start = datetime(2026, 1, 5)
    return [
        (
            "meters",
            {
                "time": (start + timedelta(seconds=15 * (k // len(METERS)))).isoformat(),
                "asset": METERS[k % len(METERS)],
                "quantity": "power_kw",
                "value": 1000.0 + k % 997,
            },
        )
        for k in range(n)
    ]


def publish(url: str, n: int) -> float:
    """Publish N messages from a separate process on the other core; its wall seconds."""
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[3]);"
        "from bench.bench_ingest import messages;"
        "from twin.live.mqtt import parse_broker;"
        "from twin.live.publisher import publish_recording;"
        "done = publish_recording(messages(int(sys.argv[2])), parse_broker(sys.argv[1]));"
        "print(done.seconds)"
    )
    out = subprocess.run(
        [*OTHER_CORE, sys.executable, "-c", code, url, str(n), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.split()[-1])


def bare_subscriber(url: str, n: int, client_id: str) -> None:
    """Run inside the child: subscribe with a persistent session, count N, print the rate."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from twin.live.mqtt import parse_broker

    address = parse_broker(url)
    seen = {"n": 0, "first": 0.0, "last": 0.0, "subscribed": 0.0}

    def on_message(client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        now = time.monotonic()
        seen["first"] = seen["first"] or now
        seen["last"] = now
        seen["n"] += 1

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    client.on_message = on_message
    client.on_connect = lambda c, *a: c.subscribe("parktwin/meters", qos=1)
    client.on_subscribe = lambda *a: seen.update(subscribed=1.0)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 2000
    client.connect(address.host, address.port, clean_start=False, properties=props)
    deadline = time.monotonic() + 600
    while (seen["n"] < n or not seen["subscribed"]) and time.monotonic() < deadline:
        client.loop(timeout=0.01)
    client.disconnect()
    took = seen["last"] - seen["first"]
    print(json.dumps({"n": seen["n"], "rate": seen["n"] / took if took > 0 else None}))


def run_bare(url: str, n: int, client_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CORE, sys.executable, __file__, "--bare", url, str(n), client_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_twin(url: str, store: Path) -> subprocess.Popen[str]:
    twin = subprocess.Popen(
        [
            *CORE,
            PARKTWIN,
            "live",
            "yen-binh",
            "--broker",
            url,
            "--store",
            str(store),
            "--client-id",
            "bench-twin",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert twin.stderr is not None
    line = twin.stderr.readline()
    assert "connected to" in line, line
    return twin


def stop_twin(twin: subprocess.Popen[str], store: Path, n: int) -> float:
    """Wait for N stored, SIGTERM, and return the twin's own messages/s."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with Store.open(store, read_only=True) as s:
            if s.counts()["stored"] >= n:
                break
        time.sleep(0.2)
    twin.send_signal(signal.SIGTERM)
    _, err = twin.communicate(timeout=60)
    if n == 0:
        return float("nan")
    found = re.findall(r"([\d,.]+) messages/s", err)
    if twin.returncode != 0 or not found:
        raise RuntimeError(err)
    return float(found[-1].replace(",", ""))


def no_broker(folder: Path, n: int) -> float:
    """The twin's own work alone: validation and batch commits of N payloads, in this process."""
    park = load_park("yen-binh")
    payloads = [(suffix, json.dumps(item).encode()) for suffix, item in messages(n)]
    with Store.open(folder / "core.db") as store:
        ingester = Ingester(store, Validator(park))
        started = time.perf_counter()
        for suffix, payload in payloads:
            ingester.add_payload(suffix, payload, None)
            if ingester.due():
                ingester.flush()
        ingester.flush()
        took = time.perf_counter() - started
    (folder / "core.db").unlink()
    return n / took


def one_round(folder: Path, n: int, k: int) -> dict[str, float]:
    core = no_broker(folder, n)
    broker = Mosquitto(folder / f"broker{k}").start()
    try:
        run_bare(broker.url, 0, "bench-bare").communicate(timeout=60)  # create the session
        publish(broker.url, n)
        out, _ = run_bare(broker.url, n, "bench-bare").communicate(timeout=600)
        bare = json.loads(out)["rate"]

        store = folder / f"backlog{k}.db"
        stop_twin(start_twin(broker.url, store), store, 0)  # create the session
        publish(broker.url, n)
        backlog = stop_twin(start_twin(broker.url, store), store, n)

        store = folder / f"live{k}.db"
        twin = start_twin(broker.url, store)
        publish_s = publish(broker.url, n)
        live = stop_twin(twin, store, n)
    finally:
        broker.stop()
    return {
        "bare": bare,
        "backlog": backlog,
        "live": live,
        "publisher": n / publish_s,
        "no-broker": core,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.rounds):
            row = one_round(Path(tmp), args.messages, k)
            rows.append(row)
            print(
                f"round {k}: " + ", ".join(f"{name} {v:,.0f}/s" for name, v in row.items()),
                flush=True,
            )
    med = {name: statistics.median(r[name] for r in rows) for name in rows[0]}
    ratio = statistics.median(r["backlog"] / r["bare"] for r in rows)
    print(f"\n{args.messages:,} QoS 1 messages, {args.rounds} rounds, medians (twin on one core):")
    print(f"  bare paho subscriber (baseline): {med['bare']:,.0f} messages/s")
    print(
        f"  parktwin live, draining a backlog: {med['backlog']:,.0f} messages/s "
        f"({ratio:.2f} x baseline)"
    )
    print(
        f"  parktwin live, publisher running: {med['live']:,.0f} messages/s "
        f"(publisher alone {med['publisher']:,.0f}/s)"
    )
    print(f"  the twin's own work without a broker (validate, commit): {med['no-broker']:,.0f}/s")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--bare":
        bare_subscriber(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
