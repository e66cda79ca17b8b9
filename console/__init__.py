"""The command line's helpers, beside ``cli.py``: what only a terminal needs.

``cli.py`` holds the commands; this package holds what they share: the flag of each library
parameter and the options of the experiment commands (:mod:`console.options`), the exit status
of each error (:mod:`console.errors`), signals (:mod:`console.signals`) and the tables printed
on the terminal (:mod:`console.tables`). The library (``twin``) knows none of them.
"""
