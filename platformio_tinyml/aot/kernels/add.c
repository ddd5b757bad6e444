/* ADD, int8, same shapes; may run in place (output == a or b). */
static void tinyml_aot_add(const int8_t* a, const int8_t* b, int8_t* output,
                           int size, const tinyml_aot_add_params* params) {
  for (int i = 0; i < size; ++i) {
    output[i] = tinyml_aot_add_one(a[i], b[i], params);
  }
}
