#ifndef WEBNNC_CLLVM_TARGET_PARSER_H
#define WEBNNC_CLLVM_TARGET_PARSER_H

#ifdef __cplusplus
extern "C" {
#endif

/// Every x86 feature that code generated for `cpu` with the feature string `features`
/// (`+a,-b,...`, as LLVMCreateTargetMachine takes it) may use: the CPU's own features and the
/// explicit ones, each with everything it implies, and minus what an explicit `-x` removes (with
/// the features that depend on it). LLVM's X86 target parser, the tables clang uses. Returns a
/// malloc'd `+a,+b,...` string (the caller frees it), or NULL when `cpu` is not an x86-64 CPU
/// that LLVM knows (`generic` then means only the explicit features).
char *webnnc_x86_enabled_features(const char *cpu, const char *features);

#ifdef __cplusplus
}
#endif

#endif
