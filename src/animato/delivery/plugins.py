"""The plugin manager: built-in channels and those of installed packages, through one hook.

Plugins registered later are called first, so an installed provider for a channel replaces the
built-in one (the first adapter returned for a channel wins).
"""

from __future__ import annotations

import importlib

import pluggy

from animato.delivery import hookspecs
from animato.delivery.channel import Adapter
from animato.settings import Settings

DEFAULT_PLUGINS = ("animato.delivery.email", "animato.delivery.webhook", "animato.delivery.files")


def manager(*, entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with the built-in channels, then the ``animato`` entry points."""
    pm = pluggy.PluginManager("animato")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name)
    if entry_points:
        pm.load_setuptools_entrypoints("animato")
    return pm


def adapters(
    settings: Settings, files_dir: str, pm: pluggy.PluginManager | None = None
) -> dict[str, Adapter]:
    """One adapter per channel that some plugin can deliver with these settings."""
    pm = pm or manager()
    found: dict[str, Adapter] = {}
    for provided in pm.hook.animato_channel_adapters(settings=settings, files_dir=files_dir):
        for adapter in provided:
            found.setdefault(adapter.channel, adapter)
    return found
