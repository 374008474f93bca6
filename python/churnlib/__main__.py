"""``python -m churnlib``: the ``churn`` command line (see :mod:`churnlib.cli`)."""

from .cli import console_main

if __name__ == "__main__":
    console_main()
