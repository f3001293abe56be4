"""An unknown provider fails a node at once, without importing litellm; the static provider list is litellm's."""

import os
import subprocess
import sys
import time


def test_the_static_provider_list_is_litellms():
    from pipec.compiler.llm.backend import CUSTOM_PROVIDERS, get_litellm
    from pipec.compiler.llm.providers import LITELLM_PROVIDERS

    litellm = get_litellm()  # registers our own providers (fake/, local/) into litellm's list
    routed = {getattr(p, "value", str(p)) for p in litellm.provider_list} - set(CUSTOM_PROVIDERS)
    assert LITELLM_PROVIDERS == routed, (
        "litellm's provider list changed: regenerate compiler/llm/providers.py from litellm.provider_list")


def test_an_unknown_provider_fails_the_node_fast_without_importing_litellm(tmp_path):
    graph = tmp_path / "g.yaml"
    graph.write_text("nodes:\n  gen: {op: llm.generate, params: {model: nosuch/model-x, prompt: 'Say hi'}}\n")
    code = ("import sys, json; from pipec.compiler.cli import main; rc = main(['run', sys.argv[1], '--store', "
            "sys.argv[2], '--json', '--quiet']); print('LITELLM', 'litellm' in sys.modules); sys.exit(rc)")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(graph), str(tmp_path / ".pipe")], capture_output=True,
                          text=True, env={**os.environ, "OPENAI_API_KEY": ""}, timeout=120)
    elapsed = time.perf_counter() - started
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "unknown provider 'nosuch'" in out and "unknown model 'nosuch/model-x'" in out and "LITELLM False" in out, out
    assert "Traceback" not in out
    print(f"failed in {elapsed:.2f} s as a whole process")
