"""The live twin: messages from the park's sensors, their store, the state they describe.

Modules, bottom to top:

- :mod:`.messages`: validate one MQTT payload against the park (records or rejects).
- :mod:`.store`: the SQLite store, the only module that speaks SQL.
- :mod:`.visits`, :mod:`.state`: truck visits from events; trucks by stage, outages and
  meters at a moment; the history.
- :mod:`.ingest`: batch commits, acknowledgement tokens, periodic jobs on park time.
- :mod:`.replay`: recorded CSVs as messages, into a store without a broker.
- :mod:`.export`: a store as a sensor folder (``parktwin calibrate`` on a store).
- :mod:`.run`: the broker-free command calls (``state``, ``live --replay``).
- :mod:`.mqtt`, :mod:`.feed`, :mod:`.publisher`: the paho-mqtt adapters behind
  ``parktwin live --broker`` and ``parktwin replay``.
- :mod:`.nowcast`, :mod:`.backtest`: forecasts from the state (the warm-started engine).

Only this package imports paho-mqtt and sqlite3.
"""
