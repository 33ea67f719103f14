// Placeholder entry; replaced by the real action entry in the skeleton commit.
export {};
