/* CONCATENATION: each input is a block of `part` bytes in every one of the
 * `outer` rows of `total` bytes of the output. */
static void tinyml_aot_concat_part(const int8_t* input, int8_t* output,
                                   int outer, int part, int total, int offset) {
  for (int o = 0; o < outer; ++o) {
    memcpy(output + o * total + offset, input + o * part, (size_t)part);
  }
}
