"""Make this folder's helper modules (`shape_compare`) importable from its tests: the tests
folders are plain directories, not packages."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
