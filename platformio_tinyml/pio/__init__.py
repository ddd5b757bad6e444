# SPDX-License-Identifier: Apache-2.0
"""PlatformIO integration: pure build planning, the SCons adapter and offline setup."""
