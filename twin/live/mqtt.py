"""Broker addresses and paho-mqtt clients, shared by the feed and the replay publisher.

``--broker mqtt://[USER[:PASSWORD]@]HOST[:PORT]`` (1883 by default), or ``mqtts://`` for TLS
(8883 by default). A password may also come from the ``PARKTWIN_MQTT_PASSWORD`` environment
variable, so it does not show in the process list. Clients speak MQTT 5 through paho-mqtt 2.x
with ``CallbackAPIVersion.VERSION2``.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from twin.errors import UsageError

PASSWORD_VARIABLE = "PARKTWIN_MQTT_PASSWORD"
MAX_PREFIX_BYTES = 1000
"""A topic prefix at most this long (MQTT allows 65,535 bytes for a whole topic)."""


@dataclass(frozen=True)
class Broker:
    """Where the broker is and how to log in."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @property
    def url(self) -> str:
        """The address without credentials, for messages."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker(
    url: str,
    username: str | None = None,
    password: str | None = None,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> Broker:
    """A ``--broker`` URL and the login options as a :class:`Broker`.

    Raises:
        UsageError: Not an ``mqtt://`` or ``mqtts://`` URL with a host, a bad port, or a TLS
            file that does not exist.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # an unclosed or malformed [IPv6] host
        parts = urlsplit("")
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise UsageError(
            f"`broker`: '{url}' is not mqtt://HOST[:PORT] or mqtts://HOST[:PORT] "
            "(e.g. mqtt://127.0.0.1:1883)"
        )
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise UsageError(f"`broker`: bad port in '{url}'") from None
    for option, path in (("tls_ca", ca_file), ("tls_cert", cert_file), ("tls_key", key_file)):
        if path is not None and not os.path.isfile(path):
            raise UsageError(f"`{option}`: {path} does not exist")
    user = username or (unquote(parts.username) if parts.username else None)
    secret = password or (unquote(parts.password) if parts.password else None)
    secret = secret or os.environ.get(PASSWORD_VARIABLE)
    tls = parts.scheme == "mqtts" or ca_file is not None or cert_file is not None
    return Broker(parts.hostname, port, tls, user, secret, ca_file, cert_file, key_file)


def topic_prefix(text: str) -> str:
    """A ``--topic-prefix`` checked: topic levels without wildcards, bounded; ends without /.

    Raises:
        UsageError: Empty, a wildcard (``+``, ``#``), a NUL character, or too long.
    """
    prefix = text.strip("/")
    problem = None
    if not prefix:
        problem = "is empty"
    elif "+" in prefix or "#" in prefix:
        problem = "holds an MQTT wildcard (+ or #); a prefix names topics, it does not match them"
    elif "\0" in prefix or not prefix.isprintable():
        problem = "holds control characters"
    elif prefix.startswith("$"):
        problem = "starts with $ (topics of the broker itself)"
    elif len(prefix.encode("utf-8", errors="replace")) > MAX_PREFIX_BYTES:
        problem = f"is {len(prefix):,} characters long; at most {MAX_PREFIX_BYTES} bytes"
    if problem is not None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise UsageError(f"`topic_prefix`: '{shown}' {problem}")
    return prefix


def make_client(broker: Broker, client_id: str, *, manual_ack: bool = False) -> paho.Client:
    """A paho client (MQTT 5, VERSION2 callbacks) with the broker's login and TLS set."""
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5,
        manual_ack=manual_ack,
    )
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(
            ca_certs=broker.ca_file,
            certfile=broker.cert_file,
            keyfile=broker.key_file,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    return client


def connect_properties(receive_maximum: int, session_expiry_s: int) -> Properties:
    """CONNECT properties: how many unacknowledged messages the broker may send us, and how
    long it keeps our session (subscriptions and queued messages) while we are away."""
    properties = Properties(PacketTypes.CONNECT)
    properties.ReceiveMaximum = receive_maximum
    properties.SessionExpiryInterval = session_expiry_s
    return properties


def reason_text(reason: object) -> str:
    """A paho reason code or error number as words."""
    if isinstance(reason, paho.MQTTErrorCode):
        return paho.error_string(reason)
    return str(getattr(reason, "getName", lambda: reason)())
