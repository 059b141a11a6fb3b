"""``python -m server`` is ``earshot``."""

import sys

from server.cli import main

sys.exit(main())
