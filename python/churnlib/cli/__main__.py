"""``python -m churnlib.cli``: the ``churn`` command line."""

from . import console_main

console_main()
