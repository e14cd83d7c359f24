"""``python -m rectifier`` is the ``rectifier`` command."""

import sys

from rectifier.cli import main

sys.exit(main())
