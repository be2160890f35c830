// Dot products of four signed bytes packed in a word, as the integer matvec shaders take them.
// Built twice (engine/CMakeLists.txt): with INT8_DOT, one instruction of
// VK_KHR_shader_integer_dot_product (OpSDotKHR on packed 4x8-bit vectors), for devices that have
// it; without, a portable loop. Both give the same integers.

#ifdef INT8_DOT
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018],
                  id = 4450)
int sdot_packed(uint a, uint b, spirv_literal int packed_format);

int dot4(uint a, uint b) { return sdot_packed(a, b, 0); }  // 0: PackedVectorFormat4x8Bit
#else
int dot4(uint a, uint b) {
  int s = 0;
  for (int k = 0; k < 4; ++k) {
    s += bitfieldExtract(int(a), 8 * k, 8) * bitfieldExtract(int(b), 8 * k, 8);
  }
  return s;
}
#endif

// Each byte of q (0..127) less k, as a signed byte: no borrow crosses a byte with the top bits set.
uint less(uint q, uint k) { return ((q | 0x80808080u) - k * 0x01010101u) ^ 0x80808080u; }
