"""The op index: cached entry points, rebuilt when a distribution is installed, upgraded or edits its entry points;
a third-party plugin is found exactly like a built-in op."""

from __future__ import annotations

import sys
import time

import pytest
from pipec.compiler import op_index
from pipec.compiler.compile import compile_text
from pipec.compiler.registry import GROUP, Registry

PLUGIN = '''
from pipec.compiler.op import Op, Out


class Hello(Op):
    """A third-party op."""

    name = "plugin.hello"
    outputs = {"text": Out("Text")}

    def run(self, ctx):
        return {"text": "hello from a plugin"}
'''


def install_plugin(site, version: str, ops: dict[str, str]) -> None:
    for old in site.glob("pipec_plugin-*.dist-info"):
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    info = site / f"pipec_plugin-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: pipec-plugin\nVersion: {version}\n")
    lines = "".join(f"{name} = {value}\n" for name, value in ops.items())
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{lines}")


@pytest.fixture
def site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "pipec_plugin_mod.py").write_text(PLUGIN)
    monkeypatch.setenv("PIPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PIPEC_NO_OP_INDEX", raising=False)
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("pipec_plugin_mod", None)


def names(site) -> dict[str, tuple[str, str]]:
    return {ep.name: (ep.dist, ep.version) for ep in op_index.load(GROUP)}


def touch_later(path) -> None:
    time.sleep(0.01)  # a distinct mtime even on coarse clocks
    path.write_text(path.read_text())


def test_a_plugin_is_indexed_loaded_and_compiled_like_a_built_in(site):
    install_plugin(site, "1.0", {"plugin.hello": "pipec_plugin_mod:Hello"})
    found = names(site)
    assert found["plugin.hello"] == ("pipec-plugin", "1.0")
    assert "core.value" in found  # the built-ins come from the same index
    assert op_index.cache_file().exists()
    graph = compile_text("nodes:\n  h: {op: plugin.hello}\n", registry=Registry())
    assert graph.nodes["h"].op_cls.__module__ == "pipec_plugin_mod"


def test_the_index_is_reused_while_nothing_changed(site, monkeypatch):
    install_plugin(site, "1.0", {"plugin.hello": "pipec_plugin_mod:Hello"})
    names(site)
    scans = []
    monkeypatch.setattr(op_index, "scan", lambda *groups: scans.append(groups) or pytest.fail("rescanned"))
    assert "plugin.hello" in names(site) and scans == []


def test_an_upgrade_or_edited_entry_points_rebuild_the_index(site):
    install_plugin(site, "1.0", {"plugin.hello": "pipec_plugin_mod:Hello"})
    assert names(site)["plugin.hello"] == ("pipec-plugin", "1.0")
    time.sleep(0.01)
    install_plugin(site, "2.0", {"plugin.hello": "pipec_plugin_mod:Hello", "plugin.hi": "pipec_plugin_mod:Hello"})
    found = names(site)
    assert found["plugin.hello"] == ("pipec-plugin", "2.0") and "plugin.hi" in found
    # An editable install rewrites entry_points.txt in place, without a new folder.
    ep_file = next(site.glob("pipec_plugin-*.dist-info")) / "entry_points.txt"
    ep_file.write_text(f"[{GROUP}]\nplugin.only = pipec_plugin_mod:Hello\n")
    touch_later(ep_file)
    found = names(site)
    assert "plugin.only" in found and "plugin.hello" not in found


def test_an_unusable_cache_is_no_error(site, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("PIPEC_CACHE_DIR", str(blocker / "sub"))
    install_plugin(site, "1.0", {"plugin.hello": "pipec_plugin_mod:Hello"})
    assert "plugin.hello" in names(site)
    monkeypatch.setenv("PIPEC_CACHE_DIR", str(tmp_path / "corrupt"))
    (tmp_path / "corrupt").mkdir()
    op_index.cache_file().write_text("{not json")
    assert "plugin.hello" in names(site)


def test_pydantic_plugins_are_not_scanned_for_when_none_is_installed(site, monkeypatch):
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    op_index.skip_pydantic_plugin_scan()
    import os

    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS")
    info = next(site.glob("*.dist-info"), None) or site / "pydplug-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pydplug\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nmyplugin = pydplug:plugin\n")
    op_index.skip_pydantic_plugin_scan()
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ  # a plugin is installed: pydantic looks for it as usual
