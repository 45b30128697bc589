"""`python -m portal ...`: the same as the `portal` command."""
from __future__ import annotations

import sys

from portal.cli import main

sys.exit(main())
