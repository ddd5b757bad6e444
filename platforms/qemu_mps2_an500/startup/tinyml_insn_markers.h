/* SPDX-License-Identifier: Apache-2.0
 * Instruction-count markers of the emulated Cortex-M7 platform (see
 * insn_markers.c). Usage: insn_region_start(); interpreter.Invoke();
 * insn_region_stop();
 */
#ifndef TINYML_INSN_MARKERS_H_
#define TINYML_INSN_MARKERS_H_

#ifdef __cplusplus
extern "C" {
#endif

void insn_region_start(void);
void insn_region_stop(void);
void insn_mark(void);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_INSN_MARKERS_H_ */
