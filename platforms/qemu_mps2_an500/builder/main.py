# SPDX-License-Identifier: Apache-2.0
"""SCons builder of the emulated Cortex-M7 dev-platform (QEMU mps2-an500)."""

import os
import sys
from pathlib import Path

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()
PLATFORM_DIR = platform.get_dir()
STARTUP_DIR = os.path.join(PLATFORM_DIR, "startup")

CPU = [
    f"-mcpu={board.get('build.cpu', 'cortex-m7')}",
    "-mthumb",
    "-mfloat-abi=hard",
    # QEMU's Cortex-M7 always implements the double-precision FPv5.
    f"-mfpu={board.get('build.fpu', 'fpv5-d16')}",
]
QEMU_TIMEOUT_S = int(board.get("build.qemu_timeout", 120))

# --- Toolchain (Debian gcc-arm-none-eabi from PATH) ---
env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    LINK="arm-none-eabi-g++",
    GDB="gdb-multiarch",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    PROGSUFFIX=".elf",
    SIZEPROGREGEXP=r"^(?:\.isr_vector|\.text|\.data|\.rodata|\.ARM\.exidx|\.init_array|\.fini_array)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    # Archives in a group: libraries (the runtime, TFLM) reference each other.
    LINKCOM="$LINK -o $TARGET $LINKFLAGS $__RPATH $SOURCES $_LIBDIRFLAGS "
    "-Wl,--start-group $_LIBFLAGS -Wl,--end-group",
)
# Allow user override of the linker script (board_build.ldscript).
if not env.get("LDSCRIPT_PATH"):
    env.Replace(LDSCRIPT_PATH=os.path.join(PLATFORM_DIR, "ldscripts", "mps2_an500.ld"))
elif not os.path.isabs(env.subst("$LDSCRIPT_PATH")) and not os.path.isfile(
    env.subst("$LDSCRIPT_PATH")
):
    env.Replace(
        LDSCRIPT_PATH=os.path.join(
            PLATFORM_DIR, "ldscripts", os.path.basename(env.subst("$LDSCRIPT_PATH"))
        )
    )

env.Append(
    ASFLAGS=CPU,
    ASPPFLAGS=CPU + ["-x", "assembler-with-cpp"],
    CCFLAGS=CPU
    + [
        "-O2",
        "-g",
        "-ffunction-sections",
        "-fdata-sections",
        "-Wall",
        "-funsigned-char",
    ],
    CXXFLAGS=[
        "-std=gnu++17",
        "-fno-rtti",
        "-fno-exceptions",
        "-fno-threadsafe-statics",
    ],
    CPPDEFINES=["TINYML_QEMU_MPS2_AN500"],
    CPPPATH=[STARTUP_DIR],
    LINKFLAGS=CPU
    + [
        "--specs=nano.specs",
        "--specs=rdimon.specs",
        "-nostartfiles",
        "-u",
        "_printf_float",
        "-Wl,--gc-sections",
    ],
    LIBS=["stdc++", "m", "c", "rdimon"],
)
stack_size = board.get("build.stack_size", "")
if stack_size:
    env.Append(LINKFLAGS=[f"-Wl,--defsym=__stack_size={stack_size}"])

# Startup, instruction-count markers and TFLM platform hooks, linked into every program.
env.BuildSources(os.path.join("$BUILD_DIR", "platform_startup"), STARTUP_DIR)

# --- Target: program ---
target_elf = env.BuildProgram()
target_bin = env.Command(
    os.path.join("$BUILD_DIR", "${PROGNAME}.bin"),
    target_elf,
    env.VerboseAction("$OBJCOPY -O binary $SOURCES $TARGET", "Building $TARGET"),
)
target_size = env.Alias(
    "size", target_elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE")
)
AlwaysBuild(target_size)

# --- Target: exec (run in QEMU; main()'s return value is the exit status) ---
# Runs in $BUILD_DIR, so files the firmware writes through semihosting land there;
# an LCD framebuffer dump (tinyml_framebuffer.bin) is also converted to PNG.
FRAMEBUFFER_DUMP = "tinyml_framebuffer.bin"


def _devtools_on_path():
    """Make ``devtools`` (in the checkout this platform lives in) importable."""
    root = Path(PLATFORM_DIR).resolve().parents[1]
    if (root / "devtools" / "__init__.py").is_file() and str(root) not in sys.path:
        sys.path.append(str(root))


def _exec(target, source, env):
    try:
        from platformio_tinyml.errors import TinyMLError
        from platformio_tinyml.qemu import run_firmware
    except ImportError as exc:
        sys.stderr.write(
            f"Error: platformio_tinyml is not importable from '{sys.executable}' "
            f"({exc}); install it with: {sys.executable} -m pip install "
            "platformio-tinyml\n"
        )
        return 1
    build_dir = env.subst("$BUILD_DIR")
    dump = os.path.join(build_dir, FRAMEBUFFER_DUMP)
    if os.path.exists(dump):
        os.remove(dump)
    try:
        run = run_firmware(str(source[0]), timeout=float(QEMU_TIMEOUT_S), cwd=build_dir)
        sys.stdout.write(run.stdout)
        if os.path.exists(dump):
            _devtools_on_path()
            from devtools.framebuffer import framebuffer_to_png

            png = framebuffer_to_png(Path(dump), Path(dump[: -len(".bin")] + ".png"))
            print(f"Framebuffer: {png}")
    except TinyMLError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    if run.returncode != 0:
        sys.stderr.write(f"Error: the firmware exited with {run.returncode}\n")
    return run.returncode


exec_target = env.Alias(
    "exec", target_elf, env.VerboseAction(_exec, "Running $SOURCE in QEMU")
)
AlwaysBuild(exec_target)


# --- Target: insncount (run with the instruction-counting plugin) ---
def _insncount(target, source, env):
    try:
        _devtools_on_path()
        from devtools.qemu import build_insncount_plugin, count_instructions
        from platformio_tinyml.errors import TinyMLError
    except ImportError as exc:
        sys.stderr.write(
            f"Error: the insncount target needs platformio_tinyml and the "
            f"checkout's devtools/ ({exc}); use a source checkout and install it "
            f"with: {sys.executable} -m pip install -e <checkout>\n"
        )
        return 1
    workspace = env.subst("$PROJECT_WORKSPACE_DIR")
    try:
        plugin = build_insncount_plugin(
            os.path.join(workspace, "tinyml", "qemu-plugin")
        )
        result = count_instructions(
            str(source[0]), plugin=plugin, timeout=float(QEMU_TIMEOUT_S)
        )
    except TinyMLError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    sys.stdout.write(result.stdout)
    print(f"insncount: total={result.total}")
    for i, n in enumerate(result.regions):
        print(f"insncount: region[{i}]={n}")
    for i, n in enumerate(result.marks):
        print(f"insncount: mark[{i}]={n}")
    return 0


insn_target = env.Alias(
    "insncount",
    target_elf,
    env.VerboseAction(_insncount, "Counting instructions of $SOURCE in QEMU"),
)
AlwaysBuild(insn_target)

Default([target_elf, target_bin])
