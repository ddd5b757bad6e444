# SPDX-License-Identifier: Apache-2.0
"""``monitor_filters = tinyml``: a running summary of the TINYML result lines.

PlatformIO loads ``monitor/filter_*.py`` from the project and registers the
filter classes in them; the logic is ``platformio_tinyml.monitor.ResultSummary``.
"""

import glob
import os
import sys

from platformio.device.monitor.filters.base import DeviceMonitorFilterBase

try:
    from platformio_tinyml.monitor import ResultSummary
except ImportError:  # PlatformIO's Python without the pip package: use the library
    _here = os.path.dirname(os.path.abspath(__file__))
    for _lib in glob.glob(os.path.join(_here, "..", ".pio", "libdeps", "*", "tinyml")):
        sys.path.insert(0, os.path.realpath(_lib))
    from platformio_tinyml.monitor import ResultSummary


class TinyMLSummary(DeviceMonitorFilterBase):
    NAME = "tinyml"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._summary = ResultSummary()

    def rx(self, text):
        return self._summary.feed(text)
