# SPDX-License-Identifier: Apache-2.0
"""``python -m platformio_tinyml``: the same as the ``tinyml`` console script."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
