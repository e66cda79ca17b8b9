"""The live twin: messages from the park's sensors, their store, the state they describe.

Modules, bottom to top: :mod:`.messages` (validate one MQTT payload against the park),
:mod:`.store` (the SQLite store, the only module that speaks SQL), :mod:`.state` (trucks by
stage, outages and meters at a moment), :mod:`.export` (a store as a sensor folder),
:mod:`.replay` (recorded CSVs as messages, into a store or onto a broker) and :mod:`.feed`
(the MQTT adapter behind ``parktwin live``). Only this package imports paho-mqtt and sqlite3.
"""
