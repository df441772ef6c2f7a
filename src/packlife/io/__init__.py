"""Readers of battery test data into the canonical packlife frame.

Every reader returns ``(data, metadata)`` where ``data`` is a DataFrame with the canonical
columns ``time_s``, ``current_a`` (discharge positive), ``voltage_v`` and, where the source has
them, ``temperature_c``, ``step`` and ``cycle``; ``metadata`` is a dict describing the source.
"""

CANONICAL_COLUMNS = ("time_s", "current_a", "voltage_v", "temperature_c", "step", "cycle")
