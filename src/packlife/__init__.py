"""packlife: second-life EV battery energy storage — grade, design, simulate, operate, prove, track.

The package is layered; lower layers never import higher ones (checked by import-linter):
``units``/``errors`` → ``chemistry``/``models``/``io``/``impact`` → ``catalog`` → ``control`` →
``simulation``/``grading`` → ``site`` → ``design`` → ``registry`` → ``cli``.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
