#include "CLLVMTargetParser.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Config/llvm-config.h>
#if LLVM_VERSION_MAJOR >= 16
#include <llvm/TargetParser/X86TargetParser.h>
#else
#include <llvm/Support/X86TargetParser.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

/// Sets `feature` and what it implies (enabling) or what depends on it (disabling), as clang does.
static void setFeature(llvm::StringRef feature, bool enable, llvm::StringMap<bool> &features) {
    features[feature] = enable;
    llvm::X86::updateImpliedFeatures(feature, enable, features);
}

extern "C" char *webnnc_x86_enabled_features(const char *cpu, const char *features) {
    llvm::StringRef cpuName(cpu);
    bool knownCPU = llvm::X86::parseArchX86(cpuName, /*Only64Bit=*/true) != llvm::X86::CK_None;
    if (!knownCPU && cpuName != "generic") return nullptr;

    llvm::StringMap<bool> enabled;
    if (knownCPU) {
        llvm::SmallVector<llvm::StringRef, 64> cpuFeatures;
        llvm::X86::getFeaturesForCPU(cpuName, cpuFeatures);
        for (llvm::StringRef feature : cpuFeatures) setFeature(feature, true, enabled);
    }
    llvm::SmallVector<llvm::StringRef, 64> explicitFeatures;
    llvm::StringRef(features).split(explicitFeatures, ',', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef item : explicitFeatures) {
        item = item.trim();
        if (item.size() < 2 || (item[0] != '+' && item[0] != '-')) continue;
        setFeature(item.drop_front(), item[0] == '+', enabled);
    }

    std::vector<std::string> names;
    for (const auto &entry : enabled)
        if (entry.getValue()) names.push_back(entry.getKey().str());
    std::sort(names.begin(), names.end());
    std::string list;
    for (const std::string &name : names) list += (list.empty() ? "+" : ",+") + name;
    char *result = static_cast<char *>(std::malloc(list.size() + 1));
    if (result) std::memcpy(result, list.c_str(), list.size() + 1);
    return result;
}
