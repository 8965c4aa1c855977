"""``python -m raquan``: the same as the ``raquan`` command."""

import sys

from raquan.cli import main

sys.exit(main())
