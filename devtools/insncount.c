/* SPDX-License-Identifier: Apache-2.0
 * insncount: deterministic guest-instruction counter, a QEMU 7.2 TCG plugin (API v1).
 *
 * Every executed guest instruction bumps one counter inline. Two optional marker
 * addresses delimit regions (start inclusive .. stop exclusive), and a third records
 * the running total each time it executes (per-operator counts).
 *
 * Build: gcc -O2 -Wall -shared -fPIC -I<dir of qemu-plugin.h> insncount.c -o insncount.so
 * Use:   qemu-system-arm ... -plugin ./insncount.so,start=0xA,stop=0xB[,mark=0xC][,out=F]
 * Results are written to out=F and also through qemu_plugin_outs (shown with -d plugin).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_SAMPLES 4096
#define MAX_MARKS 65536

static uint64_t total; /* bumped inline for every executed instruction */
static uint64_t start_addr = UINT64_MAX, stop_addr = UINT64_MAX, mark_addr = UINT64_MAX;
static uint64_t nmarks, marks[MAX_MARKS];
static uint64_t snap, nsamples, samples[MAX_SAMPLES];
static int armed;
static char out_path[1024];

static void on_start(unsigned int vcpu, void *udata) {
  (void)vcpu, (void)udata;
  snap = total;
  armed = 1;
}

static void on_stop(unsigned int vcpu, void *udata) {
  (void)vcpu, (void)udata;
  if (!armed) return;
  armed = 0;
  if (nsamples < MAX_SAMPLES) samples[nsamples] = total - snap;
  nsamples++;
}

static void on_mark(unsigned int vcpu, void *udata) {
  (void)vcpu, (void)udata;
  if (nmarks < MAX_MARKS) marks[nmarks] = total;
  nmarks++;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t va = qemu_plugin_insn_vaddr(insn);
    /* The inline add is registered first; callbacks run before the instruction. */
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &total, 1);
    if (va == start_addr)
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
    if (va == stop_addr)
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop, QEMU_PLUGIN_CB_NO_REGS, NULL);
    if (va == mark_addr)
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
  }
}

static void emit(FILE *f, const char *line) {
  qemu_plugin_outs(line);
  if (f) fputs(line, f);
}

static void at_exit(qemu_plugin_id_t id, void *udata) {
  (void)id, (void)udata;
  char buf[256];
  FILE *f = out_path[0] ? fopen(out_path, "w") : NULL;
  snprintf(buf, sizeof buf, "insncount: total=%" PRIu64 " regions=%" PRIu64 " marks=%" PRIu64 "\n",
           total, nsamples, nmarks);
  emit(f, buf);
  for (uint64_t i = 0; i < nsamples && i < MAX_SAMPLES; i++) {
    snprintf(buf, sizeof buf, "insncount: region[%" PRIu64 "]=%" PRIu64 "\n", i, samples[i]);
    emit(f, buf);
  }
  for (uint64_t i = 0; i < nmarks && i < MAX_MARKS; i++) {
    snprintf(buf, sizeof buf, "insncount: mark[%" PRIu64 "]=%" PRIu64 "\n", i, marks[i]);
    emit(f, buf);
  }
  if (f) fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strncmp(a, "start=", 6)) {
      start_addr = strtoull(a + 6, NULL, 0);
    } else if (!strncmp(a, "stop=", 5)) {
      stop_addr = strtoull(a + 5, NULL, 0);
    } else if (!strncmp(a, "mark=", 5)) {
      mark_addr = strtoull(a + 5, NULL, 0);
    } else if (!strncmp(a, "out=", 4)) {
      snprintf(out_path, sizeof out_path, "%s", a + 4);
    } else {
      fprintf(stderr, "insncount: unknown argument '%s'\n", a);
      return -1;
    }
  }
  /* Thumb function symbols have bit 0 set; QEMU's instruction vaddr has it clear. */
  if (start_addr != UINT64_MAX) start_addr &= ~1ULL;
  if (stop_addr != UINT64_MAX) stop_addr &= ~1ULL;
  if (mark_addr != UINT64_MAX) mark_addr &= ~1ULL;
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
