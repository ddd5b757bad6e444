/* SPDX-License-Identifier: Apache-2.0
 * Marker functions for the insncount QEMU plugin: it counts guest instructions
 * from the first instruction of insn_region_start() to that of
 * insn_region_stop(), and records the running total each time insn_mark() runs.
 * They must stay real, non-inlined functions so their addresses exist in the
 * ELF.
 */
#include "tinyml_insn_markers.h"

__attribute__((noinline, used)) void insn_region_start(void) {
  __asm volatile("" ::: "memory");
}
__attribute__((noinline, used)) void insn_region_stop(void) {
  __asm volatile("" ::: "memory");
}
__attribute__((noinline, used)) void insn_mark(void) {
  __asm volatile("" ::: "memory");
}
