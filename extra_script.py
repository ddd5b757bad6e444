# SPDX-License-Identifier: Apache-2.0
"""PlatformIO library extraScript: adapter to platformio_tinyml.pio.scons (all logic lives in the package)."""  # noqa: E501

import sys

Import("env")  # noqa: F821 -- the library's isolated construction environment

# SCons puts this script's directory (the library root) first on sys.path while it
# runs, so this is the package from the same checkout as src/ and include/.
try:
    from platformio_tinyml.pio.scons import configure
except ImportError as exc:  # a third-party dependency missing from PlatformIO's Python
    python = env.subst("$PYTHONEXE") or sys.executable  # noqa: F821
    sys.stderr.write(
        f"[tinyml] error: cannot import '{exc.name}' from PlatformIO's Python "
        f"'{python}'; install it with: {python} -m pip install '{Dir('.').srcnode().abspath}'\n"  # noqa: E501, F821
    )
    env.Exit(1)  # noqa: F821

configure(env)  # noqa: F821
