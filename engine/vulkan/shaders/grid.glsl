// This invocation's index in a one-dimensional grid, which the host spreads over y where x alone
// would pass the device's maxComputeWorkGroupCount[0] (65535 on some devices).
uint grid_index() {
  return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * gl_WorkGroupSize.x +
         gl_LocalInvocationID.x;
}
