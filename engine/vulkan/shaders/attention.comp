// Attention of one query head of one token over its sequence's cached keys and values, as the
// CPU's attention() computes it: the query rounded to F16, scores q.k / sqrt(head_dim) over
// positions max(0, pos - window + 1) .. pos, softmax, the weights rounded to F16, then the sum of
// weight * value in position order. The cache is paged as KvCache's: F16 entries at
// ((layer * n_blocks + block) * block_size + slot) * kv_dim, the block of position p at
// table[p / block_size] of the token's row of `tables`. Workgroups (head, token), for
// head_dim up to kLanes; `scores` is scratch of max_positions floats per (token, head).
#version 450

const uint kLanes = 256;
layout(local_size_x = kLanes) in;

layout(std430, binding = 0) readonly buffer Queries { float q[]; };  // [token][n_heads * head_dim]
layout(std430, binding = 1) readonly buffer Keys { uint keys[]; };   // F16 pairs
layout(std430, binding = 2) readonly buffer Values { uint values[]; };  // F16 pairs
layout(std430, binding = 3) readonly buffer Tables { int tables[]; };   // [token][max_blocks]
layout(std430, binding = 4) readonly buffer Positions { int positions[]; };
// coherent: other invocations of the workgroup read the weights an invocation wrote.
layout(std430, binding = 5) coherent buffer Scores { float scores[]; };
layout(std430, binding = 6) writeonly buffer Outputs { float out_[]; };  // as q

layout(push_constant) uniform Shape {
  uint layer;
  uint n_blocks;
  uint block_size;
  uint kv_dim;
  uint head_dim;
  uint n_heads;
  uint n_kv_heads;
  uint max_blocks;     // table entries per token
  uint max_positions;  // scratch per (token, head)
  uint window;         // 0: all positions
}
s;

shared float q16[kLanes];
shared float partial[kLanes];

float to_half(float v) { return unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x; }

float half_at(bool key, uint index) {
  const uint word = key ? keys[index / 2] : values[index / 2];
  return unpackHalf2x16(word)[index % 2];
}

// The F16 entry d of kv head `kv` at position p.
uint entry(uint token, uint p, uint kv, uint d) {
  const uint block = uint(tables[token * s.max_blocks + p / s.block_size]);
  return ((s.layer * s.n_blocks + block) * s.block_size + p % s.block_size) * s.kv_dim +
         kv * s.head_dim + d;
}

// Tree sum or max of partial[] into partial[0].
void reduce(bool take_max) {
  for (uint width = kLanes / 2; width > 0; width >>= 1) {
    barrier();
    const uint lane = gl_LocalInvocationID.x;
    if (lane < width) {
      partial[lane] = take_max ? max(partial[lane], partial[lane + width])
                               : partial[lane] + partial[lane + width];
    }
  }
  barrier();
}

void main() {
  const uint token = gl_WorkGroupID.y;
  const uint head = gl_WorkGroupID.x;
  const uint kv = head / (s.n_heads / s.n_kv_heads);
  const uint lane = gl_LocalInvocationID.x;
  const uint pos = uint(positions[token]);
  const uint first = s.window > 0 && pos + 1 > s.window ? pos + 1 - s.window : 0;
  const uint n_pos = pos - first + 1;
  const uint row = token * s.n_heads + head;
  const float scale = 1.0 / sqrt(float(s.head_dim));
  if (lane < s.head_dim) q16[lane] = to_half(q[row * s.head_dim + lane]);
  barrier();

  // Scores: each invocation takes positions in turn, a whole dot product each.
  float m = -3.402823466e38;  // below any score: shaders need not keep infinities
  for (uint j = lane; j < n_pos; j += kLanes) {
    float dot = 0.0;
    for (uint d = 0; d < s.head_dim; ++d)
      dot += half_at(true, entry(token, first + j, kv, d)) * q16[d];
    const float score = dot * scale;
    scores[row * s.max_positions + j] = score;
    m = max(m, score);
  }
  partial[lane] = m;
  reduce(true);
  const float max_score = partial[0];
  barrier();
  float sum = 0.0;
  for (uint j = lane; j < n_pos; j += kLanes) {
    const float e = exp(scores[row * s.max_positions + j] - max_score);
    scores[row * s.max_positions + j] = e;
    sum += e;
  }
  partial[lane] = sum;
  reduce(false);
  const float inv = 1.0 / partial[0];
  for (uint j = lane; j < n_pos; j += kLanes) {
    scores[row * s.max_positions + j] = to_half(scores[row * s.max_positions + j] * inv);
  }
  memoryBarrierBuffer();
  barrier();

  // Values: invocation d sums its output element over the positions in order, as the CPU does.
  if (lane >= s.head_dim) return;
  float acc = 0.0;
  for (uint j = 0; j < n_pos; ++j) {
    acc += scores[row * s.max_positions + j] * half_at(false, entry(token, first + j, kv, lane));
  }
  out_[row * s.head_dim + lane] = acc;
}
