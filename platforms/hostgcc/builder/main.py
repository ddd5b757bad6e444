# SPDX-License-Identifier: Apache-2.0
"""Offline host dev-platform: builds with the system gcc/g++ and runs the program."""

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()

# --- Toolchain: the host compilers from PATH ---
env.Replace(
    AR="ar",
    AS="as",
    CC="gcc",
    CXX="g++",
    LINK="g++",
    RANLIB="ranlib",
    SIZETOOL="size",
    SIZEPRINTCMD="$SIZETOOL $SOURCES",
)
env.Append(CCFLAGS=["-O2", "-Wall"], CXXFLAGS=["-std=gnu++17"])

# --- Target: program ---
target_bin = env.BuildProgram()

# --- Target: size ---
target_size = env.Alias(
    "size", target_bin, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE")
)
AlwaysBuild(target_size)

# --- Target: exec (`pio run -t exec` runs the program) ---
target_exec = env.Alias(
    "exec", target_bin, env.VerboseAction("${SOURCE.abspath}", "Running $SOURCE")
)
AlwaysBuild(target_exec)

Default([target_bin])
